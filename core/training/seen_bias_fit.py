"""Fitting the seen-label bias correction (core.model.seen_bias) on a second model's GZSL data: its seen-class
validation clips (never trained on by its encoder or head) and its pseudo-unseen clips, scored against all its
classes. Label lists of several sizes, drawn around each clip from all classes so that they mix seen and
pseudo-unseen labels as a user's list does, plus the full list; the bias (a grid in logits, i.e. temperature
units) is the one with the best mean GZSL harmonic mean of seen and unseen accuracy over those lists."""

from dataclasses import dataclass

import numpy as np

from core.model.seen_bias import SeenBias
from core.training.calibration import LIST_SIZES, list_episode_classes

BIAS_GRID = np.round(np.arange(-2.0, 12.0001, 0.1), 2)  # logits taken off a seen label's score
EPISODES_PER_CLIP = 2  # label lists drawn around each clip per size


@dataclass
class GZSLEpisodes:
    """Label lists of one size: logits (E, L) (scores over the list's temperature), truth (E,) index in the list,
    seen_labels (E, L) which labels are seen classes, seen_clip (E,) whether the clip's class is seen."""

    size: int
    logits: np.ndarray
    truth: np.ndarray
    seen_labels: np.ndarray
    seen_clip: np.ndarray
    temperature: float


def draw_gzsl_episodes(scores: np.ndarray, truth: np.ndarray, seen_mask: np.ndarray, temperature_for,
                       sizes=LIST_SIZES, seed: int = 0, per_clip: int = EPISODES_PER_CLIP) -> list[GZSLEpisodes]:
    """scores (N, C) of N clips against all C classes, truth (N,) their classes, seen_mask (C,) the seen classes;
    temperature_for(L): the calibrated temperature for L labels. One GZSLEpisodes per size (at most C), then the
    full list of C labels."""
    scores, truth, seen_mask = np.asarray(scores, np.float64), np.asarray(truth), np.asarray(seen_mask, bool)
    rng = np.random.default_rng(seed)
    candidates = np.arange(scores.shape[1])
    result = []
    for size in sorted({min(int(s), len(candidates)) for s in sizes}):
        if size >= len(candidates):
            continue  # the full list comes last, once
        lists, positions, clips = list_episode_classes(truth, candidates, size, rng, per_clip)
        temperature = float(temperature_for(size))
        result.append(GZSLEpisodes(size, scores[clips[:, None], lists] / temperature, positions, seen_mask[lists],
                                   seen_mask[truth[clips]], temperature))
    temperature = float(temperature_for(len(candidates)))
    result.append(GZSLEpisodes(len(candidates), scores / temperature, truth,
                               np.broadcast_to(seen_mask, scores.shape), seen_mask[truth], temperature))
    return result


def gzsl_figures(episodes: GZSLEpisodes, bias: float) -> dict:
    """Seen accuracy, unseen accuracy and their harmonic mean over the lists, with bias logits off seen labels."""
    right = (episodes.logits - bias * episodes.seen_labels).argmax(axis=1) == episodes.truth
    seen = float(right[episodes.seen_clip].mean())
    unseen = float(right[~episodes.seen_clip].mean())
    harmonic = 2 * seen * unseen / (seen + unseen) if seen + unseen > 0 else 0.0
    return {"seen": seen, "unseen": unseen, "harmonic": harmonic}


def fit_seen_bias(scores: np.ndarray, truth: np.ndarray, seen_mask: np.ndarray, temperature_for,
                  sizes=LIST_SIZES, seed: int = 0, grid=BIAS_GRID, fitted_on: dict | None = None) -> SeenBias:
    """The bias of best mean harmonic mean over draw_gzsl_episodes' lists (the smallest in size among equals),
    with the figures per list size at no bias ("before") and at the fitted one ("after") in fitted_on.
    ValueError without both seen and unseen clips."""
    seen_mask = np.asarray(seen_mask, bool)
    seen_clip = seen_mask[np.asarray(truth)]
    if not seen_clip.any() or seen_clip.all():
        raise ValueError(f"seen bias: needs clips of seen and of unseen classes ({int(seen_clip.sum())} seen, "
                         f"{int((~seen_clip).sum())} unseen)")
    episodes = draw_gzsl_episodes(scores, truth, seen_mask, temperature_for, sizes, seed)
    grid = np.asarray(grid, np.float64)
    objective = np.array([np.mean([gzsl_figures(e, b)["harmonic"] for e in episodes]) for b in grid])
    best = max(np.flatnonzero(objective >= objective.max() - 1e-12), key=lambda i: (-abs(grid[i]), -i))
    bias = float(grid[best])
    lists = {str(e.size): {"temperature": e.temperature, "episodes": len(e.truth), "before": gzsl_figures(e, 0.0),
                           "after": gzsl_figures(e, bias)} for e in episodes}
    figures = {"objective": "mean GZSL harmonic mean over the label lists", "mean_harmonic_before":
               float(np.mean([e["before"]["harmonic"] for e in lists.values()])),
               "mean_harmonic_after": float(objective[best]), "lists": lists, "full_list": str(episodes[-1].size),
               "seen_clips": int(seen_clip.sum()), "unseen_clips": int((~seen_clip).sum()),
               "grid": [float(grid.min()), float(grid.max())], "at_grid_edge": bool(best in (0, len(grid) - 1)),
               "seed": seed}
    return SeenBias(bias, {**(fitted_on or {}), **figures})
