"""Fitting the seen-label bias on GZSL lists: scores where seen labels are inflated by a known offset give back a
bias near it that raises the harmonic mean of seen and unseen accuracy."""

import numpy as np
import pytest

from core.model.seen_bias import SeenBias
from core.training.seen_bias_fit import draw_gzsl_episodes, fit_seen_bias, gzsl_figures

CLASSES, SEEN = 24, 12
TEMPERATURE = 0.5


def inflated_scores(offset_logits: float, clips_per_class: int = 30, seed: int = 0):
    """Scores (N, C): the true class one logit up on average, every seen class offset_logits up, in score units
    of TEMPERATURE."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(CLASSES), clips_per_class)
    logits = rng.normal(0.0, 1.0, (len(truth), CLASSES))
    logits[np.arange(len(truth)), truth] += 2.0
    seen_mask = np.arange(CLASSES) < SEEN
    logits += offset_logits * seen_mask
    return logits * TEMPERATURE, truth, seen_mask


def temperature_for(size):
    return TEMPERATURE


def test_the_lists_mix_seen_and_unseen_labels_and_end_with_the_full_list():
    scores, truth, seen_mask = inflated_scores(0.0, clips_per_class=3)
    episodes = draw_gzsl_episodes(scores, truth, seen_mask, temperature_for, sizes=(3, 10, 60), seed=0)
    assert [e.size for e in episodes] == [3, 10, CLASSES], "a size over the classes is the full list, once"
    for e in episodes:
        assert e.logits.shape == e.seen_labels.shape and len(e.truth) == len(e.seen_clip)
        assert e.seen_labels[np.arange(len(e.truth)), e.truth].tolist() == e.seen_clip.tolist()
        assert 0 < e.seen_labels.mean() < 1, "seen and unseen labels alike"
    np.testing.assert_allclose(episodes[-1].logits, scores / TEMPERATURE)


def test_an_inflation_of_seen_labels_is_recovered_and_raises_the_harmonic_mean():
    offset = 3.0
    scores, truth, seen_mask = inflated_scores(offset)
    bias = fit_seen_bias(scores, truth, seen_mask, temperature_for, sizes=(3, 5, 10), seed=1)
    assert bias.bias == pytest.approx(offset, abs=0.6)
    fit = bias.fitted_on
    assert fit["mean_harmonic_after"] > fit["mean_harmonic_before"] + 0.1
    full = fit["lists"][str(CLASSES)]
    assert full["after"]["harmonic"] > full["before"]["harmonic"]
    assert full["before"]["seen"] > full["before"]["unseen"], "before: the seen labels win too often"
    assert not fit["at_grid_edge"] and fit["seen_clips"] == SEEN * 30
    # the stored bias, applied as the live path applies it, gives the fitted figures on the full list
    corrected = SeenBias.from_dict(bias.to_dict()).apply(scores, seen_mask, TEMPERATURE)
    right = corrected.argmax(axis=1) == truth
    assert right[~seen_mask[truth]].mean() == pytest.approx(full["after"]["unseen"])


def test_unbiased_scores_keep_a_bias_near_zero():
    scores, truth, seen_mask = inflated_scores(0.0)
    episodes = draw_gzsl_episodes(scores, truth, seen_mask, temperature_for, sizes=(5,), seed=0)
    assert gzsl_figures(episodes[0], 0.0)["harmonic"] > gzsl_figures(episodes[0], 3.0)["harmonic"]
    assert abs(fit_seen_bias(scores, truth, seen_mask, temperature_for, sizes=(5,)).bias) <= 0.5


def test_without_clips_of_both_kinds_nothing_is_fitted():
    scores, truth, seen_mask = inflated_scores(1.0, clips_per_class=2)
    only_seen = truth < SEEN
    with pytest.raises(ValueError, match="seen and of unseen"):
        fit_seen_bias(scores[only_seen], truth[only_seen], seen_mask, temperature_for)
