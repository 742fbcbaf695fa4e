"""A trained model as a folder: weights.safetensors (encoder.* and head.* tensors) plus model.json metadata."""

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from core.model.baselines import DeViSE, DeViSEConfig, RelationNet, RelationNetConfig, ReViSE, ReViSEConfig
from core.model.smie import SMIEConfig, SMIEHead
from core.model.stgcn import STGCN, STGCNConfig
from core.model.text import canonical_model_name
from core.paths import atomic_write

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when model.json or the tensor naming changes incompatibly
WEIGHTS_FILE = "weights.safetensors"
METADATA_FILE = "model.json"


class CheckpointError(ValueError):
    """A checkpoint folder is missing, damaged or does not fit the caller (text model, layout)."""


@dataclass
class ModelMetadata:
    """Everything model.json records. save_model fills the encoder/head fields from the modules themselves."""

    text_model: str  # sentence-transformers name or path the label embeddings come from
    text_dim: int  # dimension of those embeddings; the head's input depends on it
    layout: str = "ntu25"  # joint layout the encoder was trained on (core.skeleton.layouts)
    preprocess: dict = field(default_factory=dict)  # asdict(PreprocessConfig) used for training
    seen_classes: list = field(default_factory=list)  # class names the model was trained on
    text_templates: list = field(default_factory=lambda: ["{label}"])  # prompt templates of the label embeddings
    text_use_descriptions: bool = False  # whether label embeddings averaged in the class descriptions
    hyperparameters: dict = field(default_factory=dict)  # training settings, free-form
    data_fingerprint: str = ""  # hash of the training data, to tell runs apart
    metrics: dict = field(default_factory=dict)  # free-form results (accuracy, split, ...)
    encoder_config: dict = field(default_factory=dict)  # asdict(STGCNConfig); filled by save_model
    head_kind: str = ""  # "smie" | "devise" | "relationnet"; filled by save_model
    head_config: dict = field(default_factory=dict)  # asdict(head config); filled by save_model
    created: str = ""  # ISO-8601 UTC time of saving; filled by save_model
    format_version: int = FORMAT_VERSION


@dataclass
class LoadedModel:
    encoder: object  # core.model.stgcn.STGCN in eval mode
    head: object  # SMIEHead or a baseline head in eval mode
    metadata: ModelMetadata


def head_classes() -> dict:
    """head kind -> (head class, config class); imported here so reading metadata needs no torch."""
    return {"smie": (SMIEHead, SMIEConfig), "devise": (DeViSE, DeViSEConfig),
            "relationnet": (RelationNet, RelationNetConfig), "revise": (ReViSE, ReViSEConfig)}


def _head_kind(head) -> str:
    for kind, (head_class, _) in head_classes().items():
        if type(head) is head_class:
            return kind
    raise CheckpointError(f"cannot save a head of type {type(head).__name__}; known: {sorted(head_classes())}")


def _check_consistent(metadata: ModelMetadata, source: str) -> None:
    """The top-level layout and text_dim must agree with the encoder and head configs they describe."""
    if metadata.encoder_config.get("layout", metadata.layout) != metadata.layout:
        raise CheckpointError(f"{source}: layout {metadata.layout!r} differs from the encoder's "
                              f"{metadata.encoder_config['layout']!r}")
    if metadata.head_config.get("text_dim", metadata.text_dim) != metadata.text_dim:
        raise CheckpointError(f"{source}: text_dim {metadata.text_dim} differs from the head's "
                              f"{metadata.head_config['text_dim']}")


