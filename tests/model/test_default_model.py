"""The shipped models: each loads offline from its folder under models/ and scores any typed label."""

import numpy as np
import pytest

from core.live.recognizer import Recognizer
from core.model.checkpoint import read_metadata
from core.paths import DEFAULT_MODEL_DIR, PROJECT_ROOT
from core.readers.labels import LabelSpec

SHIPPED = [DEFAULT_MODEL_DIR, PROJECT_ROOT / "models" / "all_datasets"]


@pytest.mark.parametrize("model_dir", SHIPPED, ids=lambda path: path.name)
def test_model_card_and_metadata_describe_the_model(model_dir):
    metadata = read_metadata(model_dir)
    assert metadata.text_model == "all-MiniLM-L6-v2" and metadata.text_dim == 384 and metadata.layout == "ntu25"
    assert len(metadata.seen_classes) >= 60 and metadata.head_kind == "smie"
    card = (model_dir / "README.md").read_text()
    for promise in ("Training data", "Classes", "Text model", "Zero-shot accuracy", "smie pretrain"):
        assert promise in card, promise


@pytest.mark.parametrize("model_dir", SHIPPED, ids=lambda path: path.name)
def test_model_scores_a_typed_label_it_never_saw(model_dir):
    recognizer = Recognizer.load(model_dir, device="cpu")
    labels = recognizer.set_labels([LabelSpec("tie shoelaces"), LabelSpec("wave the right hand")])
    t = np.linspace(0, 2 * np.pi, 60)
    joints = np.zeros((60, 1, 25, 3), np.float32)
    joints[:, 0, :, 1] = np.linspace(-0.8, 0.6, 25)  # a vertical stick figure
    joints[:, 0, 8:12, 0] = 0.2 + np.arange(4) * 0.1  # right arm out to the side
    joints[:, 0, 4:8, 0] = -0.2 - np.arange(4) * 0.1
    joints[:, 0, 11, 1] += 0.2 * np.sin(3 * t)  # the right hand moves up and down
    scores = recognizer.classify_sequences([(joints, np.ones((60, 1, 25), bool))], labels)
    assert scores.shape == (1, 2) and np.isfinite(scores).all()
    assert recognizer.temperature > 0


def test_the_all_datasets_model_knows_at_least_150_actions_and_says_its_terms():
    model_dir = PROJECT_ROOT / "models" / "all_datasets"
    metadata = read_metadata(model_dir)
    assert len(metadata.seen_classes) >= 150 and len(metadata.metrics["datasets"]) == 9
    card = (model_dir / "README.md").read_text()
    assert "CC BY-NC 4.0" in card and "non-commercial" in card
