"""A learned attribute head: per measured attribute key ("side.arm", "limb", "direction.right_foot", ...) a
multinomial logistic regression with L2 from frozen encoder features (optionally with the analytic measurement's
log-probabilities appended) to the value the clip's label names. Trained on clips of seen classes whose names carry
attributes; it predicts in measure_attributes' format ({key: {value: probability}}), so agreement_features reads
it like the analytic measurement, alone (replace) or joined with it (combine). numpy and scipy only."""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from core.model.attribute_term import measured_key
from core.skeleton.attributes import FLOOR


def training_targets(parsed_labels: list[dict], labels: np.ndarray, measured: list[dict]) -> list[dict[str, str]]:
    """Per row {measured key: value the row's label names}: the key agreement_features would compare the label's
    attribute with (its named limb and side, else the row's measured acting effector), for values the
    measurement has. parsed_labels index by labels; measured: the analytic measurement of each row."""
    targets = []
    for label, seen in zip(np.asarray(labels).tolist(), measured):
        named, row = parsed_labels[label], {}
        for attribute, value in named.items():
            key = measured_key(attribute, named, seen)
            if key is not None and value in seen[key]:
                row[key] = value
        targets.append(row)
    return targets


def analytic_inputs(measured: list[dict], keys: list[str]) -> np.ndarray:
    """(N, sum of value counts) floored log-probabilities of the analytic measurement at `keys`, an extra input
    (zeros where a row lacks a key)."""
    widths = [sorted(measured[0].get(key, {})) if measured else [] for key in keys]
    out = np.zeros((len(measured), sum(len(w) for w in widths)))
    for n, seen in enumerate(measured):
        column = 0
        for key, values in zip(keys, widths):
            if key in seen:
                out[n, column:column + len(values)] = np.log(np.maximum([seen[key][v] for v in values], FLOOR))
            column += len(values)
    return out


def _loss(flat: np.ndarray, inputs: np.ndarray, onehot: np.ndarray, row_weights: np.ndarray, l2: float):
    """Weighted mean cross-entropy + l2/2 |W|^2 (bias not penalised) and its gradient; flat = (D+1, C)."""
    coefficients = flat.reshape(inputs.shape[1], onehot.shape[1])
    logits = inputs @ coefficients
    logits -= logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    loss = -float((row_weights * (onehot * log_probs).sum(axis=1)).sum())
    grad = inputs.T @ (row_weights[:, None] * (np.exp(log_probs) - onehot))
    penalised = coefficients[:-1]
    grad[:-1] += l2 * penalised
    return loss + 0.5 * l2 * float((penalised ** 2).sum()), grad.ravel()


@dataclass
class AttributeHead:
    """Standardisation of the inputs and, per key, its values and coefficients (D+1, C) (last row: bias)."""

    mean: np.ndarray
    scale: np.ndarray
    values: dict[str, tuple[str, ...]]
    coefficients: dict[str, np.ndarray]
    rows: dict[str, dict[str, int]]  # key -> training rows per value

    def predict(self, inputs: np.ndarray) -> list[dict[str, dict[str, float]]]:
        """Per row {key: {value: probability}} for every key the head was trained on."""
        z = self._standardised(inputs)
        out = [{} for _ in range(len(z))]
        for key, coefficients in self.coefficients.items():
            logits = z @ coefficients
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            for n in range(len(z)):
                out[n][key] = dict(zip(self.values[key], probs[n].tolist()))
        return out

    def _standardised(self, inputs: np.ndarray) -> np.ndarray:
        z = (np.asarray(inputs, dtype=np.float64) - self.mean) / self.scale
        return np.hstack([z, np.ones((len(z), 1))])


def fit_attribute_head(inputs: np.ndarray, targets: list[dict[str, str]], values: dict[str, tuple] | None = None,
                       l2: float = 1e-2, balanced: bool = True, min_rows: int = 5) -> AttributeHead:
    """An AttributeHead from inputs (N, D) and per-row targets (training_targets). values: key -> the values to
    predict over (default: those the targets name; give the analytic key's values so the head's distribution
    covers the same ones). A key is trained when at least two of its values have min_rows rows each; balanced
    weighs every value's rows equally (seen classes name "right" far more often than "left").
    ValueError when no key qualifies."""
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 2 or len(inputs) != len(targets):
        raise ValueError(f"attribute head: inputs {inputs.shape} and {len(targets)} targets do not match")
    keys = dict.fromkeys(key for row in targets for key in row)
    if not keys:
        raise ValueError("attribute head: no row has a label naming an attribute to train on")
    scale = inputs.std(axis=0)
    head = AttributeHead(inputs.mean(axis=0), np.where(scale > 1e-8, scale, 1.0), {}, {}, {})
    z = head._standardised(inputs)
    for key in keys:
        rows = np.array([n for n, row in enumerate(targets) if key in row], dtype=int)
        named = [targets[n][key] for n in rows]
        counts = {v: named.count(v) for v in dict.fromkeys(named)}
        if sum(c >= min_rows for c in counts.values()) < 2:
            continue  # one value only: nothing to tell apart
        key_values = tuple(values[key]) if values and key in values else tuple(sorted(counts))
        onehot = np.zeros((len(rows), len(key_values)))
        onehot[np.arange(len(rows)), [key_values.index(v) for v in named]] = 1
        row_weights = np.array([1.0 / counts[v] if balanced else 1.0 for v in named])
        row_weights /= row_weights.sum()
        result = minimize(_loss, np.zeros(z.shape[1] * len(key_values)), args=(z[rows], onehot, row_weights, l2),
                          jac=True, method="L-BFGS-B", options={"maxiter": 500})
        head.values[key] = key_values
        head.coefficients[key] = result.x.reshape(z.shape[1], len(key_values))
        head.rows[key] = counts
    if not head.coefficients:
        raise ValueError("attribute head: no attribute key has labelled rows of two values "
                         f"(at least {min_rows} rows each) to train on")
    return head


def join_measurements(analytic: dict, learned: dict, how: str = "replace") -> dict:
    """The analytic measurement with the learned keys put in: "replace" takes the head's distribution, "combine"
    the normalised geometric mean of both (average of floored log-probabilities) over the analytic values."""
    if how not in ("replace", "combine"):
        raise ValueError(f"join_measurements: how must be 'replace' or 'combine', not {how!r}")
    out = dict(analytic)
    for key, probs in learned.items():
        if how == "replace" or key not in analytic:
            out[key] = dict(probs)
            continue
        values = list(analytic[key])
        logs = [0.5 * (np.log(max(analytic[key][v], FLOOR)) + np.log(max(probs.get(v, 0.0), FLOOR))) for v in values]
        joined = np.exp(np.array(logs) - max(logs))
        out[key] = dict(zip(values, (joined / joined.sum()).tolist()))
    return out
