"""Recognizer on a saved (randomly initialised) model and the real text model: shapes, label independence."""

from dataclasses import asdict

import numpy as np
import pytest
import torch

from core.live.recognizer import LabelSet, Recognizer
from core.model.checkpoint import ModelMetadata, load_model, save_model
from core.model.smie import SMIEConfig, SMIEHead
from core.model.stgcn import STGCN, STGCNConfig
from core.model.text import TextModelError
from core.readers.labels import LabelSpec
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence

LABELS = [LabelSpec("wave the right hand", "the right hand rises above the shoulder and swings side to side"),
          LabelSpec("sit down"), LabelSpec("jump up")]


def synthetic_sequence(num_frames: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One body (T, 1, 25, 3) around a fixed random pose, the right arm waving; every joint valid."""
    rng = np.random.default_rng(seed)
    pose = rng.normal(0.0, 0.3, (25, 3)).astype(np.float32) + np.array([0.0, 0.0, 3.0], np.float32)
    t = np.linspace(0, 2 * np.pi, num_frames, dtype=np.float32)
    joints = np.repeat(pose[None, None], num_frames, axis=0)
    for joint, amplitude in ((9, 0.1), (10, 0.25), (11, 0.3), (23, 0.32), (24, 0.3)):  # right elbow .. hand tips
        joints[:, 0, joint, 0] += amplitude * np.sin(3 * t)
    joints += rng.normal(0.0, 0.005, joints.shape).astype(np.float32)
    return joints, np.ones(joints.shape[:3], dtype=bool)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    torch.manual_seed(0)
    encoder = STGCN(STGCNConfig(num_classes=4)).eval()
    head = SMIEHead(SMIEConfig(text_dim=384)).eval()
    metadata = ModelMetadata(text_model="all-MiniLM-L6-v2", text_dim=384, preprocess=asdict(PreprocessConfig()),
                             seen_classes=["clap", "walk", "bow", "kick"], text_use_descriptions=True)
    return save_model(tmp_path_factory.mktemp("recognizer") / "model", encoder, head, metadata)


@pytest.fixture(scope="module")
def recognizer(model_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMIE_CACHE", str(tmp_path_factory.mktemp("cache")))  # keep the user's cache out of it
        yield Recognizer.load(model_dir, device="cpu")


def test_scores_have_one_finite_column_per_label(recognizer):
    label_set = recognizer.set_labels(LABELS)
    assert isinstance(label_set, LabelSet) and label_set.names == tuple(label.name for label in LABELS)
    assert label_set.embeddings.shape == (3, 384) and not label_set.embeddings.flags.writeable
    scores = recognizer.classify_sequences([synthetic_sequence(seed=0), synthetic_sequence(50, seed=1)])
    assert scores.shape == (2, 3) and scores.dtype == np.float32
    assert np.isfinite(scores).all() and (scores <= 0).all(), scores  # -softplus(-T) is never positive
    assert not np.allclose(scores[:, 0], scores[:, 1]), "different labels gave the same scores"


def test_label_order_does_not_change_a_labels_score(recognizer):
    sequences = [synthetic_sequence(seed=2)]
    forward = recognizer.classify_sequences(sequences, recognizer.set_labels(LABELS))
    backward = recognizer.classify_sequences(sequences, recognizer.set_labels(LABELS[::-1]))
    np.testing.assert_allclose(backward[:, ::-1], forward, rtol=1e-5, atol=1e-6)


def test_adding_a_label_keeps_the_other_scores(recognizer):
    windows = np.stack([normalize_sequence(*synthetic_sequence(seed=3), recognizer.preprocess_config)])
    features = recognizer.encode(windows)
    three = recognizer.score(features, recognizer.set_labels(LABELS))
    four = recognizer.score(features, recognizer.set_labels(LABELS[:2] + [LabelSpec("kick a ball")] + LABELS[2:]))
    assert four.shape == (1, 4)
    np.testing.assert_allclose(four[:, [0, 1, 3]], three, rtol=1e-5, atol=1e-6)


def test_label_sets_are_versioned_and_merge_duplicates(recognizer):
    first = recognizer.set_labels(LABELS)
    second = recognizer.set_labels(["Sit Down", "sit  down", "jump up"])
    assert second.version > first.version and recognizer.label_set is second
    assert second.names == ("Sit Down", "jump up")
    with pytest.raises(AttributeError):
        second.names = ("changed",)
    empty = recognizer.set_labels([])
    assert recognizer.classify_sequences([synthetic_sequence()], empty).shape == (1, 0)


def test_encode_is_the_checkpoint_encoder(recognizer, model_dir):
    windows = np.stack([normalize_sequence(*synthetic_sequence(seed=s), recognizer.preprocess_config)
                        for s in range(3)])
    windows[1, ..., 1] = 0.0  # the second body absent, as in most live windows
    features = recognizer.encode(windows)
    assert isinstance(features, torch.Tensor) and features.shape == (3, 256)
    reference = load_model(model_dir).encoder
    with torch.no_grad():
        expected = reference.forward_features(torch.from_numpy(windows))
    torch.testing.assert_close(features, expected, rtol=1e-4, atol=1e-5)


def test_checkpoint_settings_are_used(recognizer):
    assert recognizer.text_encoder.name == "all-MiniLM-L6-v2" and recognizer.text_encoder.dim == 384
    assert recognizer.preprocess_config == PreprocessConfig()
    with_description = recognizer.set_labels(LABELS[:1]).embeddings
    name_only = recognizer.set_labels([LabelSpec(LABELS[0].name)]).embeddings
    assert not np.allclose(with_description, name_only), "text_use_descriptions=True in model.json was ignored"


def test_unavailable_text_model_fails_at_load(tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    metadata = ModelMetadata(text_model="no-such-user/no-such-model", text_dim=384)
    folder = save_model(tmp_path / "model", STGCN(STGCNConfig(num_classes=2)), SMIEHead(SMIEConfig()), metadata)
    with pytest.raises(TextModelError, match="no-such-user/no-such-model"):
        Recognizer.load(folder, device="cpu")
