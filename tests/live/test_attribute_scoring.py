"""The attribute term live: labels naming a side, direction or posture order are scored with it in the live scorer
and in whole-clip scoring, results say what the skeleton showed, and it switches off."""

import numpy as np
import pytest
from io_fixtures import waving_clip

from core.commands.bench_pipeline import save_random_model
from core.live.clip_windows import live_windows
from core.live.recognizer import Recognizer
from core.live.scorer import LiveScorer, ScorerConfig
from core.model.attribute_term import WEIGHTED, AttributeWeights, describe_phrase, store_attribute_weights
from core.training.augment import mirror

SIDES = ["wave the right hand", "wave the left hand"]


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    model = save_random_model(tmp_path_factory.mktemp("model"))
    store_attribute_weights(model, AttributeWeights({name: 1.5 for name in WEIGHTED}))
    return Recognizer.load(model, "cpu")


@pytest.fixture(scope="module")
def plain_recognizer(tmp_path_factory):
    return Recognizer.load(save_random_model(tmp_path_factory.mktemp("plain")), "cpu")


def mirrored(joints: np.ndarray) -> np.ndarray:
    """(T, M, 25, 3) raw joints -> the same motion by the other side (X negated, left and right swapped)."""
    return mirror(joints.transpose(3, 0, 2, 1)).transpose(1, 3, 2, 0)


def last_window(joints, valid, recognizer):
    timestamps = np.arange(len(joints)) / 30.0
    return live_windows(joints, valid, timestamps, 2.0, 0.5, recognizer.preprocess_config.num_frames)[-1]


def side_margin(result) -> float:
    return result.scores[SIDES[0]] - result.scores[SIDES[1]]


def test_a_right_hand_wave_raises_the_right_hand_label_and_its_mirror_the_left(recognizer):
    clip = waving_clip(3.0)
    scorer = LiveScorer(recognizer, SIDES + ["clap"], ScorerConfig())
    plain = LiveScorer(recognizer, SIDES + ["clap"], ScorerConfig(attributes=False))
    right = scorer.score_window(last_window(clip.joints, clip.valid, recognizer))
    left = scorer.score_window(last_window(mirrored(clip.joints), clip.valid, recognizer))
    assert right.attributes["side"] == "right" and left.attributes["side"] == "left"
    assert "right hand" in describe_phrase(right.attributes)
    without_right = plain.score_window(last_window(clip.joints, clip.valid, recognizer))
    without_left = plain.score_window(last_window(mirrored(clip.joints), clip.valid, recognizer))
    # the term moves each window's margin towards the side it shows, by more than the random encoder's own
    assert side_margin(right) - side_margin(without_right) > 1.0
    assert side_margin(left) - side_margin(without_left) < -1.0
    assert side_margin(right) > 0 > side_margin(left)
    # "clap" names no attribute: its score is the SMIE score alone, with or without the term
    assert right.scores["clap"] == pytest.approx(without_right.scores["clap"], rel=1e-5, abs=1e-5)
    assert without_right.attributes == right.attributes  # switched off, the measurement is still reported


def test_a_model_without_weights_scores_as_before_and_still_reports_the_measurement(plain_recognizer):
    assert plain_recognizer.attribute_weights is None
    clip = waving_clip(3.0)
    on = LiveScorer(plain_recognizer, SIDES, ScorerConfig()).score_window(
        last_window(clip.joints, clip.valid, plain_recognizer))
    off = LiveScorer(plain_recognizer, SIDES, ScorerConfig(attributes=False)).score_window(
        last_window(clip.joints, clip.valid, plain_recognizer))
    assert on.scores == off.scores and on.attributes["side"] == "right"


def test_whole_clip_scoring_adds_the_same_term(recognizer):
    clip = waving_clip(3.0)
    label_set = recognizer.set_labels(SIDES)
    assert label_set.attributes == ({"side": "right", "limb": "arm"}, {"side": "left", "limb": "arm"})
    sequences = [(clip.joints, clip.valid), (mirrored(clip.joints), clip.valid)]
    with_term = recognizer.classify_sequences(sequences, label_set)
    recognizer.use_attributes = False
    try:
        without = recognizer.classify_sequences(sequences, label_set)
    finally:
        recognizer.use_attributes = True
    margin_with, margin_without = with_term[:, 0] - with_term[:, 1], without[:, 0] - without[:, 1]
    assert margin_with[0] - margin_without[0] > 1.0 and margin_with[1] - margin_without[1] < -1.0


def test_bad_stored_weights_name_the_model_folder(tmp_path):
    from core.model.checkpoint import CheckpointError, update_metrics

    model = save_random_model(tmp_path / "model")
    update_metrics(model, {"attribute_weights": {"format": 1, "weights": {"side": -2}}})
    with pytest.raises(CheckpointError, match="side = -2"):
        Recognizer.load(model, "cpu")
