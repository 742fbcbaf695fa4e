"""Few-shot episodes over a scored clip folder: per seeded draw, K clips of each class become examples and the
other clips are scored as the live app scores a label with examples (text and examples fused, each example's
windows and the whole example as its prototypes), beside the plain nearest class mean of the same features and
zero-shot by name, on the same clips and candidates."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.live.example_features import ExampleClip, example_windows
from core.metrics import topk_accuracy
from core.model.attribute_term import supported_columns
from core.model.example_term import ExampleBank, FusionWeights, example_term

log = logging.getLogger(__name__)


@dataclass
class FewShotReport:
    """Top-1 per draw of text and examples fused (the live scoring), of examples alone (nearest class mean of
    the clips' features, cosine) and of text alone, on the same clips."""

    shots: int
    draws: int
    fused_top1: list[float] = field(default_factory=list)
    examples_top1: list[float] = field(default_factory=list)
    text_top1: list[float] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)  # class -> draws it sat out (K clips or fewer)
    scored: list[int] = field(default_factory=list)  # clips scored per draw

    def to_dict(self) -> dict:
        def summary(values: list[float]) -> dict:
            return {"top1": float(np.mean(values)) if values else None,
                    "top1_std": float(np.std(values)) if values else None}

        return {"shots": self.shots, "draws": self.draws, **summary(self.fused_top1),
                "nearest_class_mean": summary(self.examples_top1), "text": summary(self.text_top1),
                "left_out": self.left_out,
                "scored_per_draw": int(np.mean(self.scored)) if self.scored else 0}


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def nearest_class_mean(features: np.ndarray, example_features: list[np.ndarray]) -> np.ndarray:
    """(N, F) query features x one (K_c, F) example array per class -> (N, C) cosine to each class's mean."""
    means = _unit_rows(np.stack([_unit_rows(examples).mean(axis=0) for examples in example_features]))
    return _unit_rows(features) @ means.T


def clip_window_features(folder: str | Path, files: list[str], recognizer, load_sequence) -> list[np.ndarray]:
    """Per clip, the (W, F) features of its windows as an example of it would have them (live windows plus the
    whole clip). load_sequence(path) -> (joints, valid, timestamps, fps)."""
    out = []
    for number, file in enumerate(files, start=1):
        joints, valid, timestamps, _ = load_sequence(Path(folder) / file)
        windows = example_windows(ExampleClip(file, "", joints, valid, timestamps), recognizer.preprocess_config,
                                  recognizer.example_window_seconds)
        out.append(recognizer.encode(windows).float().cpu().numpy())
        log.info("example windows of clip %d/%d: %s (%d)", number, len(files), file, len(windows))
    return out


def few_shot_episodes(features: np.ndarray, truth: np.ndarray, labels: list[str], text_scores: np.ndarray,
                      shots: int, draws: int = 10, seed: int = 0, window_features: list[np.ndarray] | None = None,
                      fusion: FusionWeights = FusionWeights(), temperature: float = 1.0,
                      attribute_agreements: np.ndarray | None = None, attribute_vector: np.ndarray | None = None
                      ) -> FewShotReport:
    """features (N, F) and text_scores (N, L) of N clips whose true label index is truth (N,) among labels (L);
    window_features: per clip, its example windows' features (clip_window_features; default: the clip's own
    features as its one window); fusion and temperature: the model's (Recognizer.fusion, the live temperature);
    attribute_agreements (N, L, K) and attribute_vector (K,): the attribute term inside text_scores
    (ClipEvalReport), which each draw keeps only for the attributes a label's examples show, as the app does
    (supported_columns).

    Per draw: a class with more than `shots` clips gives `shots` random ones as examples and its other clips are
    queries; a class with no more is left out of that draw, as a candidate too. Queries are scored against the
    draw's candidates by text and examples fused, by nearest class mean and by their text scores."""
    if shots < 1:
        raise ValueError(f"shots must be at least 1, got {shots}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    rng = np.random.default_rng(seed)
    report = FewShotReport(shots, draws)
    if window_features is None:
        window_features = [row[None] for row in features]
    for _ in range(draws):
        candidates, examples, example_rows, query_rows, query_truth = [], [], [], [], []
        for label in range(len(labels)):
            rows = np.flatnonzero(truth == label)
            if len(rows) <= shots:
                if len(rows):
                    report.left_out[labels[label]] = report.left_out.get(labels[label], 0) + 1
                continue
            chosen = rng.permutation(rows)
            examples.append(features[chosen[:shots]])
            example_rows.append(chosen[:shots])
            query_rows.extend(chosen[shots:])
            query_truth.extend([len(candidates)] * (len(rows) - shots))
            candidates.append(label)
        if len(candidates) < 2:
            continue  # one candidate left: every answer would be right
        query_rows, query_truth = np.asarray(query_rows), np.asarray(query_truth)
        def draw_text(rows):  # text scores against the draw's candidates, as the app would have them
            text = text_scores[rows][:, candidates]
            if attribute_agreements is None:
                return text
            return text - _unsupported_terms(attribute_agreements, attribute_vector, rows, example_rows, candidates)

        text = draw_text(query_rows)
        bank = ExampleBank.from_examples([[window_features[row] for row in rows] for rows in example_rows])
        bank = bank.with_text_trust(draw_text(np.concatenate(example_rows)), temperature)
        term = example_term(bank.similarity(features[query_rows]), bank.num_examples, fusion, text / temperature,
                            bank.text_trust)
        report.fused_top1.append(topk_accuracy(text / temperature + term, query_truth))
        report.examples_top1.append(topk_accuracy(nearest_class_mean(features[query_rows], examples), query_truth))
        report.text_top1.append(topk_accuracy(text, query_truth))
        report.scored.append(len(query_rows))
    return report


def _unsupported_terms(agreements: np.ndarray, vector: np.ndarray, query_rows: np.ndarray, example_rows: list,
                       candidates: list) -> np.ndarray:
    """(Q, C) part of the queries' attribute term that the candidates' examples do not show (to take off)."""
    dropped = np.stack([~supported_columns(agreements[rows, label]) for rows, label in zip(example_rows, candidates)])
    return (agreements[query_rows][:, candidates] * dropped[None]) @ vector
