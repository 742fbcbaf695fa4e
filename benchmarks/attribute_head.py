"""Analytic against learned attribute measurements (core.training.attribute_head) on classes a model never trained
on: the head is trained on the model's seen classes (their clips and, mirrored left/right, the same clips under the
mirrored label), then on the pseudo-unseen classes (a) the accuracy of each measured key against the value the
clip's label names and (b) zero-shot top-1, per-pair accuracy and the mirror test of SMIE plus the attribute term,
with the term's weights fitted for each measurement variant exactly as fit_on_pseudo_unseen fits them: on one half
of the pseudo-unseen classes, evaluated on the other (both ways), and in-sample on all of them as the shipped
weights are. Variants: analytic, learned (the head's keys replaced), combined (average of log-probabilities),
learned_with_analytic (a head that also reads the analytic log-probabilities). Keys the head has not learned stay
analytic in every variant. The head's L2 is chosen by leave-classes-out cross-validation on the seen classes.

    python benchmarks/attribute_head.py [--model runs/calib_model] [--out FILE]
"""

import argparse
import hashlib
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
from bench_report import emit, machine  # noqa: E402

from core.benchmark import attribute_pairs  # noqa: E402
from core.benchmark.attribute_pairs import (  # noqa: E402
    ClipScorer,
    clip_windows,
    evaluate_with_term,
    fit_on_pseudo_unseen,
)
from core.model.checkpoint import load_model  # noqa: E402
from core.model.text import TextEncoder  # noqa: E402
from core.readers.label_attributes import attribute_pairs as label_pairs  # noqa: E402
from core.readers.label_attributes import mirrored_label, parse_label_attributes  # noqa: E402
from core.skeleton.attributes import measure_attributes, mirror_window  # noqa: E402
from core.skeleton.preprocess import PreprocessConfig  # noqa: E402
from core.training import attribute_fit  # noqa: E402
from core.training.attribute_head import (  # noqa: E402
    analytic_inputs,
    fit_attribute_head,
    join_measurements,
    training_targets,
)
from core.training.augment import mirror  # noqa: E402
from core.training.class_text import label_text  # noqa: E402
from core.training.experiment import load_pooled  # noqa: E402
from core.training.train_head import extract_features, score  # noqa: E402

VARIANTS = ("analytic", "learned", "combined", "learned_with_analytic")
L2_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def digest(clip: np.ndarray) -> bytes:
    return hashlib.sha1(np.ascontiguousarray(clip).tobytes()).digest()


class CachedScorer(ClipScorer):
    """ClipScorer that encodes each clip once: every variant scores the same clips against the same texts."""

    def __init__(self, encoder, head, embed):
        super().__init__(encoder, head, embed)
        self.features: dict[bytes, np.ndarray] = {}

    def __call__(self, x, names):
        keys = [digest(clip) for clip in x]
        missing = [n for n, key in enumerate(keys) if key not in self.features]
        if missing:
            for n, row in zip(missing, extract_features(self.encoder, np.asarray(x)[missing])):
                self.features[keys[n]] = row
        return score(self.head, np.stack([self.features[key] for key in keys]), self.embed(names))


@contextmanager
def measurements(table: dict, variant: str):
    """The fit and the evaluation read each clip's measurement through measure_attributes; serve the variant's
    from the table (keyed by the clip's bytes), so every variant goes through the very same code."""
    def lookup(normalised, raw=None):
        return table[digest(normalised)][variant]

    with mock.patch.object(attribute_fit, "measure_attributes", lookup), \
            mock.patch.object(attribute_pairs, "measure_attributes", lookup):
        yield


def with_mirrored(x, raw, labels, names):
    """The clips and their left/right mirrors (label: the mirrored name), as one set."""
    flipped_raw = None if raw is None else np.stack([mirror_window(w) for w in raw])
    parsed = [parse_label_attributes(n) for n in names] + [parse_label_attributes(mirrored_label(n)) for n in names]
    both_raw = None if raw is None else np.concatenate([raw, flipped_raw])
    return np.concatenate([x, mirror(x)]), both_raw, np.concatenate([labels, labels + len(names)]), parsed


