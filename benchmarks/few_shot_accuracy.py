"""Teaching labels by example, measured: for each clip folder, zero-shot by name and 1/3/5-shot with text and
examples fused (as the app scores them) beside the plain nearest class mean of the same features, in one run.
One JSON object per folder on stdout.

    python benchmarks/few_shot_accuracy.py FOLDER [FOLDER ...] [--shots 1 3 5] [--draws 10] [--seed 0]
        [--model models/default] [--max-clips-per-class 20]

Use folders the model never trained on (e.g. `smie convert --dataset msrc12 --out DIR` for a model trained
without MSRC-12): few-shot figures on clips the encoder was trained on say little."""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from core.clips.clip_eval import evaluate_clip_folder, ground_truth, load_timed_sequence  # noqa: E402
from core.clips.clip_folder import ClipEntry, ClipFolder  # noqa: E402
from core.clips.few_shot import clip_window_features, few_shot_episodes  # noqa: E402
from core.live.recognizer import Recognizer  # noqa: E402
from core.paths import DEFAULT_MODEL_DIR  # noqa: E402


def capped_folder(folder: Path, most: int, seed: int, scratch: Path) -> Path:
    """A manifest over at most `most` clips per label of a clip folder (a seeded draw), so large datasets take
    minutes, not hours; the clips stay where they are (the manifest names them by absolute path)."""
    items, _ = ground_truth(ClipFolder(folder))  # manifest.csv or labels.csv rows
    rng = np.random.default_rng(seed)
    chosen = []
    for label in sorted({item.label for item in items}):
        rows = [item for item in items if item.label == label]
        for index in sorted(rng.permutation(len(rows))[:most]):
            chosen.append(ClipEntry(str((folder / rows[index].file).resolve()), label))
    target = ClipFolder(scratch / folder.name)
    target.upsert(*chosen)
    return target.path


def measure(folder: Path, recognizer, shots: list[int], draws: int, seed: int) -> dict:
    report = evaluate_clip_folder(folder, recognizer)
    windows = clip_window_features(folder, report.files, recognizer, load_timed_sequence)
    out = {"folder": str(folder), "clips": report.n, "labels": len(report.labels), "zero_shot_top1": report.topk(1),
           "model": str(recognizer.metadata.metrics.get("datasets")), "fusion": recognizer.fusion.to_dict()}
    for k in shots:
        episodes = few_shot_episodes(report.features, report.truth, report.labels, report.scores, k, draws, seed,
                                     windows, recognizer.fusion, report.temperature, report.attribute_agreements,
                                     report.attribute_vector).to_dict()
        out[f"{k}_shot"] = {"fused": [episodes["top1"], episodes["top1_std"]],
                            "nearest_class_mean": [episodes["nearest_class_mean"]["top1"],
                                                   episodes["nearest_class_mean"]["top1_std"]],
                            "text": episodes["text"]["top1"], "scored_per_draw": episodes["scored_per_draw"],
                            "left_out": len(episodes["left_out"])}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--max-clips-per-class", type=int, default=0, help="0: every clip")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/smie-few-shot"))
    args = parser.parse_args()
    recognizer = Recognizer.load(args.model, "cpu")
    for folder in args.folders:
        if args.max_clips_per_class:
            folder = capped_folder(folder, args.max_clips_per_class, args.seed, args.scratch)
        print(json.dumps(measure(folder, recognizer, args.shots, args.draws, args.seed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
