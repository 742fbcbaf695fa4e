"""Fitting the weight of examples on few-shot episodes: informative examples get weight, useless ones none."""

import numpy as np

from core.training.fusion_fit import draw_episodes, fit_fusion


def clips(informative: bool, classes: int = 8, per_class: int = 12, seed: int = 0):
    """Features that cluster by class (or not), and text scores that are right only a third of the time."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(classes), per_class)
    centres = rng.normal(size=(classes, 16))
    features = rng.normal(scale=0.3, size=(len(truth), 16)) + (centres[truth] if informative else 0)
    text = rng.normal(size=(len(truth), classes))
    text[np.arange(len(truth)), truth] += 0.8
    return features, text, truth


def test_informative_examples_get_weight_and_raise_top1():
    features, text, truth = clips(informative=True)
    fit = fit_fusion(draw_episodes(features, text, truth, lambda size: 1.0, episodes=60))
    assert fit.weights.scale > 0
    assert fit.nll["fused"] < fit.nll["text"]
    for shots, top1 in fit.top1.items():
        if shots:
            assert top1["fused"] > top1["text"] + 0.2, (shots, top1)


def test_uninformative_examples_get_almost_no_say():
    features, text, truth = clips(informative=False)
    fit = fit_fusion(draw_episodes(features, text, truth, lambda size: 1.0, episodes=60))
    overall = {kind: sum(top1[kind] * top1["queries"] for top1 in fit.top1.values()) for kind in ("text", "fused")}
    assert overall["fused"] >= overall["text"], "no scale (the text alone) is on the grid"
    with_examples = [top1 for shots, top1 in fit.top1.items() if shots]
    assert all(abs(top1["fused"] - top1["text"]) < 0.1 for top1 in with_examples)
