"""A model's attribute term on data it never trained on: whole clips of a dataset against that dataset's own label
list (Bandai-Namco) and the webcam_arms videos (MediaPipe) against their three labels, each with and without the
term: top-1, per-pair accuracy and the mirror test (core.benchmark.attribute_pairs).

    python benchmarks/attribute_term.py [--model models/default] [--datasets bandai_namco,webcam_arms] [--json F]
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from core.benchmark.attribute_pairs import (
    ClipScorer,
    attribute_summary_text,
    clip_windows,
    evaluate_with_term,
)
from core.model.attribute_term import load_attribute_weights
from core.model.checkpoint import load_model
from core.model.text import TextEncoder
from core.paths import DEFAULT_MODEL_DIR, data_root
from core.skeleton.attributes import global_window
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence
from core.training.class_text import label_text
from core.training.training_data import load_arrays


def webcam_clips(config: PreprocessConfig):
    """(x, raw, labels, names) of the webcam_arms videos, whole videos, pose-estimated (cached) by MediaPipe."""
    # MediaPipe imported on use: only this dataset needs it
    from core.clips.video_pose import video_skeleton

    folder = data_root() / "webcam_arms"
    rows = list(csv.DictReader((folder / "labels.csv").open()))
    names = list(dict.fromkeys(row["label"] for row in rows))
    xs, raws, labels = [], [], []
    for row in rows:
        skeleton = video_skeleton(folder / row["file"])
        keep = skeleton.valid.any(axis=(1, 2))
        joints, valid = skeleton.joints[keep], skeleton.valid[keep]
        xs.append(normalize_sequence(joints, valid, config))
        raws.append(global_window(joints, valid, config))
        labels.append(names.index(row["label"]))
    return np.stack(xs), np.stack(raws), np.array(labels), names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--datasets", default="bandai_namco,webcam_arms")
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
