"""Shared steps of the pretrain/train/eval commands: pick data and a split, save and load a pretrained encoder."""

import json
from dataclasses import asdict
from pathlib import Path

from safetensors.torch import load_file, save_file

from core.model.stgcn import STGCN, STGCNConfig
from core.paths import data_root
from core.readers.datasets import dataset_names, load_dataset
from core.readers.label_presets import load_preset, readable_name
from core.training.protocols import drawn_holdout, holdout_split, ntu_split, pku_split, utd_mhad_split
from core.training.training_data import load_arrays, pool

ENCODER_WEIGHTS = "encoder.safetensors"
ENCODER_METADATA = "encoder.json"


def parse_datasets(text: str) -> list[str]:
    """Comma-separated dataset names, 'all', or a user's arrays as arrays:PRESET:DATA.npy:LABELS."""
    known = dataset_names()
    names = list(known) if text == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known and not n.startswith("arrays:")]
    if unknown:
        raise ValueError(f"unknown datasets {unknown}; known: {list(known)}, 'all', "
                         "or arrays:PRESET:DATA.npy:LABELS for your own NTU-style arrays")
    for name in names:
        if name.startswith("arrays:"):
            parts = name.split(":", 3)
            missing = [p for p in parts[2:] if not Path(p).is_file()]
            if len(parts) != 4 or missing:
                raise ValueError(f"{name!r}: expected arrays:PRESET:DATA.npy:LABELS with existing files"
                                 + (f"; missing {missing}" if missing else ""))
    return names


def load_pooled(datasets: list[str]):
    """TrainingArrays of the datasets, classes pooled by name; classes without clips (most of NTU-120's names
    in the NTU samples) are left out."""
    pooled = pool([load_arrays(name) for name in datasets])
    present = set(pooled.labels.tolist())
    return pooled.restrict_classes([n for i, n in enumerate(pooled.class_names) if i in present])


def protocol_unseen_names(protocol: str) -> list[str]:
    """Unseen class names of a built-in protocol: utd_mhad:ru5|ru9|ru13, ntu60:synse:55/5|48/12,
    ntu120:synse:110/10|96/24, ntu60|ntu120:optimized:0..2, pku_mmd:optimized:0..2."""
    dataset, _, rest = protocol.partition(":")
    kind, _, which = rest.partition(":")
    if dataset in ("ntu60", "ntu120", "pku_mmd") and kind in ("synse", "optimized") and which:
        names = [readable_name(label.name) for label in load_preset(dataset)]
        index = int(which) if kind == "optimized" and which.isdigit() else which
        split = pku_split(names, index) if dataset == "pku_mmd" else ntu_split(names, kind, index)
        return split.unseen_names
    raise ValueError(f"unknown protocol {protocol!r}; known: utd_mhad:ru5 (ru9, ru13), ntu60:synse:55/5 (48/12), "
                     "ntu120:synse:110/10 (96/24), ntu60|ntu120|pku_mmd:optimized:0 (1, 2)")


def choose_split(arrays, protocol: str | None, holdout: str | None, holdout_draw: float | None = None,
                 seed: int = 0):
    """The unseen classes: a built-in protocol ("utd_mhad:ru5", "ntu60:synse:55/5", ...), comma-separated class
    names, or a share of the classes drawn with the seed and closed under the cover relation; None = all seen."""
    given = [option for option, value in (("--protocol", protocol), ("--holdout", holdout),
                                          ("--holdout-draw", holdout_draw)) if value is not None]
    if len(given) > 1:
        raise ValueError(f"give one of --protocol, --holdout and --holdout-draw, not {' and '.join(given)}")
    if holdout_draw is not None:
        return holdout_split(arrays.class_names, drawn_holdout(arrays, holdout_draw, seed),
                             name=f"holdout-draw-{holdout_draw:g}-seed{seed}")
    if protocol:
        dataset, _, name = protocol.partition(":")
        if dataset != "utd_mhad":
            return holdout_split(arrays.class_names, protocol_unseen_names(protocol), name=protocol)
        utd_split = utd_mhad_split(list(load_dataset("utd_mhad").class_names), name, data_root() / "utd_mhad" / "splits")
        return holdout_split(arrays.class_names, utd_split.unseen_names, name=utd_split.name)
    if holdout:
        return holdout_split(arrays.class_names, [n for n in holdout.split(",") if n.strip()])
    return None


def save_encoder(out_dir: Path, encoder, metadata: dict) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, str(out_dir / ENCODER_WEIGHTS))
    metadata = dict(metadata, encoder_config=asdict(encoder.config))
    (out_dir / ENCODER_METADATA).write_text(json.dumps(metadata, indent=2, default=str))


def load_encoder(encoder_dir: Path):
    """(encoder in eval mode, metadata dict) from a `smie pretrain` folder; clear errors for a bad folder."""
    weights, meta_path = encoder_dir / ENCODER_WEIGHTS, encoder_dir / ENCODER_METADATA
    for path in (weights, meta_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: run `smie pretrain --out {encoder_dir}` first")
    metadata = json.loads(meta_path.read_text())
    config = dict(metadata["encoder_config"])
    config["channels"], config["strides"] = tuple(config["channels"]), tuple(config["strides"])
    encoder = STGCN(STGCNConfig(**config))
    encoder.load_state_dict(load_file(str(weights)))
    return encoder.eval(), metadata
