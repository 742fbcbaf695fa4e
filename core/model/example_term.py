"""Scoring a label by its recorded examples beside its text, on one scale.

A label's score is its text (SMIE) score plus, when it has examples, an example term in the same units:
    score = text + T(L) * (weight(n) * scale * (similarity - offset) - (1 - keep) * text / T(L)),
    keep = trust * (1 - weight(n) * text_drop)
where similarity is the cosine between the window's features and the closer of the label's two class means (of
its examples' window prototypes, each the mean feature of one example's windows, or of its whole examples), n
is the label's number of examples, weight(n) = n / (n + half_weight_at) grows with n, keep is the share of its
text logit a taught label keeps (text_drop of it goes at full weight; all of it where the name does not agree
with the recordings: text_trust), and T(L) is the model's calibrated softmax temperature for L labels, so
softmax(score / T(L)) adds the example evidence to the calibrated text logits. A label without examples keeps its
text score: an offset that is the similarity of an unrelated action keeps mixed lists fair. The weights are fitted
on few-shot episodes of classes a model never trained on (core.training.fusion_fit), never on an evaluation folder.
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
    """The examples of some labels, aligned with one label list, as two unit-norm prototypes per example: the
    mean feature of its windows (core.live.example_features), so every part of the action counts, and the
    feature of the whole example. A live window is like a part of the action, a whole clip like all of it: the
    query is compared with each label's mean of either and the closer counts (similarity).

    prototypes (E, F) the windows' means and wholes (E, F) the whole examples; label_of_example (E,) the label
    index of each; num_examples (L,) per label."""

    prototypes: np.ndarray
    wholes: np.ndarray
    label_of_example: np.ndarray
    num_examples: np.ndarray
    # (L,) how far each label's name agrees with the list's recordings (text_trust; 1 where unknown): a name
    # that does not describe what the user recorded gives way to the recordings
    text_trust: np.ndarray | None = None

    @classmethod
    def from_examples(cls, per_label: list[list[np.ndarray]]) -> "ExampleBank":
        """per_label[l]: one (W_e, F) feature array per example of label l, its windows with the whole example
        last (core.live.example_features.example_windows; an empty list: no examples)."""
        prototypes, wholes, label_of_example = [], [], []
        for label, examples in enumerate(per_label):
            for example in examples:
                windows = unit_rows(np.asarray(example, np.float64).reshape(-1, np.shape(example)[-1]))
                prototypes.append(unit_rows(windows.mean(axis=0)))
                wholes.append(windows[-1])
                label_of_example.append(label)
        labels = np.asarray(label_of_example, np.int64)
        if not prototypes:
            return cls(np.zeros((0, 0)), np.zeros((0, 0)), labels, np.zeros(len(per_label), np.int64))
        return cls(np.stack(prototypes), np.stack(wholes), labels, np.bincount(labels, minlength=len(per_label)))

    def with_text_trust(self, example_text_scores: np.ndarray, temperature: float = 1.0) -> "ExampleBank":
        """The bank with text_trust from (E, L) text scores of its examples (in prototype order) and the list's
        calibrated temperature."""
        return dataclasses.replace(self, text_trust=text_trust(example_text_scores, self.label_of_example,
                                                               len(self.num_examples), temperature))

    @property
    def any(self) -> bool:
        return bool(self.num_examples.any())

    def similarity(self, features: np.ndarray) -> np.ndarray:
        """(N, F) query features -> (N, L) cosine to each label's closer class mean, of its examples' window
        prototypes or of its whole examples (the class mean beats the mean of per-example cosines from three
        examples on); 0 for labels without examples."""
        queries = unit_rows(np.asarray(features, np.float64))
        if not self.any:
            return np.zeros((len(queries), len(self.num_examples)))
        return np.maximum(queries @ self._class_means(self.prototypes).T, queries @ self._class_means(self.wholes).T)

    def _class_means(self, rows: np.ndarray) -> np.ndarray:
        means = np.zeros((len(self.num_examples), rows.shape[1]))
        np.add.at(means, self.label_of_example, rows)
        return unit_rows(means)  # a zero mean (no examples) stays 0


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


SHARPNESS_GRID = np.linspace(0.0, 1.0, 21)  # factors on the text logits text_sharpness chooses from


def text_trust(example_text_scores: np.ndarray, label_of_example: np.ndarray, num_labels: int,
               temperature: float = 1.0) -> np.ndarray:
    """(L,) per label, how far its name agrees with the list's recordings, from the text scores (E, L) of every
    example (softmax(scores / temperature) the calibrated text probabilities): its agreement (the examples whose
    text ranks the label first and that are its own, over those that are either its own or ranked it first)
    times the list's text sharpness (text_sharpness). Counting the other labels' examples a name takes as well
    as its own it misses keeps a name that wins everything, as a side or direction term can on gestures that all
    raise an arm, from keeping its text; the sharpness turns down a text that is surer than the recordings bear
    out. 1 for a label without examples."""
    trust = np.ones(num_labels)
    if len(label_of_example):
        scores = np.asarray(example_text_scores, np.float64)
        ranked_first = scores.argmax(axis=1)
        own = np.bincount(label_of_example, minlength=num_labels)
        hits = np.bincount(label_of_example, weights=ranked_first == label_of_example, minlength=num_labels)
        taken = np.bincount(ranked_first, minlength=num_labels)
        agreement = hits / np.maximum(own + taken - hits, 1)
        trust = np.where(own > 0, agreement * text_sharpness(scores / temperature, label_of_example), 1.0)
    return trust


def text_sharpness(example_text_logits: np.ndarray, label_of_example: np.ndarray) -> float:
    """The factor in [0, 1] on the list's text logits (E, L) under which the text best predicts the examples' own
    labels (least NLL; the first of equals): 1 where the text's confidence is borne out, near 0 where its sure
    answers are wrong."""
    rows = np.arange(len(label_of_example))
    best, best_nll = 1.0, np.inf
    for factor in SHARPNESS_GRID:
        logits = factor * example_text_logits
        logits = logits - logits.max(axis=1, keepdims=True)
        nll = float(np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[rows, label_of_example]))
        if nll < best_nll - 1e-12:
            best, best_nll = float(factor), nll
    return best


def example_term(similarity: np.ndarray, num_examples: np.ndarray, weights: FusionWeights,
                 text_logits: np.ndarray, text_trust: np.ndarray | None = None) -> np.ndarray:
    """(N, L) similarities, (L,) example counts and (N, L) text logits (text scores over the temperature) ->
    (N, L) logits to add to the text logits: weight(n) * scale * (similarity - offset) - (1 - keep) * text logit,
    keep = text_trust * (1 - weight(n) * text_drop); 0 where a label has no examples. A label whose name agrees
    with none of the recordings (text_trust (L,) 0) is scored by its examples alone."""
    weight = weights.weight(num_examples)
    # a name gives way only to example evidence: without a scale the examples say nothing and the name stands
    trust = 1.0 if text_trust is None or weights.scale <= 0 else np.asarray(text_trust)
    keep = trust * (1.0 - weight * weights.text_drop)
    term = weight * weights.scale * (similarity - weights.offset) - (1.0 - keep) * np.asarray(text_logits)
    return np.where(num_examples > 0, term, 0.0)


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
