"""`smie eval-clips`: score every labelled clip of a folder (skeleton files and videos) and print accuracies."""

import json
import sys
from pathlib import Path

from core.benchmark.confusion_image import write_confusion_png
from core.clips.clip_folder import ClipFolderError
from core.commands import reason_without_path
from core.paths import DEFAULT_MODEL_DIR
from core.readers.label_presets import add_label_arguments, labels_from_options


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "eval-clips", help="score the labelled clips of a folder: top-1, top-5, per class, confusion",
        description="Score every clip in DIR (.skeleton/.npz files and mp4/avi/mov videos) as a whole against "
                    "candidate labels. Ground truth comes from manifest.csv or labels.csv (file,label).")
    parser.add_argument("folder", metavar="DIR", help="clip folder")
    add_label_arguments(parser, "the distinct labels in DIR")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder (default: %(default)s)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--model-complexity", type=int, choices=(0, 1, 2), default=1,
                        help="MediaPipe Pose complexity for videos (default 1, as the live source)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--confusion", metavar="PNG", default=None, help="write a confusion-matrix image here")
    parser.set_defaults(run=run)


def candidate_labels(args) -> list | None:
    """LabelSpecs from --labels / --labels-file, or None for the folder's own labels."""
    return labels_from_options(args.labels, args.labels_file, args.preset)


def format_report(report, folder) -> str:
    def percent(value):
        return "n/a" if value is None else f"{100 * value:.1f}%"

    summary = report.to_dict()
    lines = [f"{folder}: {summary['n']} clips scored against {len(report.labels)} labels"
             f" ({len(report.skipped)} skipped)",
             f"  top-1 {percent(summary['top1'])}   top-5 {percent(summary['top5'])}"]
    counts = {name: int((report.truth == i).sum()) for i, name in enumerate(report.labels)}
    for name, accuracy in summary["per_class"].items():
        lines.append(f"  {percent(accuracy):>6}  {name} ({counts[name]} clip{'s' if counts[name] != 1 else ''})")
    for item in report.recovered:
        lines.append(f"  {item.action}: {item.file} ({item.frames} frames)")
    for item in report.skipped:
        lines.append(f"  skipped {item.file}: {reason_without_path(item.reason, item.file)}")
    # clip_eval's own cautions about the result (e.g. a folder scored against fewer than two labels)
    lines += [f"  warning: {text}" for text in report.warnings]
    return "\n".join(lines)


def run(args) -> int:
    if not Path(args.folder).is_dir():  # before torch and the model: loading them takes seconds
        print(f"smie eval-clips: clip folder not found: {args.folder}", file=sys.stderr)
        return 2
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.clips.clip_eval import evaluate_clip_folder
    from core.live.engine import ModelNotFoundError, load_recognizer
    from core.model.checkpoint import CheckpointError

    try:
        labels = candidate_labels(args)
        recognizer = load_recognizer(args.model, args.device)
        report = evaluate_clip_folder(args.folder, recognizer, labels, args.model_complexity)
    except (ModelNotFoundError, CheckpointError, ClipFolderError, ValueError) as error:
        print(f"smie eval-clips: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict()) if args.json else format_report(report, args.folder))
    if args.confusion and report.n:
        title = f"{Path(args.folder).resolve().name}: {report.n} clips, top-1 {100 * report.topk(1):.1f}%"
        try:
            write_confusion_png(args.confusion, report.confusion(), report.labels, title)
        except OSError as error:
            print(f"smie eval-clips: {error}", file=sys.stderr)
            return 1
    if report.n == 0:
        print("smie eval-clips: no clip could be scored (see the skipped list)", file=sys.stderr)
        return 1
    return 0
