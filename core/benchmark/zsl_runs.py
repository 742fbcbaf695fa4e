"""One split's encoder and heads for the zero-shot benchmark: the config, the encoder cache, per-stream scores."""

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field

from safetensors.torch import load_file, save_file

from core.model.smie import SMIEConfig
from core.model.stgcn import STGCN, STGCNConfig
from core.paths import cache_dir
from core.training.class_text import train_and_test_text
from core.training.finetune import FinetuneConfig, finetune
from core.training.pretrain import PretrainConfig, pretrain_encoder
from core.training.protocols import UTD_COVERED_BY_POOL
from core.training.train_head import HeadTrainConfig, extract_features, score, train_head
from core.training.training_data import pool, stratified_holdout

# Method key -> (head method, label text: None = the config's text mode)
BENCH_METHODS = {
    "devise": ("devise", None),
    "relationnet": ("relationnet", None),
    "revise": ("revise", None),
    "smie_no_temporal": ("smie_no_temporal", None),
    "smie": ("smie", None),
    "smie_desc": ("smie", "descriptions"),
    "smie_attributes": ("smie", None),  # SMIE's scores plus the attribute term (core.benchmark.attribute_pairs)
}


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
    templates: tuple[str, ...] = ("{label}",)  # prompt templates every label is averaged over (core.model.text)
    finetune: dict = field(default_factory=dict)  # FinetuneConfig overrides; non-empty: SMIE heads fine-tune the
    #                                               encoder's last blocks with them after training on frozen features
    text: str = "names"  # label text of the methods that do not fix theirs: one of TEXT_MODES
    select_text: bool = False  # choose `text` per split and seed on pseudo-unseen classes (core.benchmark.zsl_selection)
    pool_seen: bool = False  # also train on the other datasets' classes that cover none of the split's unseen ones
    pool_head: bool = True  # with pool_seen, the heads learn the pooled classes too (False: the target's seen
    #                         classes only, on the pooled encoder's features: an ablation of the head's extra classes)
    mask_keyframes: str = "zero"  # the paper's keyframe masking ("drop": the official code's variant)


# Pretraining settings added after encoders were first cached: at these values they are left out of the key, so
# the earlier caches (made without them, i.e. with these values) stay valid.
SETTINGS_ADDED_LATER = {"legs_unseen_prob": 0.0, "balance": ""}


def encoder_cache_key(split_name: str, seed: int, seen_names: list[str], pretrain_config, data_key: str,
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
    encoder_config = STGCNConfig(num_classes=len(seen_names), **(encoder_overrides or {}))
    path = cache_dir() / "encoders" / f"{cache_key}.safetensors"
    if path.exists():
        encoder = STGCN(encoder_config)
        encoder.load_state_dict(load_file(str(path)))
        return encoder.eval(), {"cached": str(path)}
    started = time.perf_counter()
    # A benchmark stopped mid-pretraining resumes from its last epoch (core.training.resume).
    training_dir = cache_dir() / "encoder_training" / cache_key
    encoder, history = pretrain_encoder(train.x, train.labels, validation.x, validation.labels, len(seen_names),
                                        pretrain_config, encoder_config, progress, class_names=list(seen_names),
                                        checkpoint_dir=training_dir, train_datasets=train.datasets)
    training_dir.rmdir()  # emptied by pretrain_encoder once it finished
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, str(path))
    best = max(history, key=lambda r: r["val_acc"])
    return encoder, {"seconds": time.perf_counter() - started, "best_val_acc": best["val_acc"],
                     "best_epoch": best["epoch"], "train_acc": best["train_acc"]}


def seen_training_set(arrays, split, pool_arrays=None):
    """(clips, class names) to train on: the split's seen classes, plus, given pool_arrays, every pooled class
    that neither is nor covers (UTD_COVERED_BY_POOL) one of its unseen classes."""
    seen = arrays.restrict_classes(list(split.seen_names))
    if pool_arrays is None:
        return seen, list(split.seen_names)
    combined = pool([seen, pool_covering_none(pool_arrays, split.unseen_names)])
    return combined, list(combined.class_names)


def pool_covering_none(pool_arrays, unseen_names):
    """The pooled clips of every class that neither is nor covers (UTD_COVERED_BY_POOL) one of these classes."""
    banned = {name.lower() for name in unseen_names}
    banned |= {covering.lower() for name in unseen_names for covering in UTD_COVERED_BY_POOL.get(name, ())}
    return pool_arrays.restrict_classes([n for n in pool_arrays.class_names if n.lower() not in banned])


def head_training_set(seen, seen_names, split, config: BenchConfig):
    """(clips, class names) the heads learn: the encoder's, or with pool_seen and not pool_head only the split's
    own seen classes (the encoder still pretrained on the pool)."""
    if config.pool_seen and not config.pool_head:
        return seen.restrict_classes(list(split.seen_names)), list(split.seen_names)
    return seen, seen_names


def stream_encoder_overrides(config: BenchConfig, input_stream: str) -> dict:
    """config.encoder for one input stream; the joint stream adds nothing, so its cache keys stay as they were."""
    return dict(config.encoder, **({"input_stream": input_stream} if input_stream != "joint" else {}))


def stream_scores(arrays, split, seed, config, text_encoder, progress, pool_arrays, encoder_overrides,
                  keep: dict | None = None):
    """({method: (N_unseen, L) scores}, pretraining info, the encoder's seen class count) of one encoder and its
    heads.
    keep, a dict, receives "encoder" (fine-tuned when the SMIE heads fine-tune it), "heads" {method: head} and
    "scores", for scoring more clips or labels with the same model (the attribute row)."""
    pretrain_config = PretrainConfig(seed=seed, **config.pretrain)
    seen, seen_names = seen_training_set(arrays, split, pool_arrays if config.pool_seen else None)
    unseen = arrays.restrict_classes(list(split.unseen_names))
    train_rows, val_rows = stratified_holdout(seen.labels, pretrain_config.validation_fraction, seed)
    data_key = f"{len(arrays.x)}+{len(pool_arrays.x)}" if config.pool_seen else str(len(arrays.x))
    key = encoder_cache_key(split.name, seed, seen_names, pretrain_config, data_key, encoder_overrides)
    encoder, pretrain_info = pretrained_encoder(seen.subset(train_rows), seen.subset(val_rows), seen_names,
                                                pretrain_config, key, progress, encoder_overrides)
    encoder_classes = len(seen_names)
    seen, seen_names = head_training_set(seen, seen_names, split, config)
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
            finetune_config = FinetuneConfig(**{"seed": seed, "device": config.pretrain.get("device", ""),
                                                **config.finetune})
            tuned, head, _ = finetune(encoder, head, seen.x, seen.labels, seen_text, finetune_config, progress)
            features = extract_features(tuned, unseen.x)
            if keep is not None:
                keep["encoder"] = tuned
        scores[method_key] = score(head, features, unseen_text)
        if keep is not None:
            keep.setdefault("encoder", encoder)
            keep.setdefault("heads", {})[method_key] = head
    if keep is not None:
        keep["scores"] = scores
    return scores, pretrain_info, encoder_classes
