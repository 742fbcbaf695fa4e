"""Scoring a label by its recorded examples beside its text, on one scale.

A label's score is its text (SMIE) score plus, when it has examples, an example term in the same units:
    score = text + T(L) * weight(n) * (scale * (similarity - offset) - text_drop * text / T(L))
where similarity is the cosine between the window's features and the mean of the label's example prototypes
(each the mean feature of one example's windows), n is the label's number of examples, weight(n) =
n / (n + half_weight_at) grows with n, text_drop is how much of a taught label's text logit its examples
replace (all of it for a label whose name does not pick out its own examples: text_trust), and T(L) is the model's calibrated softmax temperature for L labels, so softmax(score / T(L)) adds the
example evidence to the calibrated text logits. A label without examples keeps its text score: an offset that
is the similarity of an unrelated action keeps mixed lists fair. The weights are fitted on few-shot episodes of
classes a model never trained on (core.training.fusion_fit), never on an evaluation folder.
"""

import dataclasses
from dataclasses import asdict, dataclass

import numpy as np

METRICS_KEY = "example_fusion"  # where a model's model.json keeps the fitted FusionWeights


@dataclass(frozen=True)
class FusionWeights:
    scale: float = 20.0  # logits per unit of cosine similarity, at full weight
    offset: float = 0.5  # similarity that counts as no evidence either way
    half_weight_at: float = 1.0  # examples at which the example term has half its full weight
    text_drop: float = 0.0  # share of a label's own text logit its examples replace, at full weight

    def weight(self, num_examples: np.ndarray) -> np.ndarray:
        n = np.asarray(num_examples, np.float64)
        return n / (n + self.half_weight_at)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_metrics(cls, metrics: dict) -> "FusionWeights":
        """The weights a model stores (METRICS_KEY), or the defaults for a model fitted before they existed."""
        stored = metrics.get(METRICS_KEY) or {}
        return cls(**{key: float(stored[key]) for key in ("scale", "offset", "half_weight_at", "text_drop")
                      if key in stored})


@dataclass(frozen=True)
class ExampleBank:
    """The examples of some labels, aligned with one label list: one unit-norm prototype per example, the mean of
    the features of that example's windows (core.live.example_features), so every part of the action counts.

    prototypes (E, F); label_of_example (E,) the label index of each; num_examples (L,) per label."""

    prototypes: np.ndarray
    label_of_example: np.ndarray
    num_examples: np.ndarray
    # (L,) share of each label's examples that its text scores above every other label of the list (1 where
    # unknown): a name that does not describe what the user recorded gives way to the recordings
    text_trust: np.ndarray | None = None

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

    def with_text_trust(self, example_text_scores: np.ndarray) -> "ExampleBank":
        """The bank with text_trust from (E, L) text scores of its examples (in prototype order)."""
        return dataclasses.replace(self, text_trust=text_trust(example_text_scores, self.label_of_example,
                                                               len(self.num_examples)))

    @property
    def any(self) -> bool:
        return bool(self.num_examples.any())

    def similarity(self, features: np.ndarray) -> np.ndarray:
        """(N, F) query features -> (N, L) cosine to each label's mean example prototype (the class mean, which
        beats the mean of per-example cosines from three examples on); 0 for labels without examples."""
        queries = unit_rows(np.asarray(features, np.float64))
        num_labels = len(self.num_examples)
        if not self.any:
            return np.zeros((len(queries), num_labels))
        means = np.zeros((num_labels, self.prototypes.shape[1]))
        np.add.at(means, self.label_of_example, self.prototypes)
        return queries @ unit_rows(means).T  # a zero mean (no examples) stays 0


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def text_trust(example_text_scores: np.ndarray, label_of_example: np.ndarray, num_labels: int) -> np.ndarray:
    """(L,) per label, the share of its examples whose text scores (E, L) rank it first; 1 without examples."""
    trust = np.ones(num_labels)
    if len(label_of_example):
        right = np.asarray(example_text_scores).argmax(axis=1) == label_of_example
        counts = np.bincount(label_of_example, minlength=num_labels)
        hits = np.bincount(label_of_example, weights=right, minlength=num_labels)
        trust = np.where(counts > 0, hits / np.maximum(counts, 1), 1.0)
    return trust


def example_term(similarity: np.ndarray, num_examples: np.ndarray, weights: FusionWeights,
                 text_logits: np.ndarray, text_trust: np.ndarray | None = None) -> np.ndarray:
    """(N, L) similarities, (L,) example counts and (N, L) text logits (text scores over the temperature) ->
    (N, L) logits to add to the text logits: weight(n) * (scale * (similarity - offset) - drop * text logit),
    0 where a label has no examples. drop = text_drop, raised towards 1 as text_trust (L,) falls: a label whose
    text ranks none of its own examples first is scored by its examples alone."""
    weight = weights.weight(num_examples)
    # a name gives way only to example evidence: without a scale the examples say nothing and the name stands
    trust = 1.0 if text_trust is None or weights.scale <= 0 else np.asarray(text_trust)
    drop = 1.0 - (1.0 - weights.text_drop) * trust
    evidence_logits = weights.scale * (similarity - weights.offset) - drop * np.asarray(text_logits)
    return np.where(num_examples > 0, weight * evidence_logits, 0.0)


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
