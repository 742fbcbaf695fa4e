"""Zero-shot benchmark: per split and seed, pretrain (cached), then train and evaluate every method side by side."""

import dataclasses
import logging

import numpy as np

from core.benchmark.attribute_pairs import ATTRIBUTE_METHOD, bench_attribute_row
from core.benchmark.zsl_runs import BenchConfig, stream_encoder_overrides, stream_scores
from core.benchmark.zsl_selection import select_text_mode
from core.metrics import zsl_metrics
from core.readers.datasets import other_datasets
from core.training.experiment import load_pooled
from core.training.protocols import UTD_COVERED_BY_POOL, Split, utd_pool_datasets
from core.training.training_data import load_arrays, pool

log = logging.getLogger(__name__)


def run_split(arrays, split, seed: int, config: BenchConfig, text_encoder, progress: bool = True,
              pool_arrays=None) -> dict:
    """Top-1/top-5 on the unseen classes of one split for every method; nothing is chosen on them.

    With several config.streams, each stream gets its own encoder and heads; a method's result is then that of
    the mean of its per-stream scores (each z-scored over the labels, per clip), and each stream's own result is
    reported as "method[stream]"."""
    if config.pool_seen and pool_arrays is None:
        raise ValueError("pool_seen needs the pooled datasets' arrays (pool_arrays)")
    unseen = arrays.restrict_classes(list(split.unseen_names))
    results = {"pretrain": {}, "methods": {}}
    if config.select_text:
        chosen, results["text_selection"] = select_text_mode(arrays, split, seed, config, text_encoder, progress)
        config = dataclasses.replace(config, text=chosen, select_text=False)
    wants_attributes = ATTRIBUTE_METHOD in config.methods
    reported = config.methods
    if wants_attributes:  # its scores are SMIE's: the SMIE head is trained (and reported only when asked for)
        config = dataclasses.replace(config, methods=tuple(dict.fromkeys(
            m for m in config.methods + ("smie",) if m != ATTRIBUTE_METHOD)))
        reported = tuple(m for m in reported if m != ATTRIBUTE_METHOD)
    per_stream, keep = {}, {}
    for input_stream in config.streams:
        overrides = stream_encoder_overrides(config, input_stream)
        scores, pretrain_info, seen_classes = stream_scores(
            arrays, split, seed, config, text_encoder, progress, pool_arrays, overrides,
            keep=keep if input_stream == config.streams[0] else None)
        results["pretrain"][input_stream], results["seen_classes"] = pretrain_info, seen_classes
        per_stream[input_stream] = scores
    if wants_attributes and len(config.streams) > 1:
        log.warning("%s: the attribute row takes one input stream; left out with %s", split.name, config.streams)
    elif wants_attributes:
        row = bench_attribute_row(arrays, split, seed, config, text_encoder, keep, progress, pool_arrays)
        results["methods"][ATTRIBUTE_METHOD] = row
        log.info("%s seed %d %s: top1 %.1f%% (without %.1f%%), pairs %s, mirror %s", split.name, seed,
                 ATTRIBUTE_METHOD, 100 * row["top1"], 100 * row["without"]["top1"], row["pairs"]["mean"],
                 row["mirror"]["accuracy"])
    for method_key in reported:
        members = [per_stream[name][method_key] for name in config.streams]
        metrics = zsl_metrics(np.mean([_z_scored(m) for m in members], axis=0) if len(members) > 1 else members[0],
                              unseen.labels)
        results["methods"][method_key] = metrics
        log.info("%s seed %d %s: top1 %.1f%%", split.name, seed, method_key, 100 * metrics["top1"])
        if len(members) > 1:
            for name, member in zip(config.streams, members):
                results["methods"][f"{method_key}[{name}]"] = zsl_metrics(member, unseen.labels)
    if len(config.streams) == 1:
        results["pretrain"] = results["pretrain"][config.streams[0]]
    return results


def _z_scored(scores: np.ndarray) -> np.ndarray:
    """(N, L) scores standardised over the labels of each clip, so heads of different scales average fairly."""
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-8)


def summarise(runs: dict) -> dict:
    """{method: {split: [top1...]}} -> {method: {split: {"mean", "std", "runs"}}} in percent."""
    summary = {}
    for method, per_split in runs.items():
        summary[method] = {}
        for split_name, values in per_split.items():
            percent = [round(100 * v, 2) for v in values]
            summary[method][split_name] = {"mean": round(float(np.mean(percent)), 2),
                                           "std": round(float(np.std(percent)), 2), "runs": percent}
    return summary


def markdown_table(summary: dict, splits: list[str]) -> str:
    lines = ["| method | " + " | ".join(splits) + " | mean |", "|---" * (len(splits) + 2) + "|"]
    for method, per_split in summary.items():
        means = [per_split[s]["mean"] for s in splits if s in per_split]
        cells = [f"{per_split[s]['mean']:.1f} ± {per_split[s]['std']:.1f}" if s in per_split else "-" for s in splits]
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {np.mean(means):.1f} |")
    return "\n".join(lines)


def run_pooled(seed: int, config: BenchConfig, text_encoder, progress: bool = True) -> dict:
    """Pretrain on every class of the pooled datasets; test zero-shot on the UTD-MHAD classes none contains."""
    pooled = load_pooled(utd_pool_datasets(other_datasets("utd_mhad")))
    target = load_arrays("utd_mhad")
    unseen_names = [n for n in target.class_names if n not in UTD_COVERED_BY_POOL]
    test = target.restrict_classes(unseen_names)
    test.class_names = unseen_names
    combined = pool([pooled, test])
    split = Split("pooled->utd_mhad", tuple(combined.class_names),
                  tuple(range(len(pooled.class_names), len(combined.class_names))))
    return run_split(combined, split, seed, config, text_encoder, progress)
