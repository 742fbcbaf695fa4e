"""The attribute term measured: zero-shot top-1 with and without it, per-pair accuracy on labels that differ only
in attribute words, and the mirror test; the weights fitted on pseudo-unseen classes of a second model.

Per-pair accuracy: for each pair of labels in the list that differ only in attribute words (label_attributes
.attribute_pairs), the share of the pair's clips whose score for their own label beats the other label's.
Mirror test: clips of the side-specific classes (their parsed attributes change when the name is mirrored: a
side, a lateral direction, a rotation sense) are mirrored left/right (joints
swapped, x negated, in the normalised and the global window) and scored against their mirrored label
("left hand wave" for "right hand wave", made from the name) and the original: the mirrored one must win."""

import dataclasses
import logging

import numpy as np

from core.metrics import zsl_metrics
from core.model.attribute_term import agreement_features, parse_labels
from core.readers.label_attributes import (
    attribute_pairs,
    mirrored_label,
    parse_label_attributes,
)
from core.skeleton.attributes import measure_attributes, mirror_window
from core.training.attribute_fit import fit_groups, fit_weights, temperature_of
from core.training.augment import mirror
from core.training.train_head import extract_features, score

log = logging.getLogger(__name__)
ATTRIBUTE_METHOD = "smie_attributes"  # the bench-zsl row: SMIE plus the attribute term


def clip_windows(arrays, config=None) -> np.ndarray | None:
    """The arrays' global windows (core.training.attribute_data), or None unless every row has one (then
    travel and turning are not measured)."""
    # imported on use: reading the windows may read the datasets
    from core.training.attribute_data import global_windows

    raw, found = global_windows(arrays, config)
    if not found.all():
        log.info("%d of %d clips have no global window: travel and turning left out", int((~found).sum()), len(found))
        return None
    return raw


def pair_accuracy(scores: np.ndarray, labels: np.ndarray, names: list[str]) -> dict:
    """{"pairs": [{"labels", "clips", "accuracy"}], "mean": mean over pairs or None} of scores (N, L) against
    names (labels index names)."""
    pairs = []
    for i, j in attribute_pairs(names):
        rows = np.flatnonzero((labels == i) | (labels == j))
        if not len(rows):
            continue
        own = np.where(labels[rows] == i, i, j)
        other = np.where(labels[rows] == i, j, i)
        right = scores[rows, own] > scores[rows, other]
        pairs.append({"labels": [names[i], names[j]], "clips": len(rows), "accuracy": float(right.mean())})
    return {"pairs": pairs, "mean": float(np.mean([p["accuracy"] for p in pairs])) if pairs else None}


class ClipScorer:
    """SMIE scores of clips against any label texts, with the model's encoder, head and text settings."""

    def __init__(self, encoder, head, embed):
        self.encoder, self.head, self.embed = encoder, head, embed  # embed(names) -> (L, D) label text

    def __call__(self, x: np.ndarray, names: list[str]) -> np.ndarray:
        return score(self.head, extract_features(self.encoder, x), self.embed(names))


def _terms(weights, parsed: list[dict], x: np.ndarray, raw: np.ndarray | None) -> np.ndarray:
    """(N, L) attribute term of every clip against the parsed labels."""
    vector = weights.vector()
    return np.stack([agreement_features(parsed, measure_attributes(x[n], None if raw is None else raw[n])) @ vector
                     for n in range(len(x))]) if len(x) else np.zeros((0, len(parsed)))


def attribute_terms(weights, names: list[str], x: np.ndarray, raw: np.ndarray | None) -> np.ndarray:
    """(N, L) attribute term of clips x (raw: their global windows, or None) against label names, to add to
    their SMIE scores."""
    return _terms(weights, parse_labels(list(names)), np.asarray(x), raw)


def preprocess_of(metadata):
    """A model's PreprocessConfig (None for the default), for reading global windows as it was trained."""
    from core.skeleton.preprocess import PreprocessConfig

    return PreprocessConfig(**metadata.preprocess) if metadata.preprocess else None


def model_attribute_terms(metadata, weights, names: list[str], arrays, raw: np.ndarray | None = None) -> np.ndarray:
    """(N, L) attribute term of the arrays' clips against names with a model's preprocessing; raw: their global
    windows when already read."""
    if raw is None:
        raw = clip_windows(arrays, preprocess_of(metadata))
    return attribute_terms(weights, names, arrays.x, raw)


