"""Zero-shot benchmark: per split and seed, pretrain (cached), then train and evaluate every method side by side."""

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from core.paths import cache_dir

log = logging.getLogger(__name__)

# Method key -> (head method, use class descriptions in the label text)
BENCH_METHODS = {
    "devise": ("devise", False),
    "relationnet": ("relationnet", False),
    "revise": ("revise", False),
    "smie_no_temporal": ("smie_no_temporal", False),
    "smie": ("smie", False),
    "smie_desc": ("smie", True),
}


@dataclass
class BenchConfig:
    dataset: str = "utd_mhad"
    splits: tuple[str, ...] = ("ru5", "ru9", "ru13")
    seeds: int = 1
    methods: tuple[str, ...] = tuple(BENCH_METHODS)
    pretrain: dict = field(default_factory=dict)  # PretrainConfig overrides
    head: dict = field(default_factory=dict)  # HeadTrainConfig overrides
    mask_keyframes: str = "zero"  # the paper's keyframe masking ("drop": the official code's variant)


def _encoder_cache_key(split_name: str, seed: int, seen_names: list[str], pretrain_config, data_key: str) -> str:
    text = json.dumps([split_name, seed, seen_names, asdict(pretrain_config), data_key], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pretrained_encoder(train, validation, seen_names, pretrain_config, cache_key: str, progress: bool):
    """Pretrain on seen classes, or load the cached weights of an identical earlier run."""
    from safetensors.torch import load_file, save_file

    from core.pretrain import pretrain_encoder
    from core.stgcn import STGCN, STGCNConfig

    path = cache_dir() / "encoders" / f"{cache_key}.safetensors"
    if path.exists():
        encoder = STGCN(STGCNConfig(num_classes=len(seen_names)))
        encoder.load_state_dict(load_file(str(path)))
        return encoder.eval(), {"cached": str(path)}
    started = time.perf_counter()
    encoder, history = pretrain_encoder(train.x, train.labels, validation.x, validation.labels, len(seen_names),
                                        pretrain_config, progress=progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, str(path))
    best = max(history, key=lambda r: r["val_acc"])
    return encoder, {"seconds": time.perf_counter() - started, "best_val_acc": best["val_acc"],
                     "best_epoch": best["epoch"], "train_acc": best["train_acc"]}


def label_text(text_encoder, names: list[str], use_descriptions: bool) -> np.ndarray:
    from core.label_presets import describe
    from core.text import LabelSpec, embed_labels

    specs = [LabelSpec(name, describe(name) if use_descriptions else None) for name in names]
    return embed_labels(text_encoder, specs, use_descriptions=use_descriptions)


def run_split(arrays, split, seed: int, config: BenchConfig, text_encoder, progress: bool = True) -> dict:
    """Top-1/top-5 on the unseen classes of one split for every method; nothing is chosen on them."""
    from core.evaluate import zsl_metrics
    from core.pretrain import PretrainConfig
    from core.train_head import HeadTrainConfig, extract_features, score, train_head
    from core.training_data import stratified_holdout

    pretrain_config = PretrainConfig(seed=seed, **config.pretrain)
    seen = arrays.restrict_classes(split.seen_names)
    unseen = arrays.restrict_classes(split.unseen_names)
    train_rows, val_rows = stratified_holdout(seen.labels, pretrain_config.validation_fraction, seed)
    key = _encoder_cache_key(split.name, seed, split.seen_names, pretrain_config, str(len(arrays.x)))
    encoder, pretrain_info = pretrained_encoder(seen.subset(train_rows), seen.subset(val_rows), split.seen_names,
                                                pretrain_config, key, progress)
    seen_features = extract_features(encoder, seen.x)
    masked_features = extract_features(encoder, seen.x, mask_keyframes=config.mask_keyframes)
    unseen_features = extract_features(encoder, unseen.x)
    results = {"pretrain": pretrain_info, "methods": {}}
    for method_key in config.methods:
        method, use_descriptions = BENCH_METHODS[method_key]
        seen_text = label_text(text_encoder, split.seen_names, use_descriptions)
        unseen_text = label_text(text_encoder, split.unseen_names, use_descriptions)
        head_config = HeadTrainConfig(method=method, seed=seed, **config.head)
        head, _ = train_head(seen_features, masked_features, seen.labels, seen_text, head_config, progress=progress)
        metrics = zsl_metrics(score(head, unseen_features, unseen_text), unseen.labels)
        results["methods"][method_key] = metrics
        log.info("%s seed %d %s: top1 %.1f%%", split.name, seed, method_key, 100 * metrics["top1"])
    return results


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


# UTD-MHAD classes that the pooled datasets (MSR Action3D, UTKinect, GTU, NTU samples) contain by name or by
# meaning, with the class that covers each; the pooled setting tests zero-shot on the other UTD-MHAD classes.
UTD_COVERED_BY_POOL = {
    "right hand wave": "wave the right hand (GTU), high arm wave (MSR)",
    "two hand front clap": "hand clap (MSR), clapHands (UTKinect)",
    "right arm throw": "high throw (MSR), throw (UTKinect)",
    "right hand draw x": "draw x (MSR)",
    "right hand draw circle (clockwise)": "draw circle (MSR)",
    "right hand draw circle (counter clockwise)": "draw circle (MSR)",
    "front boxing": "forward punch (MSR)",
    "baseball swing from right": "golf swing (MSR)",
    "tennis right hand forehand swing": "tennis swing (MSR)",
    "tennis serve": "tennis serve (MSR)",
    "two hand push": "push (UTKinect)",
    "right hand knock on door": "hammer (MSR)",
    "right hand catch an object": "hand catch (MSR)",
    "right hand pick up and throw": "pick up & throw (MSR)",
    "jogging in place": "jogging (MSR)",
    "walking in place": "walk (UTKinect, GTU)",
    "sit to stand": "standUp (UTKinect), sit down on a chair and stand up (GTU)",
    "stand to sit": "sitDown (UTKinect), sit down on a chair and stand up (GTU)",
    "forward lunge (left foot forward)": "step forward with the right and left foot (GTU)",
    "squat (two arms stretch out)": "crouch down (GTU)",
}
POOL_DATASETS = ("msr_action3d", "utkinect", "gtu", "ntu_samples")


def run_pooled(seed: int, config: BenchConfig, text_encoder, progress: bool = True) -> dict:
    """Pretrain on every class of the pooled datasets; test zero-shot on the UTD-MHAD classes none contains."""
    from core.experiment import load_pooled
    from core.protocols import Split
    from core.training_data import load_arrays, pool

    pooled = load_pooled(list(POOL_DATASETS))
    target = load_arrays("utd_mhad")
    unseen_names = [n for n in target.class_names if n not in UTD_COVERED_BY_POOL]
    test = target.restrict_classes(unseen_names)
    test.class_names = unseen_names
    combined = pool([pooled, test])
    split = Split("pooled->utd_mhad", tuple(combined.class_names),
                  tuple(range(len(pooled.class_names), len(combined.class_names))))
    return run_split(combined, split, seed, config, text_encoder, progress)
