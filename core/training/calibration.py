"""Softmax temperature for labels a model never saw: fitted on pseudo-unseen classes of a second model trained
without them, over label lists of several sizes, since one temperature need not serve 3 labels and 60 alike."""

from dataclasses import dataclass, field

import numpy as np

from core.metrics import calibration_metrics, fit_temperature

LIST_SIZES = (3, 5, 10, 20, 40, 60)  # label-list sizes a user's list spans
EPISODES_PER_CLIP = 4  # label lists drawn around each pseudo-unseen clip per size


@dataclass
class UnseenCalibration:
    """Fitted temperature per list size, and the figures on the pseudo-unseen episodes before and after."""

    temperatures: dict[int, float]
    before: dict[int, dict] = field(default_factory=dict)  # list size -> calibration_metrics at the old temperature
    after: dict[int, dict] = field(default_factory=dict)


def list_episodes(scores: np.ndarray, truth: np.ndarray, candidates: np.ndarray, size: int,
                  rng: np.random.Generator, per_clip: int = EPISODES_PER_CLIP) -> tuple[np.ndarray, np.ndarray]:
    """Label lists of `size` around each clip: its true class plus size-1 others drawn from `candidates`.

    scores (N, C) over every class; truth (N,) the clips' classes; candidates the class indices a list may name
    (seen and pseudo-unseen alike, as a user's list mixes them). -> ((E, size) scores, (E,) index of the truth)."""
    size = min(size, len(candidates))
    rows, labels = [], []
    for n in range(len(truth)):
        others = candidates[candidates != truth[n]]
        for _ in range(per_clip):
            chosen = np.concatenate([[truth[n]], rng.choice(others, size=size - 1, replace=False)])
            order = rng.permutation(size)
            rows.append(scores[n, chosen[order]])
            labels.append(int(np.flatnonzero(order == 0)[0]))
    return np.asarray(rows), np.asarray(labels)


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
