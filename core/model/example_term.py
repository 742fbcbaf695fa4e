"""Scoring a label by its recorded examples beside its text, on one scale.

A label's score is its text (SMIE) score plus, when it has examples, an example term in the same units:
    score = text + T(L) * weight(n) * scale * (similarity - offset)
where similarity is the mean over the label's examples of the cosine between the window's features and that
example's prototype (the mean feature of its windows), n is the label's number of examples, weight(n) = n / (n + half_weight_at) grows with
n, and T(L) is the model's calibrated softmax temperature for L labels, so softmax(score / T(L)) adds the example
evidence to the calibrated text logits. A label without examples keeps its text score: an offset that is the
similarity of an unrelated action keeps mixed lists fair. scale, offset and half_weight_at are fitted on
few-shot episodes of classes a model never trained on (core.training.fusion_fit), never on an evaluation folder.
"""

from dataclasses import asdict, dataclass

import numpy as np

METRICS_KEY = "example_fusion"  # where a model's model.json keeps the fitted FusionWeights


@dataclass(frozen=True)
class FusionWeights:
    scale: float = 20.0  # logits per unit of cosine similarity, at full weight
    offset: float = 0.5  # similarity that counts as no evidence either way
    half_weight_at: float = 1.0  # examples at which the example term has half its full weight

    def weight(self, num_examples: np.ndarray) -> np.ndarray:
        n = np.asarray(num_examples, np.float64)
        return n / (n + self.half_weight_at)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_metrics(cls, metrics: dict) -> "FusionWeights":
        """The weights a model stores (METRICS_KEY), or the defaults for a model fitted before they existed."""
        stored = metrics.get(METRICS_KEY) or {}
        return cls(**{key: float(stored[key]) for key in ("scale", "offset", "half_weight_at") if key in stored})


@dataclass(frozen=True)
class ExampleBank:
    """The examples of some labels, aligned with one label list: one unit-norm prototype per example, the mean of
    the features of that example's windows (core.live.example_features), so every part of the action counts.

    prototypes (E, F); label_of_example (E,) the label index of each; num_examples (L,) per label."""

    prototypes: np.ndarray
    label_of_example: np.ndarray
    num_examples: np.ndarray

    @classmethod
    def from_examples(cls, per_label: list[list[np.ndarray]]) -> "ExampleBank":
        """per_label[l]: one (W_e, F) feature array per example of label l (an empty list: no examples)."""
        prototypes, label_of_example = [], []
        for label, examples in enumerate(per_label):
            for example in examples:
                windows = unit_rows(np.asarray(example, np.float64).reshape(-1, np.shape(example)[-1]))
                prototypes.append(unit_rows(windows.mean(axis=0)))
                label_of_example.append(label)
        labels = np.asarray(label_of_example, np.int64)
        prototypes = np.stack(prototypes) if prototypes else np.zeros((0, 0))
        return cls(prototypes, labels, np.bincount(labels, minlength=len(per_label)))

    @property
    def any(self) -> bool:
        return bool(self.num_examples.any())

    def similarity(self, features: np.ndarray) -> np.ndarray:
        """(N, F) query features -> (N, L) mean cosine to each label's example prototypes; 0 for labels
        without examples."""
        queries = unit_rows(np.asarray(features, np.float64))
        per_label = np.zeros((len(queries), len(self.num_examples)))
        if self.any:
            np.add.at(per_label.T, self.label_of_example, (queries @ self.prototypes.T).T)
        return per_label / np.maximum(self.num_examples, 1)


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def example_term(similarity: np.ndarray, num_examples: np.ndarray, weights: FusionWeights) -> np.ndarray:
    """(N, L) similarities and (L,) example counts -> (N, L) logits to add to the calibrated text logits
    (0 where a label has no examples)."""
    weight = weights.weight(num_examples)
    return np.where(num_examples > 0, weight * weights.scale * (similarity - weights.offset), 0.0)


def fuse_parts(text_scores: np.ndarray, term: np.ndarray, temperature: float) -> np.ndarray:
    """Text scores (N, L) plus the example logits (N, L) in text units (see the module docstring)."""
    return np.asarray(text_scores, np.float64) + temperature * np.asarray(term, np.float64)


def evidence(text_scores: np.ndarray, term: np.ndarray, num_examples: np.ndarray, temperature: float) -> list[str]:
    """For one window: per label, what raised it above the others: "text" (no examples, or the text favours it
    and its examples do not), "examples", or "both". text_scores (L,), term (L,) the example logits."""
    text_push = (np.asarray(text_scores, np.float64) - np.mean(text_scores)) / temperature
    kinds = []
    for push, example_push, count in zip(text_push, term, num_examples):
        if count == 0:
            kinds.append("text")
        elif push > 0 and example_push > 0:
            kinds.append("both")
        else:
            kinds.append("examples" if example_push >= push else "text")
    return kinds
