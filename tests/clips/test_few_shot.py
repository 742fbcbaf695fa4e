"""Few-shot episodes: examples drawn per class, the rest scored by nearest class mean, thin classes left out."""

import numpy as np
import pytest

from core.clips.few_shot import few_shot_episodes, nearest_class_mean


def _clusters(per_class=(6, 6, 2), spread=0.1, seed=0):
    """Features around one direction per class; text scores that always name class 0."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[: len(per_class)]
    truth = np.repeat(np.arange(len(per_class)), per_class)
    features = centres[truth] + rng.normal(0, spread, (len(truth), 8))
    text = np.zeros((len(truth), len(per_class)))
    text[:, 0] = 1.0
    return features.astype(np.float32), truth, text


def test_nearest_class_mean_is_the_cosine_to_each_mean():
    examples = [np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([[0.0, -1.0]])]
    scores = nearest_class_mean(np.array([[1.0, 1.0]]), examples)
    assert scores[0] == pytest.approx([1.0, -np.sqrt(0.5)])


def test_separated_classes_are_found_from_one_example_and_thin_classes_sit_out():
    features, truth, text = _clusters()
    report = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=2, draws=5)
    result = report.to_dict()
    assert result["top1"] == 1.0 and result["top1_std"] == 0.0
    assert result["text"]["top1"] == pytest.approx(0.5), "text names class 0 for every clip of a and b"
    assert result["left_out"] == {"c": 5}, "2 clips of c are not more than 2 shots"
    assert result["scored_per_draw"] == 8


def test_draws_are_seeded_and_differ_between_seeds():
    features, truth, text = _clusters(per_class=(5, 5, 5), spread=0.9)
    one = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=1, draws=4, seed=3)
    again = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=1, draws=4, seed=3)
    other = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=1, draws=4, seed=4)
    assert one.examples_top1 == again.examples_top1 and one.examples_top1 != other.examples_top1


def test_bad_counts_are_refused():
    features, truth, text = _clusters()
    with pytest.raises(ValueError, match="shots must be at least 1, got 0"):
        few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=0)
