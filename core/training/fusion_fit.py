"""Fitting how much a label's recorded examples count against its text score (core.model.example_term) on
few-shot episodes of classes a model never trained on: mixed label lists where some labels have 1-5 examples and
the others only their name, scored as the live app scores them. Nothing of an evaluation folder is used."""

from dataclasses import dataclass, field

import numpy as np

from core.model.example_term import FusionWeights, example_term, text_trust, unit_rows

SHOTS = (1, 2, 3, 5)
LIST_SIZES = (3, 5, 10, 20)
EXAMPLE_SHARES = (0.5, 1.0)  # mixed lists, and lists where every label was taught by example
SCALES = np.linspace(0.0, 60.0, 7)  # the coarse grid; fit_fusion refines around its best
OFFSETS = np.linspace(0.0, 1.0, 21)
HALF_WEIGHTS = (0.25, 0.5, 1.0, 2.0)
TEXT_DROPS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass
class Episodes:
    """Rows of every query of every episode, padded to the largest list: text logits (R, L) (text score over the
    list's calibrated temperature), similarity (R, L), examples per label (R, L), truth (R,), mask (R, L)."""

    text_logits: np.ndarray
    similarity: np.ndarray
    num_examples: np.ndarray
    truth: np.ndarray
    mask: np.ndarray
    shots: np.ndarray  # (R,) examples of the query's own label (0: it is scored by its name only)
    text_trust: np.ndarray | None = None  # (R, L) how far each label's name agrees with the examples
    episodes: int = 0


@dataclass
class FusionFit:
    weights: FusionWeights
    nll: dict = field(default_factory=dict)  # "text only" and "fused": mean NLL over the episodes
    top1: dict = field(default_factory=dict)  # per shots of the true label, text only and fused
    episodes: int = 0
    rows: int = 0


def draw_episodes(features: np.ndarray, text_scores: np.ndarray, truth: np.ndarray, temperature_for,
                  episodes: int = 400, seed: int = 0, queries_per_class: int = 6) -> Episodes:
    """features (N, F) and text_scores (N, C) of N clips of C classes (truth (N,)). Per episode: L classes
    (LIST_SIZES, at most the classes with two clips), each given K examples (SHOTS, fewer than its clips) or none,
    in half of the episodes with even odds and in the other half always; up to queries_per_class other clips of
    each class are queries; each taught label's text trust is how far its name agrees with the list's examples
    (core.model.example_term.text_trust), as the app measures it. temperature_for(L): the model's calibrated
    softmax temperature. ValueError when fewer than two classes have two clips."""
    rng = np.random.default_rng(seed)
    features = unit_rows(np.asarray(features, np.float64))
    by_class = [np.flatnonzero(truth == c) for c in range(text_scores.shape[1])]
    usable = [c for c, rows in enumerate(by_class) if len(rows) >= 2]  # one example and one query at least
    if len(usable) < 2:
        raise ValueError(f"few-shot episodes need two classes with two clips or more; {len(usable)} have")
    width = max(LIST_SIZES)
    names = ("text_logits", "similarity", "num_examples", "truth", "mask", "shots", "text_trust")
    out = {name: [] for name in names}
    for _ in range(episodes):
        size = min(int(rng.choice(LIST_SIZES)), len(usable))
        classes = rng.choice(usable, size, replace=False)
        most = np.array([len(by_class[c]) - 1 for c in classes])  # keep a query per class
        share = rng.choice(EXAMPLE_SHARES)  # of the list's labels that have examples
        counts = np.where(rng.random(size) < share, np.minimum(rng.choice(SHOTS, size), most), 0)
        queries = []
        for slot, c in enumerate(classes):
            rows = rng.permutation(by_class[c])
            queries.append((slot, rows[counts[slot]:counts[slot] + queries_per_class], rows[:counts[slot]]))
        query_rows = np.concatenate([q for _, q, _ in queries])
        query_truth = np.concatenate([[slot] * len(q) for slot, q, _ in queries]).astype(np.int64)
        sims = np.zeros((len(query_rows), size))
        for slot, _, examples in queries:  # cosine to the examples' mean (a clip is one window here)
            if len(examples):
                sims[:, slot] = features[query_rows] @ unit_rows(features[examples].mean(axis=0))
        example_rows = np.concatenate([examples for _, _, examples in queries]).astype(np.int64)
        example_slots = np.concatenate([[slot] * len(examples) for slot, _, examples in queries]).astype(np.int64)
        trust = text_trust(text_scores[np.ix_(example_rows, classes)], example_slots, size, temperature_for(size))
        logits = text_scores[np.ix_(query_rows, classes)] / temperature_for(size)
        pad = width - size
        out["text_logits"].append(np.pad(logits, ((0, 0), (0, pad))))
        out["similarity"].append(np.pad(sims, ((0, 0), (0, pad))))
        out["num_examples"].append(np.pad(np.broadcast_to(counts, sims.shape), ((0, 0), (0, pad))))
        out["mask"].append(np.pad(np.ones_like(sims, bool), ((0, 0), (0, pad))))
        out["truth"].append(query_truth)
        out["shots"].append(counts[query_truth])
        out["text_trust"].append(np.pad(np.broadcast_to(trust, sims.shape), ((0, 0), (0, pad)), constant_values=1))
    return Episodes(*(np.concatenate(out[name]) for name in names), episodes)