def mirror_test(scorer: ClipScorer, weights, x: np.ndarray, raw: np.ndarray | None, labels: np.ndarray,
                names: list[str]) -> dict:
    """Accuracy of mirrored clips against (mirrored label, original label), with and without the term, over the
    classes whose name changes when mirrored; per class too."""
    per_class, hits_with, hits_without = [], [], []
    for c, name in enumerate(names):
        other = mirrored_label(name)
        rows = np.flatnonzero(labels == c)
        if parse_label_attributes(other) == parse_label_attributes(name) or not len(rows):
            continue  # not side-specific in words the term reads ("baseball swing from right")
        flipped = mirror(x[rows])
        flipped_raw = None if raw is None else np.stack([mirror_window(raw[n]) for n in rows])
        base = scorer(flipped, [other, name])
        total = base + _terms(weights, parse_labels([other, name]), flipped, flipped_raw)
        with_term, without = total[:, 0] > total[:, 1], base[:, 0] > base[:, 1]
        hits_with += with_term.tolist()
        hits_without += without.tolist()
        per_class.append({"label": name, "mirrored": other, "clips": len(rows),
                          "accuracy": float(with_term.mean()), "without": float(without.mean())})
    if not per_class:
        return {"classes": [], "accuracy": None, "without": None}
    return {"classes": per_class, "accuracy": float(np.mean(hits_with)), "without": float(np.mean(hits_without)),
            "clips": len(hits_with)}


def evaluate_with_term(scorer: ClipScorer, weights, scores: np.ndarray, x: np.ndarray, raw: np.ndarray | None,
                       labels: np.ndarray, names: list[str]) -> dict:
    """Zero-shot metrics of scores (N, L) plus the term, and per-pair and mirror results with and without it."""
    total = scores + _terms(weights, parse_labels(names), x, raw)
    result = zsl_metrics(total, labels)
    result["without"] = zsl_metrics(scores, labels)
    result["pairs"] = pair_accuracy(total, labels, names)
    result["pairs_without"] = pair_accuracy(scores, labels, names)
    result["mirror"] = mirror_test(scorer, weights, x, raw, labels, names)
    result["weights"] = weights.to_dict()
    return result


def fit_on_pseudo_unseen(scorer: ClipScorer, x: np.ndarray, raw: np.ndarray | None, labels: np.ndarray,
                         names: list[str], fitted_on: dict | None = None):
    """(weights, report) fitted on clips of classes the scorer's model never trained on (core.training
    .attribute_fit): the class list, opposite forms of each label and mirrored clips."""
    x = np.asarray(x)  # memory-mapped rows are read once
    list_scores = scorer(x, names)

    def score_rows(rows, texts, clips=None):
        return scorer(x[rows] if clips is None else clips, texts)

    groups = fit_groups(names, x, raw, labels, score_rows, mirror, list_scores)
    temperature = temperature_of(list_scores, labels)
    weights, report = fit_weights(groups, temperature, dict(fitted_on or {}, pseudo_unseen_classes=list(names),
                                                            clips=len(x)))
    log.info("attribute weights %s (fit: %s)", {k: round(v, 3) for k, v in weights.weights.items()}, report)
    return weights, report


