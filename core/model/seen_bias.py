"""Seen-label bias correction: a model scores the classes it was trained on higher than labels it never saw, so in
a list that mixes both a seen label wins too often. The live score of a seen label becomes
    score - bias * T(L)
with T(L) the model's calibrated softmax temperature for L labels, so the bias is in logits (temperature units)
and serves lists of any size. It is fitted on the seen validation clips and the pseudo-unseen clips of a second
model trained without those classes (core.training.seen_bias_fit), never on evaluation data; a model stores it
in its metrics under METRICS_KEY, and a model without it gets no correction. numpy only."""

from dataclasses import dataclass, field

import numpy as np

from core.readers.class_meaning import meaning_of_name
from core.readers.labels import label_key

METRICS_KEY = "seen_bias"
FORMAT = 1


@dataclass
class SeenBias:
    """Logits taken off every seen label's score, and the figures of its fit."""

    bias: float
    fitted_on: dict = field(default_factory=dict)
    format: int = FORMAT

    def apply(self, scores: np.ndarray, mask: np.ndarray, temperature: float) -> np.ndarray:
        """Scores (N, L) or (L,) with bias * temperature taken off the labels where mask (L,) is True."""
        mask = np.asarray(mask, dtype=bool)
        scores = np.asarray(scores)
        if scores.shape[-1] != mask.shape[-1]:
            raise ValueError(f"seen bias: scores {scores.shape} do not match a mask of {mask.shape[-1]} labels")
        dtype = scores.dtype if scores.dtype.kind == "f" else np.float64  # live float32 scores stay float32
        return (scores - self.bias * float(temperature) * mask).astype(dtype)

    def to_dict(self) -> dict:
        return {"format": self.format, "bias": float(self.bias), "fitted_on": self.fitted_on}

    @classmethod
    def from_dict(cls, data: dict) -> "SeenBias":
        """ValueError naming the problem for anything but a format-1 dict with a finite bias."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or "bias" not in data:
            raise ValueError(f"seen bias: expected {{'format': {FORMAT}, 'bias': number}}, got {data!r:.80}")
        try:
            bias = float(data["bias"])
        except (TypeError, ValueError):
            raise ValueError(f"seen bias: bias {data['bias']!r:.40} is not a number") from None
        if not np.isfinite(bias):
            raise ValueError(f"seen bias: bias {bias} is not finite")
        fitted_on = data.get("fitted_on") or {}
        if not isinstance(fitted_on, dict):
            raise ValueError(f"seen bias: fitted_on should be a dict, got {type(fitted_on).__name__}")
        return cls(bias, dict(fitted_on))


def load_seen_bias(metadata) -> SeenBias | None:
    """The correction stored in a model (a ModelMetadata or its metrics dict), or None for models calibrated
    before it existed: no correction."""
    metrics = metadata if isinstance(metadata, dict) else getattr(metadata, "metrics", {}) or {}
    stored = metrics.get(METRICS_KEY)
    return None if stored is None else SeenBias.from_dict(stored)


def seen_label_mask(names: list[str], seen_classes: list[str]) -> np.ndarray:
    """(L,) bool: which labels of a list name a class the model was trained on: the same name (label_key: case and
    spacing do not matter), or a class name of another dataset pooled with a seen one by meaning
    (assets/labels/pooled_classes.tsv: "hand waving" is seen when "high arm wave" was trained on)."""
    seen = {label_key(name) for name in seen_classes}
    meanings = {meaning_of_name(name) for name in seen_classes} - {None}
    return np.array([label_key(name) in seen or meaning_of_name(name) in meanings for name in names], dtype=bool)
