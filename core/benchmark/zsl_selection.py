"""Honest model selection for zero-shot runs: a setting is chosen on pseudo-unseen classes carved out of the
seen ones and held out of a second encoder's pretraining too, so the choice never sees a real unseen class."""

import dataclasses
import logging

import numpy as np

from core.benchmark.zsl_runs import stream_encoder_overrides, stream_scores
from core.metrics import zsl_metrics
from core.training.class_text import TEXT_MODES
from core.training.protocols import Split

log = logging.getLogger(__name__)

PSEUDO_UNSEEN_FRACTION = 0.3  # of the seen classes; enough to rank settings, few enough to still train on


def pseudo_unseen_split(split, seed: int, fraction: float = PSEUDO_UNSEEN_FRACTION):
    """A Split over the split's seen classes with round(fraction * seen) of them (at least 2) as pseudo-unseen,
    drawn with the seed; its name says which split and seed it came from."""
    seen_names = tuple(split.seen_names)
    count = min(len(seen_names) - 2, max(2, round(fraction * len(seen_names))))
    if count < 2:
        raise ValueError(f"split {split.name}: {len(seen_names)} seen classes are too few to hold some out")
    chosen = np.random.default_rng(seed).choice(len(seen_names), size=count, replace=False)
    return Split(f"{split.name}-inner{seed}", seen_names, tuple(sorted(int(i) for i in chosen)))


def select_text_mode(arrays, split, seed: int, config, text_encoder, progress: bool = True) -> tuple[str, dict]:
    """(chosen text mode, {"pseudo_unseen": names, "top1": {mode: top-1}}): SMIE on the inner split of
    pseudo_unseen_split for every text mode, the mode with the best pseudo-unseen top-1 chosen (ties: the first
    of TEXT_MODES). One encoder on the inner seen classes serves every mode (it is cached)."""
    if config.pool_seen:
        raise ValueError("text-mode selection does not pool other datasets (their classes may cover a "
                         "pseudo-unseen one); run it without pool_seen")
    inner = pseudo_unseen_split(split, seed)
    pseudo_unseen = arrays.restrict_classes(inner.unseen_names)
    top1 = {}
    overrides = stream_encoder_overrides(config, config.streams[0])
    for mode in TEXT_MODES:
        inner_config = dataclasses.replace(config, text=mode, methods=("smie",), streams=config.streams[:1],
                                           finetune={})
        scores, _, _ = stream_scores(arrays, inner, seed, inner_config, text_encoder, progress, None, overrides)
        top1[mode] = float(zsl_metrics(scores["smie"], pseudo_unseen.labels)["top1"])
    chosen = max(TEXT_MODES, key=lambda mode: top1[mode])  # max keeps the first of equal values
    log.info("%s seed %d: text mode %s chosen on pseudo-unseen %s (%s)", split.name, seed, chosen,
             inner.unseen_names, ", ".join(f"{m} {100 * v:.1f}%" for m, v in top1.items()))
    return chosen, {"pseudo_unseen": inner.unseen_names, "top1": top1}