def bench_attribute_row(arrays, split, seed: int, config, text_encoder, keep: dict, progress: bool,
                        pool_arrays=None) -> dict:
    """bench-zsl's smie_attributes result for one split and seed: weights fitted on the pseudo-unseen classes of
    core.benchmark.zsl_selection's inner split (a second encoder and head trained without them, cached like
    --select-text's), then SMIE's unseen scores of this run (keep, from stream_scores) with the term.

    A pooled run (config.pool_seen) pools its second encoder too, so the weights and temperature fitted on its
    scores are in the units of this run's (a pooled encoder scores 2-4x sharper than one trained on the split's
    classes alone): every pooled class that is or covers one of the split's unseen classes stays out, as in
    this run, and stream_scores leaves out those covering a pseudo-unseen one."""
    # imported on use: zsl_runs pulls in the whole training stack
    from core.benchmark.zsl_runs import pool_covering_none, stream_encoder_overrides, stream_scores
    from core.benchmark.zsl_selection import pseudo_unseen_split
    from core.training.class_text import label_text

    use_descriptions = config.text != "names"

    def embedder(names):
        return label_text(text_encoder, list(names), use_descriptions, config.templates)

    inner = pseudo_unseen_split(split, seed)
    inner_keep: dict = {}
    inner_pool = None
    if config.pool_seen:
        if pool_arrays is None:
            raise ValueError("a pooled run's attribute row needs the pooled datasets' arrays (pool_arrays)")
        inner_pool = pool_covering_none(pool_arrays, split.unseen_names)
    inner_config = dataclasses.replace(config, methods=("smie",), streams=config.streams[:1], finetune={})
    _, inner_pretrain, inner_seen = stream_scores(arrays, inner, seed, inner_config, text_encoder, progress,
                                                  inner_pool, stream_encoder_overrides(config, config.streams[0]),
                                                  keep=inner_keep)
    pseudo = arrays.restrict_classes(list(inner.unseen_names))
    pseudo_raw = clip_windows(pseudo)
    inner_scorer = ClipScorer(inner_keep["encoder"], inner_keep["heads"]["smie"], embedder)
    weights, report = fit_on_pseudo_unseen(inner_scorer, np.asarray(pseudo.x), pseudo_raw, pseudo.labels,
                                           list(inner.unseen_names), {"split": inner.name, "seed": seed})
    unseen = arrays.restrict_classes(list(split.unseen_names))
    unseen_raw = clip_windows(unseen)
    scorer = ClipScorer(keep["encoder"], keep["heads"]["smie"], embedder)
    result = evaluate_with_term(scorer, weights, keep["scores"]["smie"], np.asarray(unseen.x), unseen_raw,
                                unseen.labels, list(split.unseen_names))
    result["fit"] = report
    result["second_encoder"] = {"seen_classes": inner_seen, "pooled": inner_pool is not None,
                                "best_val_acc": inner_pretrain.get("best_val_acc")}
    # The final scores' calibration, before (seen-class temperature) and after (fitted on the pseudo-unseen ones)
    from core.benchmark.zsl_calibration import bench_calibration, gzsl_before_after, gzsl_scores, seen_temperature
    from core.training.pretrain import PretrainConfig

    names = list(split.unseen_names)
    total = keep["scores"]["smie"] + attribute_terms(weights, names, np.asarray(unseen.x), unseen_raw)
    pseudo_names = list(inner.unseen_names)
    pseudo_total = inner_scorer(np.asarray(pseudo.x), pseudo_names) + attribute_terms(
        weights, pseudo_names, np.asarray(pseudo.x), pseudo_raw)
    validation_fraction = PretrainConfig(seed=seed, **config.pretrain).validation_fraction  # as stream_scores
    before = seen_temperature(scorer, arrays, split, seed, validation_fraction)

    def terms(label_names, x, clips):
        return attribute_terms(weights, label_names, x, clip_windows(clips))

    inner_all = gzsl_scores(inner_scorer, terms, arrays, inner, seed, validation_fraction)
    result["calibration"] = bench_calibration(total, unseen.labels, pseudo_total, pseudo.labels, before, seed,
                                              inner_all)
    result["gzsl"] = gzsl_before_after(gzsl_scores(scorer, terms, arrays, split, seed, validation_fraction),
                                       inner_all, seed)
    return result


def eval_attributes(model, unseen, unseen_names: list[str], scores: np.ndarray) -> tuple[np.ndarray, dict]:
    """`smie eval`'s term: (scores with the model's attribute term, evaluate_with_term's result), or the scores
    unchanged and {} for a model without stored weights."""
    # imported on use: the text model and the global-window cache are only needed with weights
    from core.model.attribute_term import load_attribute_weights
    from core.model.text import TextEncoder
    from core.training.class_text import label_text

    weights = load_attribute_weights(model.metadata)
    if weights is None:
        return scores, {}
    meta = model.metadata
    text_encoder = TextEncoder(meta.text_model)

    def embedder(names):
        return label_text(text_encoder, list(names), meta.text_use_descriptions, tuple(meta.text_templates))

    x = np.asarray(unseen.x)
    raw = clip_windows(unseen, preprocess_of(meta))
    result = evaluate_with_term(ClipScorer(model.encoder, model.head, embedder), weights, scores, x, raw,
                                unseen.labels, list(unseen_names))
    return scores + model_attribute_terms(meta, weights, list(unseen_names), unseen, raw), result


def attribute_summary_text(result: dict) -> str:
    """One line for a terminal: top-1 with and without the term, mean per-pair accuracy, mirror test."""
    def percent(value):
        return "-" if value is None else f"{100 * value:.1f}%"

    pairs, mirror_result = result["pairs"], result["mirror"]
    return (f"attribute term: ZSL top-1 {percent(result['top1'])} (without {percent(result['without']['top1'])}); "
            f"per-pair {percent(pairs['mean'])} over {len(pairs['pairs'])} pairs (without "
            f"{percent(result['pairs_without']['mean'])}); mirror test {percent(mirror_result['accuracy'])} "
            f"(without {percent(mirror_result['without'])})")
