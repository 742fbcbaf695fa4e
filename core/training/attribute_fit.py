"""Fit the attribute term's weights on pseudo-unseen classes: clips of classes a second model never trained on,
scored by that model against (1) the pseudo-unseen class list, (2) each clip's label and its opposite forms made
from the name ("right hand wave" / "left hand wave", "sit to stand" / "stand to sit"), (3) the clip mirrored
left/right against its mirrored label and the original one. The weights maximise the likelihood of the true
label over all three (softmax at the model's temperature for those scores), with every attribute's weight pulled
towards a shared one, so an attribute the pseudo-unseen classes never name keeps the shared weight, and the shared
one kept finite by a small penalty (in units of the temperature, SCALE)."""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from core.metrics import fit_temperature
from core.model.attribute_term import WEIGHTED, AttributeWeights, agreement_features
from core.readers.label_attributes import (
    mirrored_label,
    opposite_forms,
    parse_label_attributes,
)
from core.skeleton.attributes import measure_attributes, mirror_window

SHRINK = 0.3  # penalty on (weight - shared weight)^2, in units of the temperature
SCALE = 0.05  # penalty on the shared weight^2: opposite forms and mirrored clips alone are separable, and
#               without it their likelihood would drive every weight to the bound
PAD = -1e9


@dataclass
class EpisodeGroup:
    """Episodes of one kind: scores (E, L) (PAD where a shorter episode has no label), features (E, L, K),
    truth (E,) the index of the true label."""

    name: str
    scores: np.ndarray
    features: np.ndarray
    truth: np.ndarray


def _stack(name: str, episodes: list) -> EpisodeGroup | None:
    """[(scores (L_e,), features (L_e, K), truth)] -> one padded EpisodeGroup (None when empty)."""
    if not episodes:
        return None
    width = max(len(s) for s, _, _ in episodes)
    scores = np.full((len(episodes), width), PAD)
    features = np.zeros((len(episodes), width, len(WEIGHTED)))
    for row, (s, f, _) in enumerate(episodes):
        scores[row, :len(s)], features[row, :len(s)] = s, f
    return EpisodeGroup(name, scores, features, np.array([t for _, _, t in episodes]))


def _loss(theta: np.ndarray, groups: list, temperature: float) -> tuple[float, np.ndarray]:
    """Mean cross-entropy per group, summed, plus the shrinkage; and its gradient. theta = (shared, w_1..w_K) in
    units of the temperature."""
    shared, weights = theta[0], theta[1:]
    total, grad = SHRINK * np.sum((weights - shared) ** 2) + SCALE * shared ** 2, np.zeros_like(theta)
    grad[1:] = 2 * SHRINK * (weights - shared)
    grad[0] = -2 * SHRINK * np.sum(weights - shared) + 2 * SCALE * shared
    for group in groups:
        logits = group.scores / temperature + group.features @ weights
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        rows = np.arange(len(group.truth))
        total += float(-np.log(probs[rows, group.truth] + 1e-12).mean())
        probs[rows, group.truth] -= 1
        grad[1:] += np.einsum("el,elk->k", probs, group.features) / len(group.truth)
    return total, grad


def _top1(group: EpisodeGroup, vector: np.ndarray) -> float:
    return float(((group.scores + group.features @ vector).argmax(axis=1) == group.truth).mean())


def fit_weights(groups: list, temperature: float, fitted_on: dict | None = None) -> tuple[AttributeWeights, dict]:
    """(weights, report {group: {clips, top1_before, top1_after}, shared}) maximising the episodes' likelihood."""
    groups = [g for g in groups if g is not None and len(g.truth)]
    if not groups:
        raise ValueError("no pseudo-unseen episodes to fit the attribute weights on")
    start = np.full(len(WEIGHTED) + 1, 1.0)
    result = minimize(_loss, start, args=(groups, temperature), jac=True, method="L-BFGS-B",
                      bounds=[(0.0, 50.0)] * len(start))
    units = result.x
    weights = AttributeWeights({name: float(units[1 + k] * temperature) for k, name in enumerate(WEIGHTED)},
                               dict(fitted_on or {}, temperature=float(temperature),
                                    shared=float(units[0] * temperature)))
    vector = weights.vector()
    report = {g.name: {"episodes": len(g.truth), "top1_before": _top1(g, np.zeros_like(vector)),
                       "top1_after": _top1(g, vector)} for g in groups}
    return weights, report


def fit_groups(names: list[str], x: np.ndarray, raw: np.ndarray | None, labels: np.ndarray, score_fn, mirror_fn,
               list_scores: np.ndarray) -> list:
    """The three episode groups for clips x (N, 3, T, V, M) of the classes `names` (labels index names) with
    global windows raw (N, T, V, 3) or None; list_scores (N, len(names)) the second model's scores against the
    names; score_fn(x_rows, label_names) -> (rows, L) scores; mirror_fn(x) the left/right mirror of clips."""
    parsed = [parse_label_attributes(name) for name in names]
    measured = [measure_attributes(x[n], None if raw is None else raw[n]) for n in range(len(x))]
    groups = [_stack("list", [(list_scores[n], agreement_features(parsed, measured[n]), int(labels[n]))
                              for n in range(len(x))])]
    opposite, mirrored = [], []
    for c, name in enumerate(names):
        rows = np.flatnonzero(labels == c)
        forms = list(dict.fromkeys(opposite_forms(name).values()))
        if forms and len(rows):
            texts = [name] + forms
            scores = score_fn(rows, texts)
            attrs = [parse_label_attributes(t) for t in texts]
            opposite += [(scores[i], agreement_features(attrs, measured[n]), 0) for i, n in enumerate(rows)]
        other = mirrored_label(name)
        if parse_label_attributes(other) != parsed[c] and len(rows):  # side-specific in words the term reads
            flipped = mirror_fn(x[rows])
            flipped_raw = None if raw is None else np.stack([mirror_window(raw[n]) for n in rows])
            scores = score_fn(rows, [other, name], flipped)
            attrs = [parse_label_attributes(other), parsed[c]]
            for i in range(len(rows)):
                seen_now = measure_attributes(flipped[i], None if flipped_raw is None else flipped_raw[i])
                mirrored.append((scores[i], agreement_features(attrs, seen_now), 0))
    return groups + [_stack("opposite", opposite), _stack("mirror", mirrored)]


def temperature_of(list_scores: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature of the second model's scores on the pseudo-unseen list (the fit's scale)."""
    return float(fit_temperature(list_scores, labels))
