"""Zero-shot metrics: top-k accuracy, per-class accuracy, confusion, GZSL with calibrated stacking, and how well
probabilities mean what they say (ECE, NLL, Brier, AUROC of confidence, selective accuracy)."""

import numpy as np


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Fraction of rows whose true label is among the k highest scores. scores (N, L), labels (N,)."""
    scores, labels = np.asarray(scores), np.asarray(labels)
    assert scores.ndim == 2 and scores.shape[0] == labels.shape[0], f"scores {scores.shape} vs labels {labels.shape}"
    if scores.shape[0] == 0:
        return float("nan")
    k = min(k, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def per_class_accuracy(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes,) top-1 accuracy per true class, NaN for classes with no clip."""
    result = np.full(num_classes, np.nan)
    for c in range(num_classes):
        rows = labels == c
        if rows.any():
            result[c] = float((predicted[rows] == c).mean())
    return result


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts, rows true class, columns predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
    return matrix


def zsl_metrics(scores: np.ndarray, labels: np.ndarray) -> dict:
    """Top-1 and top-5 over the candidate (unseen) labels, as fractions."""
    return {"top1": topk_accuracy(scores, labels, 1), "top5": topk_accuracy(scores, labels, 5), "n": int(len(labels))}


def calibrated_stacking(scores: np.ndarray, seen_mask: np.ndarray, gamma: float) -> np.ndarray:
    """Subtract gamma from every seen class's score (Chao et al. 2016) so unseen classes can win."""
    return scores - gamma * np.asarray(seen_mask, dtype=scores.dtype)[None, :]


def tune_gamma_on_seen(seen_scores: np.ndarray, seen_labels: np.ndarray, seen_mask: np.ndarray,
                       keep: float = 0.9, steps: int = 200) -> float:
    """Largest gamma that keeps `keep` of the uncalibrated seen-class accuracy on seen validation clips.

    Only seen-class data is used: the unseen test classes never influence the choice."""
    base = topk_accuracy(seen_scores, seen_labels, 1)
    spread = float(seen_scores.max() - seen_scores.min()) or 1.0
    best = 0.0
    for gamma in np.linspace(0.0, spread, steps):
        if topk_accuracy(calibrated_stacking(seen_scores, seen_mask, gamma), seen_labels, 1) >= keep * base:
            best = float(gamma)
        else:
            break
    return best


def gzsl_metrics(scores: np.ndarray, labels: np.ndarray, seen_mask: np.ndarray, gamma: float) -> dict:
    """Seen accuracy S, unseen accuracy U and harmonic mean H = 2SU/(S+U) over all classes, after calibration."""
    predicted = calibrated_stacking(scores, seen_mask, gamma).argmax(axis=1)
    is_seen_clip = np.asarray(seen_mask, dtype=bool)[labels]
    seen_acc = float((predicted[is_seen_clip] == labels[is_seen_clip]).mean()) if is_seen_clip.any() else float("nan")
    unseen_acc = float((predicted[~is_seen_clip] == labels[~is_seen_clip]).mean()) if (~is_seen_clip).any() else float("nan")
    harmonic = 2 * seen_acc * unseen_acc / (seen_acc + unseen_acc) if seen_acc + unseen_acc > 0 else 0.0
    return {"seen": seen_acc, "unseen": unseen_acc, "harmonic": harmonic, "gamma": gamma}


def fit_temperature(scores: np.ndarray, labels: np.ndarray, low: float = 1e-3, high: float = 1e2,
                    steps: int = 121) -> float:
    """The softmax temperature that minimises the negative log-likelihood of the true labels (grid on a log
    scale), so live probabilities mean what they say. scores (N, L), labels (N,)."""
    scores = np.asarray(scores, dtype=np.float64)
    best, best_nll = 1.0, np.inf
    for temperature in np.geomspace(low, high, steps):
        z = scores / temperature
        z = z - z.max(axis=1, keepdims=True)
        nll = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))
        if nll < best_nll:
            best, best_nll = float(temperature), nll
    return best


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """(N, L) scores -> (N, L) probabilities at the temperature, rows summing to 1."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def reliability_bins(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> list[dict]:
    """Top-1 probability in equal-width bins over [0, 1]: per bin its count, mean confidence and accuracy."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    index = np.minimum((confidence * bins).astype(int), bins - 1)  # a confidence of 1.0 joins the top bin
    rows = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        rows.append({"low": b / bins, "high": (b + 1) / bins, "count": count,
                     "confidence": float(confidence[members].mean()) if count else float("nan"),
                     "accuracy": float(correct[members].mean()) if count else float("nan")})
    return rows


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Sum over equal-width bins of |accuracy - mean top-1 probability|, weighted by the bin's share of clips."""
    total = len(labels)
    return float(sum(r["count"] / total * abs(r["accuracy"] - r["confidence"])
                     for r in reliability_bins(probs, labels, bins) if r["count"])) if total else float("nan")


