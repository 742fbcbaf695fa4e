"""`smie data info`: what each skeleton dataset holds; `smie data domain-gap`: how their skeletons differ."""

import json
import sys

import numpy as np

from core.commands.data_gap import run_domain_gap
from core.readers.datasets import checked_data_root, dataset_names, load_dataset


def add_parser(subparsers):
    parser = subparsers.add_parser("data", help="inspect the skeleton datasets",
                                   description="Inspect the skeleton datasets under $SMIE_DATA (default "
                                               "../shared/data beside the project).")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="clips, classes, frames min/median/max and bad files per dataset",
                              description="Read every dataset found under $SMIE_DATA and count its clips, classes, "
                                          "frames per clip (min/median/max) and the files it had to skip.")
    info.add_argument("--json", action="store_true", help="print one JSON object keyed by dataset name")
    info.add_argument("--dataset", action="append", default=None,
                      help="only this dataset (repeatable; default: all)")
    info.add_argument("--no-cache", action="store_true", help="parse every file again instead of using the cache")
    gap = actions.add_parser("domain-gap", help="bone lengths, noise per axis and joint presence per source",
                             description="Put numbers on how skeletons of each source differ: bone lengths, "
                                         "frame-to-frame noise per axis (z is depth), joint presence. Clip folders "
                                         "(videos are pose-estimated with MediaPipe, cached) sit beside the datasets.")
    gap.add_argument("--dataset", action="append", default=None, help="only this dataset (repeatable; default: all)")
    gap.add_argument("--clips", action="append", default=[], metavar="FOLDER",
                     help="a folder of videos, recordings or .skeleton files to measure too (repeatable)")
    gap.add_argument("--json", action="store_true", help="print one JSON object keyed by source")
    parser.set_defaults(run=run)


def dataset_summary(dataset) -> dict:
    """Counts for one core.readers.datasets.Dataset; `classes` counts the classes that have clips."""
    frames = np.array([clip.num_frames for clip in dataset.clips]) if dataset.clips else np.zeros(1, int)
    return {
        "clips": len(dataset.clips),
        "classes": len(dataset.labels_present()),
        "class_names": len(dataset.class_names),
        "frames": {"min": int(frames.min()), "median": float(np.median(frames)), "max": int(frames.max())},
        "two_body_clips": sum(clip.num_bodies == 2 for clip in dataset.clips),
        "bad_files": [{"path": path, "reason": reason} for path, reason in dataset.bad_files],
        "load_seconds": round(dataset.load_seconds, 3),
    }


def run(args) -> int:
    if args.data_command == "domain-gap":
        return run_domain_gap(args)
    names = args.dataset or list(dataset_names())
    try:
        root = checked_data_root(names)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    summaries = {}
    for name in names:
        try:
            summaries[name] = dataset_summary(load_dataset(name, root, use_cache=not args.no_cache))
        except FileNotFoundError as error:
            print(error, file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(summaries, indent=2))
        return 0
    print(f"data: {root}")
    print(f"{'dataset':14s} {'clips':>6s} {'classes':>8s} {'frames min/median/max':>22s} {'bad':>4s} {'load s':>7s}")
    for name, s in summaries.items():
        frames = f"{s['frames']['min']}/{s['frames']['median']:g}/{s['frames']['max']}"
        classes = f"{s['classes']}/{s['class_names']}" if s["classes"] != s["class_names"] else str(s["classes"])
        print(f"{name:14s} {s['clips']:6d} {classes:>8s} {frames:>22s} {len(s['bad_files']):4d} "
              f"{s['load_seconds']:7.2f}")
    for name, s in summaries.items():
        for bad in s["bad_files"]:
            print(f"  bad in {name}: {bad['path']}: {bad['reason']}")
    return 0
