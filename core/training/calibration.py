"""Softmax temperature for labels a model never saw: fitted on pseudo-unseen classes of a second model trained
without them, over label lists of several sizes, since one temperature need not serve 3 labels and 60 alike."""

from dataclasses import dataclass, field

import numpy as np

from core.metrics import (
    UNSURE_PRECISION,
    calibration_metrics,
    fit_temperature,
    precision_threshold,
    softmax,
    unsure_figures,
    unsure_threshold,
)

LIST_SIZES = (3, 5, 10, 20, 40, 60)  # label-list sizes a user's list spans
EPISODES_PER_CLIP = 4  # label lists drawn around each pseudo-unseen clip per size


@dataclass
class UnseenCalibration:
    """Fitted temperature per list size, and the figures on the pseudo-unseen episodes before and after."""

    temperatures: dict[int, float]
    before: dict[int, dict] = field(default_factory=dict)  # list size -> calibration_metrics at the old temperature
    after: dict[int, dict] = field(default_factory=dict)


def list_episode_classes(truth: np.ndarray, candidates: np.ndarray, size: int, rng: np.random.Generator,
                         per_clip: int = EPISODES_PER_CLIP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The classes of label lists of `size` around each clip: its true class plus size-1 others drawn from
    `candidates`, shuffled. -> ((E, size) class indices, (E,) index of the truth in its list, (E,) clip row)."""
    size = min(size, len(candidates))
    lists, labels, clips = [], [], []
    for n in range(len(truth)):
        others = candidates[candidates != truth[n]]
        for _ in range(per_clip):
            chosen = np.concatenate([[truth[n]], rng.choice(others, size=size - 1, replace=False)])
            order = rng.permutation(size)
            lists.append(chosen[order])
            labels.append(int(np.flatnonzero(order == 0)[0]))
            clips.append(n)
    return (np.asarray(lists, dtype=np.int64).reshape(len(lists), size), np.asarray(labels, dtype=np.int64),
            np.asarray(clips, dtype=np.int64))


def list_episodes(scores: np.ndarray, truth: np.ndarray, candidates: np.ndarray, size: int,
                  rng: np.random.Generator, per_clip: int = EPISODES_PER_CLIP) -> tuple[np.ndarray, np.ndarray]:
    """Label lists of `size` around each clip: its true class plus size-1 others drawn from `candidates`.

    scores (N, C) over every class; truth (N,) the clips' classes; candidates the class indices a list may name
    (seen and pseudo-unseen alike, as a user's list mixes them). -> ((E, size) scores, (E,) index of the truth)."""
    lists, labels, clips = list_episode_classes(truth, candidates, size, rng, per_clip)
    return np.asarray(scores)[clips[:, None], lists], labels


def fit_unseen_temperatures(scores: np.ndarray, truth: np.ndarray, num_classes: int, old_temperature: float,
                            sizes=LIST_SIZES, seed: int = 0) -> UnseenCalibration:
    """scores (N, C) of N pseudo-unseen clips against all C classes (seen and pseudo-unseen) of the second model;
    truth (N,) their classes. One temperature per list size, by NLL on seeded episodes."""
    rng = np.random.default_rng(seed)
    candidates = np.arange(num_classes)
    result = UnseenCalibration({})
    for size in sizes:
        episode_scores, episode_truth = list_episodes(scores, truth, candidates, size, rng)
        temperature = fit_temperature(episode_scores, episode_truth)
        result.temperatures[int(size)] = temperature
        result.before[int(size)] = calibration_metrics(episode_scores, episode_truth, old_temperature)
        result.after[int(size)] = calibration_metrics(episode_scores, episode_truth, temperature)
    return result


def fit_unsure_below(scores: np.ndarray, truth: np.ndarray, temperature_for, sizes=LIST_SIZES, seed: int = 0,
                     seen_mask: np.ndarray | None = None, seen_bias=None) -> dict:
    """The "unsure" threshold (core.metrics.unsure_threshold's rule; precision_threshold's looser one for
    comparison) on label lists around pseudo-unseen clips.

    scores (N, C) of N pseudo-unseen clips against all C classes (the final score), truth (N,) their classes;
    temperature_for(L): the calibrated temperature; seen_bias (core.model.seen_bias.SeenBias) with seen_mask (C,)
    corrects the seen labels as the live path does. Lists of every size are pooled (a user's list may have any
    size); each clip's probability is its own, where the live path may smooth over windows first.
    -> {"threshold" (None: no threshold reaches the precision), "rule", the figures there, at the default 0.5 and
    per list size}."""
    rng = np.random.default_rng(seed)
    candidates = np.arange(np.shape(scores)[1])
    confidence, correct, per_size = [], [], {}
    for size in sizes:
        lists, positions, clips = list_episode_classes(truth, candidates, size, rng)
        temperature = temperature_for(size)
        rows = np.asarray(scores, np.float64)[clips[:, None], lists]
        if seen_bias is not None and seen_mask is not None:
            rows = seen_bias.apply(rows, np.asarray(seen_mask, bool)[lists], temperature)
        probs = softmax(rows, temperature)
        confidence.append(probs.max(axis=1))
        correct.append(probs.argmax(axis=1) == positions)
        per_size[int(size)] = (confidence[-1], correct[-1])
    confidence, correct = np.concatenate(confidence), np.concatenate(correct)
    threshold = unsure_threshold(confidence, correct)
    at = threshold if threshold is not None else 1.01  # no threshold: every answer would be "unsure"
    loose = precision_threshold(confidence, correct)
    return {"threshold": threshold, "rule": f"lowest top probability from which an answer is right at least "
            f"{UNSURE_PRECISION:g} of the time (isotonic fit of right/wrong against top probability)",
            **unsure_figures(confidence, correct, at), "at_default": unsure_figures(confidence, correct, 0.5),
            "top1": float(correct.mean()),
            "sizes": {str(size): unsure_figures(c, r, at) for size, (c, r) in per_size.items()},
            "average_precision_rule": {"threshold": loose, **unsure_figures(confidence, correct,
                                                                             1.01 if loose is None else loose)},
            "seed": seed}
