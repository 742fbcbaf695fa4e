"""Zero-shot metrics: top-k accuracy, per-class accuracy, confusion, GZSL with calibrated stacking."""

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
