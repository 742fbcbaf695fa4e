"""A model's attribute term on data it never trained on: whole clips of a dataset against that dataset's own label
list (Bandai-Namco) and the webcam_arms videos (MediaPipe) against their three labels, each with and without the
term: top-1, per-pair accuracy and the mirror test (core.benchmark.attribute_pairs). webcam_arms_flipped: the
mirror test through pose estimation, the side-specific webcam videos flipped left-right frame by frame and
pose-estimated again, each scored against its mirrored label and its own.

    python benchmarks/attribute_term.py [--model models/default] [--datasets bandai_namco,webcam_arms,webcam_arms_flipped]
        [--json F]
"""

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.benchmark.attribute_pairs import (
    ClipScorer,
    attribute_summary_text,
    attribute_terms,
    clip_windows,
    evaluate_with_term,
)
from core.model.attribute_term import load_attribute_weights
from core.model.checkpoint import load_model
from core.model.text import TextEncoder
from core.paths import DEFAULT_MODEL_DIR, data_root
from core.readers.label_attributes import mirrored_label, parse_label_attributes
from core.skeleton.attributes import global_window
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence
from core.training.class_text import label_text
from core.training.training_data import load_arrays


def webcam_clips(config: PreprocessConfig, flipped_to: Path | None = None, only=None):
    """(x, raw, labels, names) of the webcam_arms videos, whole videos, pose-estimated (cached) by MediaPipe.
    flipped_to: a folder where each video is first written flipped left-right (only: the labels to keep)."""
    # MediaPipe imported on use: only this dataset needs it
    from core.clips.video_pose import video_skeleton

    folder = data_root() / "webcam_arms"
    rows = list(csv.DictReader((folder / "labels.csv").open()))
    names = list(dict.fromkeys(row["label"] for row in rows))
    xs, raws, labels = [], [], []
    for row in rows:
        if only is not None and row["label"] not in only:
            continue
        video = folder / row["file"]
        if flipped_to is not None:
            video = flip_video(video, flipped_to / row["file"])
        skeleton = video_skeleton(video)
        keep = skeleton.valid.any(axis=(1, 2))
        joints, valid = skeleton.joints[keep], skeleton.valid[keep]
        xs.append(normalize_sequence(joints, valid, config))
        raws.append(global_window(joints, valid, config))
        labels.append(names.index(row["label"]))
    return np.stack(xs), np.stack(raws), np.array(labels), names


def flip_video(source: Path, target: Path) -> Path:
    """Write `source` mirrored left-right (every frame flipped about the vertical axis) to `target` once."""
    # cv2 imported on use: only the flipped webcam clips need it
    import cv2

    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if writer is None:
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, frame.shape[1::-1])
        writer.write(cv2.flip(frame, 1))
    capture.release()
    if writer is None:
        raise ValueError(f"{source}: no frame could be decoded")
    writer.release()
    return target


def flipped_mirror_test(scorer, weights, config: PreprocessConfig, folder: Path) -> dict:
    """The webcam videos of side-specific labels flipped and pose-estimated again, scored against (mirrored
    label, own label): the share where the mirrored label wins, with and without the term, per label too."""
    rows = csv.DictReader((data_root() / "webcam_arms" / "labels.csv").open())
    names = list(dict.fromkeys(row["label"] for row in rows))
    sided = [name for name in names if parse_label_attributes(mirrored_label(name)) != parse_label_attributes(name)]
    x, raw, labels, names = webcam_clips(config, folder, only=sided)
    result = {"clips": int(len(x)), "per_label": []}
    hits_with, hits_without = [], []
    for c in sorted(set(labels.tolist())):
        rows = np.flatnonzero(labels == c)
        pair = [mirrored_label(names[c]), names[c]]
        base = scorer(x[rows], pair)
        total = base + attribute_terms(weights, pair, x[rows], raw[rows])
        with_term, without = (total[:, 0] > total[:, 1]).tolist(), (base[:, 0] > base[:, 1]).tolist()
        hits_with += with_term
        hits_without += without
        result["per_label"].append({"label": names[c], "mirrored": pair[0], "clips": len(rows),
                                    "accuracy": float(np.mean(with_term)), "without": float(np.mean(without))})
    result["accuracy"] = float(np.mean(hits_with)) if hits_with else None
    result["without"] = float(np.mean(hits_without)) if hits_without else None
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--datasets", default="bandai_namco,webcam_arms,webcam_arms_flipped")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    model = load_model(args.model)
    meta = model.metadata
    weights = load_attribute_weights(meta)
    if weights is None:
        print(f"{args.model} has no attribute weights (smie calibrate --attributes stores them)")
        return 2
    config = PreprocessConfig(**meta.preprocess) if meta.preprocess else PreprocessConfig()
    text_encoder = TextEncoder(meta.text_model)

    def embed(names):
        return label_text(text_encoder, list(names), False, tuple(meta.text_templates))

    scorer = ClipScorer(model.encoder, model.head, embed)
    results = {}
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        if name == "webcam_arms_flipped":
            with tempfile.TemporaryDirectory() as folder:
                results[name] = flipped_mirror_test(scorer, weights, config, Path(folder))
            figures = results[name]
            print(f"{name} ({figures['clips']} flipped videos): mirrored label wins "
                  f"{100 * figures['accuracy']:.1f}% with the term, {100 * figures['without']:.1f}% without")
            continue
        if name == "webcam_arms":
            x, raw, labels, names = webcam_clips(config)
        else:
            arrays = load_arrays(name, config)
            x, raw, labels, names = np.asarray(arrays.x), clip_windows(arrays, config), arrays.labels, list(
                arrays.class_names)
        results[name] = evaluate_with_term(scorer, weights, scorer(x, names), x, raw, labels, names)
        print(f"{name} ({len(x)} clips, {len(names)} labels): {attribute_summary_text(results[name])}")
        for pair, before in zip(results[name]["pairs"]["pairs"], results[name]["pairs_without"]["pairs"]):
            print(f"  {pair['labels'][0]} / {pair['labels'][1]}: {100 * before['accuracy']:.1f}% -> "
                  f"{100 * pair['accuracy']:.1f}% of {pair['clips']} clips")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