def measure_all(x, raw):
    return [measure_attributes(x[n], None if raw is None else raw[n]) for n in range(len(x))]


def choose_l2(features, targets, classes, values, folds: int = 4) -> tuple[float, dict]:
    """The L2 of L2_GRID with the best mean held-out accuracy over keys, folds drawn by seen class."""
    fold_of = {c: i % folds for i, c in enumerate(np.random.default_rng(0).permutation(np.unique(classes)))}
    fold = np.array([fold_of[c] for c in classes])
    scores = {}
    for l2 in L2_GRID:
        hits: dict[str, list] = {}
        for k in range(folds):
            train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            try:
                head = fit_attribute_head(features[train], [targets[n] for n in train], values, l2=l2)
            except ValueError:
                continue
            for n, predicted in zip(test, head.predict(features[test])):
                for key, value in targets[n].items():
                    if key in predicted:
                        hits.setdefault(key, []).append(max(predicted[key], key=predicted[key].get) == value)
        scores[l2] = float(np.mean([np.mean(h) for h in hits.values()])) if hits else 0.0
    return max(scores, key=scores.get), scores


def key_accuracy(targets, table_rows, learned_keys) -> dict:
    """Per measured key: clips whose label names a value, and each variant's accuracy of the most probable one."""
    out = {}
    for key in sorted({k for row in targets for k in row}):
        rows = [n for n, row in enumerate(targets) if key in row]
        entry = {"clips": len(rows), "values": {}, "learned_key": key in learned_keys}
        for n in rows:
            entry["values"][targets[n][key]] = entry["values"].get(targets[n][key], 0) + 1
        for variant in VARIANTS:
            right = [max(p := table_rows[n][variant][key], key=p.get) == targets[n][key] for n in rows]
            entry[variant] = float(np.mean(right))
        out[key] = entry
    return out


def halves(names: list[str], labels: np.ndarray) -> tuple[list[str], list[str]]:
    """The pseudo-unseen classes in two halves, labels that form attribute pairs kept together, clips balanced."""
    group = list(range(len(names)))
    for i, j in label_pairs(names):
        old, new = group[j], group[i]
        group = [new if g == old else g for g in group]
    clips = np.bincount(labels, minlength=len(names))
    members = {g: [c for c in range(len(names)) if group[c] == g] for g in dict.fromkeys(group)}
    order = sorted(members.values(), key=lambda m: (-len(m), -clips[m].sum(), names[m[0]]))
    parts, totals = ([], []), [0, 0]
    for m in order:
        side = int(totals[1] < totals[0])
        parts[side].extend(names[c] for c in m)
        totals[side] += int(clips[m].sum())
    return parts


