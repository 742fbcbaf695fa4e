"""Zero-shot benchmark: per split and seed, pretrain (cached), then train and evaluate every method side by side."""

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from core.paths import cache_dir

log = logging.getLogger(__name__)

# Method key -> (head method, label text: None = the config's text mode)
BENCH_METHODS = {
    "devise": ("devise", None),
    "relationnet": ("relationnet", None),
    "revise": ("revise", None),
    "smie_no_temporal": ("smie_no_temporal", None),
    "smie": ("smie", None),
    "smie_desc": ("smie", "descriptions"),
}
TEXT_MODES = ("names", "descriptions", "mixed")  # mixed: trained on names and on descriptions, tested on the latter


@dataclass
class BenchConfig:
    dataset: str = "utd_mhad"
    splits: tuple[str, ...] = ("ru5", "ru9", "ru13")
    seeds: int = 1
    first_seed: int = 0
    methods: tuple[str, ...] = tuple(BENCH_METHODS)
    pretrain: dict = field(default_factory=dict)  # PretrainConfig overrides
    head: dict = field(default_factory=dict)  # HeadTrainConfig overrides
    smie: dict = field(default_factory=dict)  # SMIEConfig overrides for the SMIE rows (e.g. negatives="all")
    encoder: dict = field(default_factory=dict)  # STGCNConfig overrides (e.g. temporal_kernel=3)
    streams: tuple[str, ...] = ("joint",)  # one encoder and head per input stream; several: scores averaged
    templates: tuple[str, ...] = ("{label}",)  # prompt templates every label is averaged over (core.text)
    finetune: dict = field(default_factory=dict)  # FinetuneConfig overrides; non-empty: SMIE heads fine-tune the
    #                                               encoder's last blocks with them after training on frozen features
    text: str = "names"  # label text of the methods that do not fix theirs: one of TEXT_MODES
    select_text: bool = False  # choose `text` per split and seed on pseudo-unseen classes (core.zsl_selection)
    pool_seen: bool = False  # also train on the other datasets' classes that cover none of the split's unseen ones
    mask_keyframes: str = "zero"  # the paper's keyframe masking ("drop": the official code's variant)


# Pretraining settings added after encoders were first cached: at these values they are left out of the key, so
# the earlier caches (made without them, i.e. with these values) stay valid.
SETTINGS_ADDED_LATER = {"legs_unseen_prob": 0.0}


def _encoder_cache_key(split_name: str, seed: int, seen_names: list[str], pretrain_config, data_key: str,
                       encoder_overrides: dict) -> str:
    settings = {k: v for k, v in asdict(pretrain_config).items() if k not in ("device", "threads")
                and not (k in SETTINGS_ADDED_LATER and v == SETTINGS_ADDED_LATER[k])}
    # Default-architecture keys stay as they were, so encoders cached before the override existed are reused.
    parts = [split_name, seed, seen_names, settings, data_key] + ([encoder_overrides] if encoder_overrides else [])
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pretrained_encoder(train, validation, seen_names, pretrain_config, cache_key: str, progress: bool,
                       encoder_overrides: dict | None = None):
    """Pretrain on seen classes, or load the cached weights of an identical earlier run.
    encoder_overrides: STGCNConfig fields other than the defaults (e.g. temporal_kernel)."""
    from safetensors.torch import load_file, save_file

    from core.pretrain import pretrain_encoder
    from core.stgcn import STGCN, STGCNConfig

    encoder_config = STGCNConfig(num_classes=len(seen_names), **(encoder_overrides or {}))
    path = cache_dir() / "encoders" / f"{cache_key}.safetensors"
    if path.exists():
        encoder = STGCN(encoder_config)
        encoder.load_state_dict(load_file(str(path)))
        return encoder.eval(), {"cached": str(path)}
    started = time.perf_counter()
    encoder, history = pretrain_encoder(train.x, train.labels, validation.x, validation.labels, len(seen_names),
                                        pretrain_config, encoder_config, progress, class_names=list(seen_names))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, str(path))
    best = max(history, key=lambda r: r["val_acc"])
    return encoder, {"seconds": time.perf_counter() - started, "best_val_acc": best["val_acc"],
                     "best_epoch": best["epoch"], "train_acc": best["train_acc"]}


