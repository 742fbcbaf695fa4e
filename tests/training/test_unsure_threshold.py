"""The "unsure" threshold: the lowest top probability from which an answer is at least half likely right (isotonic
fit), chosen on list episodes of pseudo-unseen clips and stored in the model's metrics; the looser rule on the
average precision of all answers above a threshold, for comparison."""

import numpy as np
import pytest

from core.metrics import (
    UNSURE_KEY,
    isotonic_accuracy,
    load_unsure_below,
    precision_threshold,
    softmax,
    unsure_figures,
    unsure_threshold,
)
from core.training.calibration import fit_unsure_below


def groups(*spec):
    """(confidence, correct) from (confidence, clips, right ones) groups."""
    confidence = np.concatenate([np.full(n, c) for c, n, _ in spec])
    correct = np.concatenate([np.arange(n) < r for _, n, r in spec])
    return confidence, correct


def test_the_threshold_is_where_an_answer_becomes_more_likely_right_than_wrong():
    confidence, correct = groups((0.2, 100, 10), (0.4, 100, 40), (0.6, 100, 60), (0.8, 100, 90))
    assert unsure_threshold(confidence, correct) == pytest.approx(0.6), "not 0: all answers are half right"
    # a dip is pooled with its neighbour (isotonic fit): 0.3 and 0.5 together are right half the time
    confidence, correct = groups((0.1, 100, 0), (0.3, 100, 60), (0.5, 100, 40), (0.7, 100, 80))
    assert unsure_threshold(confidence, correct) == pytest.approx(0.3)
    values, accuracy = isotonic_accuracy(confidence, correct)
    np.testing.assert_allclose(values, [0.1, 0.3, 0.5, 0.7])
    np.testing.assert_allclose(accuracy, [0.0, 0.5, 0.5, 0.8])
    assert unsure_threshold(*groups((0.3, 100, 60), (0.9, 100, 90))) == 0.0, "every answer likely right"
    assert unsure_threshold(*groups((0.5, 100, 20), (0.9, 100, 40))) is None, "none is"


def test_the_looser_average_rule_answers_more():
    confidence, correct = groups((0.2, 100, 0), (0.4, 100, 40), (0.6, 100, 60), (0.8, 100, 90))
    # all answers: 190 of 400 right; from 0.21 up: 190 of 300
    assert precision_threshold(confidence, correct) == pytest.approx(0.21)
    assert unsure_threshold(confidence, correct) == pytest.approx(0.6)
    # many confident wrong answers at 0.9: the answers from 0.9 up are mostly wrong, so no lower p holds either
    assert precision_threshold(*groups((0.3, 100, 60), (0.6, 100, 80), (0.9, 100, 10))) is None
    # one such answer in 301 (under 2 % of them) does not decide
    assert precision_threshold(*groups((0.3, 100, 60), (0.6, 100, 80), (0.9, 1, 0))) == 0.0
    figures = unsure_figures(*groups((0.2, 100, 0), (0.8, 100, 90)), 0.5)
    assert figures == {"answered": 0.5, "accuracy_answered": 0.9, "accuracy_unsure": 0.0, "episodes": 200}


def test_the_threshold_on_list_episodes_follows_the_rule_and_is_read_back():
    rng = np.random.default_rng(0)
    classes, temperature = 30, 0.5
    logits = rng.normal(0, 1.0, (400, classes))
    probs = softmax(logits, 1.0)
    truth = np.array([rng.choice(classes, p=p) for p in probs])  # calibrated at temperature 1 in logits
    fitted = fit_unsure_below(logits * temperature, truth, lambda size: temperature, sizes=(10, 30), seed=0)
    threshold = fitted["threshold"]
    assert threshold is not None and 0.0 < threshold < 0.9
    assert fitted["accuracy_answered"] >= 0.5 > fitted["accuracy_unsure"]
    assert set(fitted["sizes"]) == {"10", "30"} and fitted["episodes"] == 2 * 4 * 400
    assert "right at least 0.5" in fitted["rule"]
    loose = fitted["average_precision_rule"]
    assert loose["threshold"] <= threshold and loose["answered"] >= fitted["answered"]
    assert load_unsure_below({UNSURE_KEY: fitted}) == threshold
    assert load_unsure_below({}) is None and load_unsure_below({UNSURE_KEY: {"threshold": None}}) is None


def test_a_seen_bias_changes_the_episodes_as_the_live_path_would():
    from core.model.seen_bias import SeenBias

    rng = np.random.default_rng(1)
    scores = rng.normal(0, 1, (200, 20))
    truth = rng.integers(10, 20, 200)
    scores[np.arange(200), truth] += 2.0
    seen_mask = np.arange(20) < 10
    scores[:, seen_mask] += 1.5  # seen labels inflated: the pseudo-unseen clips lose to them
    plain = fit_unsure_below(scores, truth, lambda size: 1.0, sizes=(5,), seed=0)
    corrected = fit_unsure_below(scores, truth, lambda size: 1.0, sizes=(5,), seed=0, seen_mask=seen_mask,
                                 seen_bias=SeenBias(1.5))
    assert corrected["top1"] > plain["top1"] + 0.05