def zero_shot(scorer, table, pseudo, config, fit_names, eval_names) -> dict:
    fit_set, eval_set = pseudo.restrict_classes(fit_names), pseudo.restrict_classes(eval_names)
    fit_x, eval_x = np.asarray(fit_set.x), np.asarray(eval_set.x)
    fit_raw, eval_raw = clip_windows(fit_set, config), clip_windows(eval_set, config)
    base = scorer(eval_x, list(eval_set.class_names))
    out = {"fitted_on": list(fit_set.class_names), "evaluated_on": list(eval_set.class_names),
           "clips": len(eval_x)}
    for variant in VARIANTS:
        with measurements(table, variant):
            weights, _ = fit_on_pseudo_unseen(scorer, fit_x, fit_raw, fit_set.labels, list(fit_set.class_names))
            result = evaluate_with_term(scorer, weights, base, eval_x, eval_raw, eval_set.labels,
                                        list(eval_set.class_names))
        out[variant] = {"top1": result["top1"], "top1_without": result["without"]["top1"],
                        "pairs_mean": result["pairs"]["mean"], "pairs_mean_without": result["pairs_without"]["mean"],
                        "pairs": [[*p["labels"], p["clips"], p["accuracy"]] for p in result["pairs"]["pairs"]],
                        "mirror": result["mirror"]["accuracy"], "mirror_without": result["mirror"]["without"],
                        "weights": result["weights"]["weights"]}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("runs/calib_model"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model = load_model(args.model)
    meta = model.metadata
    config = PreprocessConfig(**meta.preprocess) if meta.preprocess else PreprocessConfig()
    arrays = load_pooled(meta.metrics["datasets"])
    seen = arrays.restrict_classes(list(meta.seen_classes))
    pseudo = arrays.restrict_classes(list(meta.metrics["unseen_classes"]))

    # the head's training set: seen clips and their mirrors; keys and values as the analytic measurement has them
    seen_names = list(seen.class_names)
    x, raw, labels, parsed = with_mirrored(np.asarray(seen.x), clip_windows(seen, config), seen.labels, seen_names)
    analytic = measure_all(x, raw)
    keys = sorted(analytic[0])
    values = {key: tuple(probs) for key, probs in analytic[0].items()}
    targets = training_targets(parsed, labels, analytic)
    features = extract_features(model.encoder, x)
    with_inputs = np.hstack([features, analytic_inputs(analytic, keys)])
    classes = labels % len(seen_names)  # a clip and its mirror in the same fold
    l2, l2_scores = choose_l2(features, targets, classes, values)
    l2_inputs, l2_inputs_scores = choose_l2(with_inputs, targets, classes, values)
    head = fit_attribute_head(features, targets, values, l2=l2)
    head_inputs = fit_attribute_head(with_inputs, targets, values, l2=l2_inputs)

    # every pseudo-unseen clip and its mirror, measured each way
    px = np.asarray(pseudo.x)
    praw = clip_windows(pseudo, config)
    all_x = np.concatenate([px, mirror(px)])
    all_raw = None if praw is None else np.concatenate([praw, np.stack([mirror_window(w) for w in praw])])
    all_analytic = measure_all(all_x, all_raw)
    all_features = extract_features(model.encoder, all_x)
    learned = head.predict(all_features)
    learned_inputs = head_inputs.predict(np.hstack([all_features, analytic_inputs(all_analytic, keys)]))
    table_rows = [{"analytic": a, "learned": join_measurements(a, h), "combined": join_measurements(a, h, "combine"),
                   "learned_with_analytic": join_measurements(a, hi)}
                  for a, h, hi in zip(all_analytic, learned, learned_inputs)]
    table = {digest(clip): row for clip, row in zip(all_x, table_rows)}

    pseudo_names = list(pseudo.class_names)
    pseudo_targets = training_targets([parse_label_attributes(n) for n in pseudo_names], pseudo.labels,
                                      all_analytic[:len(px)])
    text_encoder = TextEncoder(meta.text_model)

    def embed(names):
        return label_text(text_encoder, list(names), meta.text_use_descriptions, tuple(meta.text_templates))

    scorer = CachedScorer(model.encoder, model.head, embed)
    first, second = halves(pseudo_names, pseudo.labels)
    report = {
        "model": str(args.model), **machine(),
        "head": {"keys": {k: head.rows[k] for k in head.coefficients}, "training_clips": len(x),
                 "l2": l2, "l2_cv_accuracy": l2_scores, "l2_with_analytic": l2_inputs,
                 "l2_with_analytic_cv_accuracy": l2_inputs_scores},
        "key_accuracy": key_accuracy(pseudo_targets, table_rows[:len(px)], set(head.coefficients)),
        "zero_shot": {"first_half_on_second": zero_shot(scorer, table, pseudo, config, first, second),
                      "second_half_on_first": zero_shot(scorer, table, pseudo, config, second, first),
                      "all_in_sample": zero_shot(scorer, table, pseudo, config, pseudo_names, pseudo_names)},
    }
    emit(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