def label_text(text_encoder, names: list[str], use_descriptions: bool, templates=("{label}",)) -> np.ndarray:
    """(L, D) embeddings of class names, each averaged over the prompt templates (and its description)."""
    from core.label_presets import describe
    from core.text import LabelSpec, embed_labels

    specs = [LabelSpec(name, describe(name) if use_descriptions else None) for name in names]
    return embed_labels(text_encoder, specs, templates=templates, use_descriptions=use_descriptions)


def class_text(text_encoder, names: list[str], mode: str, templates=("{label}",)) -> np.ndarray:
    """Training text of classes for a text mode: (C, D), or (2, C, D) names and descriptions for "mixed"."""
    if mode not in TEXT_MODES:
        raise ValueError(f"unknown text mode {mode!r}; known: {TEXT_MODES}")
    if mode == "mixed":
        return np.stack([label_text(text_encoder, names, False, templates),
                         label_text(text_encoder, names, True, templates)])
    return label_text(text_encoder, names, mode == "descriptions", templates)


def train_and_test_text(text_encoder, seen_names, unseen_names, mode: str,
                        templates=("{label}",)) -> tuple[np.ndarray, np.ndarray]:
    """(seen text (C, D) or (2, C, D) for mixed, unseen text (U, D)) for a text mode and prompt templates."""
    return (class_text(text_encoder, seen_names, mode, templates),
            label_text(text_encoder, unseen_names, mode != "names", templates))


def seen_training_set(arrays, split, pool_arrays=None):
    """(clips, class names) to train on: the split's seen classes, plus, given pool_arrays, every pooled class
    that neither is nor covers (UTD_COVERED_BY_POOL) one of its unseen classes."""
    from core.training_data import pool

    seen = arrays.restrict_classes(list(split.seen_names))
    if pool_arrays is None:
        return seen, list(split.seen_names)
    banned = {name.lower() for name in split.unseen_names}
    banned |= {covering.lower() for name in split.unseen_names for covering in UTD_COVERED_BY_POOL.get(name, ())}
    extra = pool_arrays.restrict_classes([n for n in pool_arrays.class_names if n.lower() not in banned])
    combined = pool([seen, extra])
    return combined, list(combined.class_names)


def run_split(arrays, split, seed: int, config: BenchConfig, text_encoder, progress: bool = True,
              pool_arrays=None) -> dict:
    """Top-1/top-5 on the unseen classes of one split for every method; nothing is chosen on them.

    With several config.streams, each stream gets its own encoder and heads; a method's result is then that of
    the mean of its per-stream scores (each z-scored over the labels, per clip), and each stream's own result is
    reported as "method[stream]"."""
    from core.evaluate import zsl_metrics

    if config.pool_seen and pool_arrays is None:
        raise ValueError("pool_seen needs the pooled datasets' arrays (pool_arrays)")
    unseen = arrays.restrict_classes(list(split.unseen_names))
    results = {"pretrain": {}, "methods": {}}
    if config.select_text:
        import dataclasses

        from core.zsl_selection import select_text_mode

        chosen, results["text_selection"] = select_text_mode(arrays, split, seed, config, text_encoder, progress)
        config = dataclasses.replace(config, text=chosen, select_text=False)
    per_stream = {}
    for input_stream in config.streams:
        overrides = stream_encoder_overrides(config, input_stream)
        scores, pretrain_info, seen_classes = _stream_scores(arrays, split, seed, config, text_encoder, progress,
                                                             pool_arrays, overrides)
        results["pretrain"][input_stream], results["seen_classes"] = pretrain_info, seen_classes
        per_stream[input_stream] = scores
    for method_key in config.methods:
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


def stream_encoder_overrides(config: BenchConfig, input_stream: str) -> dict:
    """config.encoder for one input stream; the joint stream adds nothing, so its cache keys stay as they were."""
    return dict(config.encoder, **({"input_stream": input_stream} if input_stream != "joint" else {}))


def _z_scored(scores: np.ndarray) -> np.ndarray:
    """(N, L) scores standardised over the labels of each clip, so heads of different scales average fairly."""
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-8)