def save_model(model_dir, encoder, head, metadata: ModelMetadata) -> Path:
    """Write `encoder` (an STGCN) and `head` into model_dir; returns the folder. Existing files are replaced."""
    if not isinstance(encoder, STGCN):
        raise CheckpointError(f"save_model needs the trainable STGCN, got {type(encoder).__name__}")
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    metadata = dataclasses.replace(
        metadata, encoder_config=dataclasses.asdict(encoder.config), head_kind=_head_kind(head),
        head_config=dataclasses.asdict(head.config), format_version=FORMAT_VERSION,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    _check_consistent(metadata, str(model_dir / METADATA_FILE))
    tensors = {f"encoder.{name}": tensor for name, tensor in encoder.state_dict().items()}
    tensors.update({f"head.{name}": tensor for name, tensor in head.state_dict().items()})
    # safetensors refuses shared or strided storage; detached contiguous CPU copies are always accepted.
    tensors = {name: tensor.detach().cpu().contiguous().clone() for name, tensor in tensors.items()}
    atomic_write(model_dir / WEIGHTS_FILE, lambda temp: save_file(tensors, temp, metadata={"format": "pt"}))
    _write_metadata(model_dir, metadata)
    log.info("saved %s model (%d tensors) to %s", metadata.head_kind, len(tensors), model_dir)
    return model_dir


def _write_metadata(model_dir: Path, metadata: ModelMetadata) -> None:
    text = json.dumps(dataclasses.asdict(metadata), indent=2, sort_keys=True, ensure_ascii=False)
    atomic_write(model_dir / METADATA_FILE, lambda temp: Path(temp).write_text(text + "\n", encoding="utf-8"))


def update_metrics(model_dir, updates: dict) -> ModelMetadata:
    """Add or replace entries of a saved model's metrics (e.g. a temperature fitted later); the weights stay."""
    model_dir = Path(model_dir)
    metadata = read_metadata(model_dir)
    metadata = dataclasses.replace(metadata, metrics={**metadata.metrics, **updates})
    _write_metadata(model_dir, metadata)
    return metadata


def read_metadata(model_dir) -> ModelMetadata:
    """model.json of a checkpoint folder, checked field by field; CheckpointError names the file on any problem."""
    path = Path(model_dir) / METADATA_FILE
    if not path.is_file():
        raise CheckpointError(f"{path}: missing (is {model_dir} a model folder?)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: not readable JSON: {error}") from error
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(raw).__name__}")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path}: format_version {version!r}, this program reads {FORMAT_VERSION}")
    known = {f.name: f for f in dataclasses.fields(ModelMetadata)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        log.warning("%s: ignoring unknown fields %s", path, unknown)
    required = [name for name, f in known.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required + ["head_kind", "encoder_config", "head_config"] if not raw.get(name)]
    if missing:
        raise CheckpointError(f"{path}: missing field(s) {missing}")
    try:
        metadata = ModelMetadata(**{name: raw[name] for name in known if name in raw})
        metadata.text_dim = int(metadata.text_dim)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: bad field: {error}") from error
    return metadata


def check_compatible(metadata: ModelMetadata, source: str, expect_text_model: str | None = None,
                     expect_text_dim: int | None = None, expect_layout: str | None = None) -> None:
    """CheckpointError naming both values when the checkpoint does not fit the caller's text model or layout."""
    if expect_text_model is not None and canonical_model_name(expect_text_model) != canonical_model_name(
            metadata.text_model):
        raise CheckpointError(f"{source}: trained with text model {metadata.text_model!r}, "
                              f"but {expect_text_model!r} was requested")
    if expect_text_dim is not None and int(expect_text_dim) != metadata.text_dim:
        raise CheckpointError(f"{source}: trained with {metadata.text_dim}-d text embeddings, "
                              f"but the text model gives {expect_text_dim}-d")
    if expect_layout is not None and expect_layout != metadata.layout:
        raise CheckpointError(f"{source}: trained on joint layout {metadata.layout!r}, "
                              f"but the input uses {expect_layout!r}")


def _split_tensors(prefix: str, tensors: dict) -> dict:
    return {name[len(prefix):]: tensor for name, tensor in tensors.items() if name.startswith(prefix)}


def _load_into(module, state: dict, path: Path, what: str) -> None:
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{path}: {what} tensors do not match the model: missing {missing[:5]}"
                              f"{' ...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}")
    for name, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise CheckpointError(f"{path}: {what}.{name} has shape {tuple(tensor.shape)}, "
                                  f"the model built from model.json needs {tuple(expected[name].shape)}")
    module.load_state_dict(state)


def load_model(model_dir, expect_text_model: str | None = None, device="cpu", expect_text_dim: int | None = None,
               expect_layout: str | None = None) -> LoadedModel:
    """Rebuild encoder and head from the checkpoint alone, in eval mode on `device`."""
    model_dir = Path(model_dir)
    metadata = read_metadata(model_dir)
    metadata_path = model_dir / METADATA_FILE
    _check_consistent(metadata, str(metadata_path))
    check_compatible(metadata, str(metadata_path), expect_text_model, expect_text_dim, expect_layout)
    kinds = head_classes()
    if metadata.head_kind not in kinds:
        raise CheckpointError(f"{metadata_path}: unknown head_kind {metadata.head_kind!r}; known: {sorted(kinds)}")
    head_class, config_class = kinds[metadata.head_kind]
    try:
        encoder = STGCN(STGCNConfig(**metadata.encoder_config))
        head = head_class(config_class(**metadata.head_config))
    except (TypeError, ValueError, AssertionError, KeyError) as error:
        raise CheckpointError(f"{metadata_path}: cannot rebuild the model from its config: {error}") from error

    weights_path = model_dir / WEIGHTS_FILE
    if not weights_path.is_file():
        raise CheckpointError(f"{weights_path}: missing")
    try:
        tensors = load_file(str(weights_path), device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{weights_path}: not a readable safetensors file: {error}") from error
    _load_into(encoder, _split_tensors("encoder.", tensors), weights_path, "encoder")
    _load_into(head, _split_tensors("head.", tensors), weights_path, "head")
    return LoadedModel(encoder.to(device).eval(), head.to(device).eval(), metadata)