def _nll_and_top1(episodes: Episodes, weights: FusionWeights) -> tuple[float, np.ndarray]:
    term = example_term(episodes.similarity, episodes.num_examples, weights, episodes.text_logits,
                        episodes.text_trust)
    logits = np.where(episodes.mask, episodes.text_logits + term, -np.inf)
    logits = logits - logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    rows = np.arange(len(episodes.truth))
    return float(-log_probs[rows, episodes.truth].mean()), logits.argmax(axis=1) == episodes.truth


def _best_on_grid(episodes: Episodes, scales, offsets, halves, drops, best=None):
    for drop in drops:
        for half in halves:
            for scale in scales:
                for offset in offsets:
                    weights = FusionWeights(float(scale), float(offset), float(half), float(drop))
                    nll, right = _nll_and_top1(episodes, weights)
                    key = (float(right.mean()), -nll)  # top-1 first, then NLL
                    if best is None or key > best[0]:
                        best = (key, weights)
                    if scale == 0:
                        break  # the offset does nothing without a scale
    return best


def fit_fusion(episodes: Episodes) -> FusionFit:
    """The FusionWeights of best top-1 over the episodes (least NLL among equals): a coarse grid, then a fine one
    around its best. Top-1 first because NLL alone kept half of a taught label's text and ranked worse than the
    examples alone where every label is taught (measured on the held-out classes the fit uses)."""
    best = _best_on_grid(episodes, SCALES, OFFSETS, HALF_WEIGHTS, TEXT_DROPS)
    coarse = best[1]
    best = _best_on_grid(episodes, np.clip(coarse.scale + np.arange(-8.0, 8.5, 2.0), 0, None),
                         np.clip(coarse.offset + np.arange(-0.05, 0.055, 0.01), 0, 1), [coarse.half_weight_at],
                         [coarse.text_drop], best)
    text_nll, text_right = _nll_and_top1(episodes, FusionWeights(0.0))
    fused_nll, fused_right = _nll_and_top1(episodes, best[1])
    top1 = {}
    for shots in np.unique(episodes.shots):
        rows = episodes.shots == shots
        top1[int(shots)] = {"text": float(text_right[rows].mean()), "fused": float(fused_right[rows].mean()),
                            "queries": int(rows.sum())}
    return FusionFit(best[1], {"text": text_nll, "fused": fused_nll}, top1, episodes.episodes, len(episodes.truth))