def _stream_scores(arrays, split, seed, config, text_encoder, progress, pool_arrays, encoder_overrides):
    """({method: (N_unseen, L) scores}, pretraining info, seen class count) of one encoder and its heads."""
    from core.pretrain import PretrainConfig
    from core.smie import SMIEConfig
    from core.train_head import HeadTrainConfig, extract_features, score, train_head
    from core.training_data import stratified_holdout

    pretrain_config = PretrainConfig(seed=seed, **config.pretrain)
    seen, seen_names = seen_training_set(arrays, split, pool_arrays if config.pool_seen else None)
    unseen = arrays.restrict_classes(list(split.unseen_names))
    train_rows, val_rows = stratified_holdout(seen.labels, pretrain_config.validation_fraction, seed)
    data_key = f"{len(arrays.x)}+{len(pool_arrays.x)}" if config.pool_seen else str(len(arrays.x))
    key = _encoder_cache_key(split.name, seed, seen_names, pretrain_config, data_key, encoder_overrides)
    encoder, pretrain_info = pretrained_encoder(seen.subset(train_rows), seen.subset(val_rows), seen_names,
                                                pretrain_config, key, progress, encoder_overrides)
    seen_features = extract_features(encoder, seen.x)
    masked_features = extract_features(encoder, seen.x, mask_keyframes=config.mask_keyframes)
    unseen_features = extract_features(encoder, unseen.x)
    scores = {}
    for method_key in config.methods:
        method, text_mode = BENCH_METHODS[method_key]
        seen_text, unseen_text = train_and_test_text(text_encoder, seen_names, list(split.unseen_names),
                                                     text_mode or config.text, config.templates)
        head_config = HeadTrainConfig(method=method, seed=seed, **config.head)
        smie_config = None
        if method.startswith("smie") and config.smie:
            smie_config = SMIEConfig(visual_dim=seen_features.shape[1], text_dim=seen_text.shape[-1], **config.smie)
        head, _ = train_head(seen_features, masked_features, seen.labels, seen_text, head_config, smie_config,
                             progress=progress)
        features = unseen_features
        if config.finetune and method.startswith("smie"):
            from core.finetune import FinetuneConfig, finetune

            finetune_config = FinetuneConfig(**{"seed": seed, "device": config.pretrain.get("device", ""),
                                                **config.finetune})
            tuned, head, _ = finetune(encoder, head, seen.x, seen.labels, seen_text, finetune_config, progress)
            features = extract_features(tuned, unseen.x)
        scores[method_key] = score(head, features, unseen_text)
    return scores, pretrain_info, len(seen_names)


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


# UTD-MHAD classes that the other shared datasets (MSR Action3D, UTKinect, GTU, NTU samples) contain by name or
# by meaning, with the classes that cover each. A split whose unseen classes include one of these trains on none
# of its covering classes; the pooled setting tests zero-shot on the UTD-MHAD classes no other dataset covers.
UTD_COVERED_BY_POOL = {
    "right arm swipe to the left": ("horizontal arm wave",),
    "right arm swipe to the right": ("horizontal arm wave",),
    "right hand wave": ("wave the right hand", "wave the left hand", "high arm wave", "wave hands"),
    "two hand front clap": ("hand clap", "clap hands", "sit and clap hands"),
    "right arm throw": ("high throw", "throw"),
    "right hand draw x": ("draw x",),
    "right hand draw circle (clockwise)": ("draw circle",),
    "right hand draw circle (counter clockwise)": ("draw circle",),
    "front boxing": ("forward punch", "side-boxing", "punching/slapping other person"),
    "baseball swing from right": ("golf swing",),
    "tennis right hand forehand swing": ("tennis swing",),
    "tennis serve": ("tennis serve",),
    "two hand push": ("push",),
    "right hand knock on door": ("hammer",),
    "right hand catch an object": ("hand catch",),
    "right hand pick up and throw": ("pick up & throw",),
    "jogging in place": ("jogging",),
    "walking in place": ("walk",),
    "sit to stand": ("stand up", "sit down on a chair and stand up"),
    "stand to sit": ("sit down", "sit down on a chair and stand up"),
    "forward lunge (left foot forward)": ("step forward with the right and left foot",),
    "squat (two arms stretch out)": ("crouch down",),
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