def confidence_auroc(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Chance that a right answer is more confident than a wrong one (ties count half); NaN without both."""
    right, wrong = confidence[correct], confidence[~correct]
    if not len(right) or not len(wrong):
        return float("nan")
    # Mann-Whitney U from average ranks (1-based; equal values share their mean rank)
    _, inverse, counts = np.unique(np.concatenate([right, wrong]), return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    u = ranks[:len(right)].sum() - len(right) * (len(right) + 1) / 2
    return float(u / (len(right) * len(wrong)))


def calibration_metrics(scores: np.ndarray, labels: np.ndarray, temperature: float = 1.0, bins: int = 10) -> dict:
    """How far the probabilities softmax(scores / temperature) can be trusted, over N clips and L labels:
    ece, nll, brier, auroc (confidence of right against wrong answers), selective_top1_50 (top-1 on the most
    confident half) and mean_top_prob_wrong. A flat softmax can look calibrated at chance; AUROC and selective
    accuracy show whether confidence ranks answers at all."""
    labels = np.asarray(labels)
    probs = softmax(scores, temperature)
    n = len(labels)
    if n == 0:
        return {key: float("nan") for key in ("ece", "nll", "brier", "auroc", "selective_top1_50",
                                               "mean_top_prob_wrong")}
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    truth = probs[np.arange(n), labels]
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(n), labels] = 1.0
    confident_half = np.argsort(-confidence, kind="stable")[:max(1, -(-n // 2))]
    return {"ece": expected_calibration_error(probs, labels, bins),
            "nll": float(-np.log(np.maximum(truth, 1e-12)).mean()),
            "brier": float(((probs - one_hot) ** 2).sum(axis=1).mean()),
            "auroc": confidence_auroc(confidence, correct),
            "selective_top1_50": float(correct[confident_half].mean()),
            "mean_top_prob_wrong": float(confidence[~correct].mean()) if (~correct).any() else float("nan")}


def model_temperature(metrics: dict, num_labels: int) -> float:
    """The softmax temperature a model's metrics give for a list of num_labels labels: its temperature fitted on
    pseudo-unseen classes ("unseen_temperature": {list size: temperature}, interpolated in log size and held at
    the ends) where it has one, else the one fitted on seen classes, else 1 (older models)."""
    table = metrics.get("unseen_temperature")
    if not table:
        return float(metrics.get("temperature", 1.0))
    sizes = np.array(sorted(int(size) for size in table))
    values = np.array([float(table[str(size)] if str(size) in table else table[size]) for size in sizes])
    return float(np.interp(np.log(max(num_labels, 1)), np.log(sizes), values))


UNSURE_KEY = "unsure_below"  # where a model's metrics keep the threshold chosen by smie calibrate
UNSURE_PRECISION = 0.5  # an answer shown as one label must be at least this likely right
UNSURE_MIN_ANSWERED = 0.02  # share of answers a threshold must keep for its precision to count
UNSURE_GRID = np.round(np.arange(0.0, 1.0, 0.01), 2)


def isotonic_accuracy(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct top probabilities ascending, the chance an answer at each is right): the non-decreasing fit of
    right/wrong against top probability (pool adjacent violators), so noise between nearby values averages out."""
    values, inverse = np.unique(np.asarray(confidence, np.float64), return_inverse=True)
    sums = np.bincount(inverse, weights=np.asarray(correct, np.float64), minlength=len(values))
    counts = np.bincount(inverse, minlength=len(values)).astype(np.float64)
    blocks: list[list[float]] = []  # [right, answers, distinct values] per pooled block
    for right, count in zip(sums, counts):
        blocks.append([right, count, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    return values, np.repeat([b[0] / b[1] for b in blocks], [int(b[2]) for b in blocks])


def unsure_threshold(confidence: np.ndarray, correct: np.ndarray, precision: float = UNSURE_PRECISION) -> float | None:
    """The "unsure" threshold by this rule: the lowest top probability from which an answer is at least
    `precision` likely right, by isotonic_accuracy (the chance of being right at that top probability, not on
    average over all the more confident ones, which the easy answers would prop up). Under it an answer is more
    likely wrong than right and a result says "unsure". 0 when every answer is; None when none is.
    confidence (N,) top probabilities, correct (N,) bool."""
    values, accuracy = isotonic_accuracy(confidence, correct)
    enough = np.flatnonzero(accuracy >= precision)
    if not len(enough):
        return None
    return 0.0 if enough[0] == 0 else float(np.floor(values[enough[0]] * 1000) / 1000)


def precision_threshold(confidence: np.ndarray, correct: np.ndarray, precision: float = UNSURE_PRECISION,
                        min_answered: float = UNSURE_MIN_ANSWERED, grid=UNSURE_GRID) -> float | None:
    """A looser rule, for comparison: the lowest p of the grid such that the answers with top probability >= p
    are right at least `precision` of the time on average, and so are those above every higher threshold that
    still keeps `min_answered` of the answers. None when no threshold reaches the precision."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, bool)
    chosen = None
    for p in sorted(np.asarray(grid, np.float64), reverse=True):  # from the top: the last p whose run holds
        answered = confidence >= p
        if answered.mean() < min_answered:
            continue
        if correct[answered].mean() < precision:
            break
        chosen = float(p)
    return chosen


def unsure_figures(confidence: np.ndarray, correct: np.ndarray, threshold: float) -> dict:
    """Share of answers a threshold keeps as one label, their accuracy, and the accuracy of the unsure rest."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, bool)
    answered = confidence >= threshold
    return {"answered": float(answered.mean()) if len(answered) else float("nan"),
            "accuracy_answered": float(correct[answered].mean()) if answered.any() else float("nan"),
            "accuracy_unsure": float(correct[~answered].mean()) if (~answered).any() else float("nan"),
            "episodes": len(correct)}


def load_unsure_below(metrics) -> float | None:
    """The "unsure" threshold a model's metrics (or its ModelMetadata) store (smie calibrate, under UNSURE_KEY),
    or None for models calibrated before it existed or where no threshold reached the precision: keep the
    default."""
    metrics = metrics if isinstance(metrics, dict) else getattr(metrics, "metrics", None) or {}
    stored = metrics.get(UNSURE_KEY)
    value = stored.get("threshold") if isinstance(stored, dict) else None
    if value is None:
        return None
    value = float(value)
    return value if 0.0 <= value <= 1.0 else None
