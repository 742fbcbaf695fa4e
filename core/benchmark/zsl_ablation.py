"""Zero-shot ablation: each row adds one lever to the row above, measured on the same splits and seeds."""

import copy
import logging

from core.benchmark.attribute_pairs import ATTRIBUTE_METHOD
from core.benchmark.zsl_bench import run_split

log = logging.getLogger(__name__)

# key -> (row name, BenchConfig changes added to every row before it). Dict-valued fields are merged.
ABLATION_STEPS = {
    "base": ("SMIE, UTD-MHAD seen classes only", {}),
    "pool": ("+ seen classes of every other dataset", {"pool_seen": True}),
    "descriptions": ("+ descriptions (trained on names and descriptions)", {"text": "mixed"}),
    "negatives": ("+ all other-class negatives", {"smie": {"negatives": "all"}}),
    "mirror": ("+ left/right mirroring of side-free classes", {"pretrain": {"mirror": True}}),
    # this row only: SMIE's scores of the row above plus the attribute term (weights fitted on pseudo-unseen
    # classes); the rows below add their levers to the row above it, without the term
    "attributes": ("+ attribute term (side, direction, rotation, posture order ...)", {}),
    "streams": ("+ bone and motion streams (an encoder and head each, scores averaged)",
                {"streams": ("joint", "bone", "motion")}),
    "finetune": ("+ encoder's last two blocks fine-tuned with the head", {"finetune": {"blocks": 2}}),
}
COMPARED_METHODS = ("devise", "relationnet", "revise", "smie_no_temporal")  # run with every lever of the last row


def ablation_configs(base, steps: tuple[str, ...] = tuple(ABLATION_STEPS)):
    """[(row name, BenchConfig)] cumulative over the chosen ABLATION_STEPS keys, in order; the last step also
    runs the baselines with the same levers, so the comparison between methods is like for like."""
    unknown = [key for key in steps if key not in ABLATION_STEPS]
    if unknown or not steps:
        raise ValueError(f"unknown ablation steps {unknown}; known: {list(ABLATION_STEPS)}")
    rows, config = [], copy.deepcopy(base)
    for step_number, (key, (name, changes)) in enumerate((key, ABLATION_STEPS[key]) for key in steps):
        config = copy.deepcopy(config)
        for key, value in changes.items():
            if isinstance(value, dict):
                getattr(config, key).update(value)
            else:
                setattr(config, key, value)
        last = step_number == len(steps) - 1
        methods = (ATTRIBUTE_METHOD if key == "attributes" else "smie",) + (COMPARED_METHODS if last else ())
        config.methods = methods
        rows.append((name, config))
    return rows


def row_label(row_name: str, method: str) -> str:
    """The table row of a method's result; a per-stream member ("smie[bone]") is named as that row's stream."""
    base, _, member = method.partition("[")
    member = member.rstrip("]")
    label = row_name if base in ("smie", ATTRIBUTE_METHOD) else f"{base} with every lever above"
    return f"{label}, {member} stream alone" if member else label


def run_ablation(arrays, splits, rows, text_encoder, pool_arrays, progress: bool = True,
                 on_result=None) -> tuple[dict, dict]:
    """({row label: {split: [top1 per seed]}}, details) for every row of ablation_configs(), split and seed;
    on_result(runs, details) after each, so a long run leaves its results so far."""
    runs, details = {}, {}
    for name, config in rows:
        for split in splits:
            for seed in range(config.first_seed, config.first_seed + config.seeds):
                result = run_split(arrays, split, seed, config, text_encoder, progress, pool_arrays)
                details[f"{name}/{split.name}/seed{seed}"] = result
                for method, metrics in result["methods"].items():
                    label = row_label(name, method)
                    runs.setdefault(label, {}).setdefault(split.name, []).append(metrics["top1"])
                log.info("ablation %s %s seed %d done", name, split.name, seed)
                if on_result is not None:
                    on_result(runs, details)
    return runs, details
