"""`smie eval-clips`: score every labelled clip of a folder (skeleton files and videos) and print accuracies and
how far the live probabilities can be trusted, over whole clips and over live-like windows."""

import json
import sys
from pathlib import Path

from core.benchmark.confusion_image import write_confusion_png
from core.clips.clip_folder import ClipFolderError
from core.clips.few_shot import clip_window_features, few_shot_episodes
from core.commands import reason_without_path
from core.live.scorer import SCORED_STATES
from core.live.sources.pose_models import add_pose_model_argument
from core.paths import DEFAULT_MODEL_DIR
from core.readers.label_presets import add_label_arguments, labels_from_options

WINDOW_CLIP_LIMIT = 200  # more scored clips: no window calibration (one encoder call per window, ~30 ms on a CPU)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "eval-clips", help="score the labelled clips of a folder: top-1, top-5, per class, confusion, calibration",
        description="Score every clip in DIR (.skeleton/.npz files and mp4/avi/mov videos) as a whole against "
                    "candidate labels. Ground truth comes from manifest.csv or labels.csv (file,label). Calibration "
                    "figures (ECE, NLL, Brier, AUROC of confidence, selective top-1) are taken at the live app's "
                    "temperature, over whole clips and over the live windows of every clip.")
    parser.add_argument("folder", metavar="DIR", help="clip folder")
    add_label_arguments(parser, "the distinct labels in DIR")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder (default: %(default)s)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    add_pose_model_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--confusion", metavar="PNG", default=None, help="write a confusion-matrix image here")
    parser.add_argument("--reliability", metavar="PNG", default=None,
                        help="write the reliability diagram of the clips' probabilities here")
    parser.add_argument("--shots", type=int, default=0, metavar="K",
                        help="also score few-shot: per draw, K clips of each class become examples and the others "
                             "are scored by text and examples as the app scores them, beside the nearest class mean "
                             "of the examples' features (0: zero-shot only)")
    parser.add_argument("--draws", type=int, default=10, metavar="N", help="seeded draws of --shots examples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first --shots draw")
    parser.add_argument("--no-attributes", action="store_true",
                        help="score without the model's attribute term (side, direction, rotation, posture order)")
    parser.add_argument("--no-windows", action="store_true",
                        help="skip the calibration over live windows (2 s every 0.2 s of every clip; done for "
                             f"folders of at most {WINDOW_CLIP_LIMIT} scored clips)")
    parser.set_defaults(run=run)


def candidate_labels(args) -> list | None:
    """LabelSpecs from --labels / --labels-file, or None for the folder's own labels."""
    return labels_from_options(args.labels, args.labels_file, args.preset)


def calibration_text(figures: dict) -> str:
    """One line of calibration_summary figures."""
    def number(key, digits):
        return "n/a" if figures[key] is None else f"{figures[key]:.{digits}f}"

    selective = "n/a" if figures["selective_top1_50"] is None else f"{100 * figures['selective_top1_50']:.1f}%"
    return (f"ECE {number('ece', 3)}  NLL {number('nll', 2)}  Brier {number('brier', 3)}  "
            f"AUROC {number('auroc', 2)}  top-1 of the surer half {selective}  "
            f"mean top prob when wrong {number('mean_top_prob_wrong', 2)}  (temperature {figures['temperature']:.3g})")


def windows_text(windows: dict | None, reason: str) -> str:
    """The window calibration line, or why there is none."""
    if windows is None:
        return f"  live windows: not scored ({reason})"
    states = ", ".join(f"{count} {state}" for state, count in sorted(windows["states"].items())
                       if state not in SCORED_STATES)
    top1 = "n/a" if windows["top1"] is None else f"{100 * windows['top1']:.1f}%"
    skipped = f" ({states}: not scored live either)" if states else ""
    return (f"  live windows ({windows['window_seconds']:g} s every {windows['stride_seconds']:g} s): "
            f"{windows['n']} of {windows['windows_cut']} scored{skipped}, "
            f"top-1 {top1}\n    {calibration_text(windows) if windows['n'] else 'no window scored'}")


def format_report(report, folder) -> str:
    def percent(value):
        return "n/a" if value is None else f"{100 * value:.1f}%"

    summary = report.to_dict()
    lines = [f"{folder}: {summary['n']} clips scored against {len(report.labels)} labels"
             f" ({len(report.skipped)} skipped)",
             f"  top-1 {percent(summary['top1'])}   top-5 {percent(summary['top5'])}"]
    counts = {name: int((report.truth == i).sum()) for i, name in enumerate(report.labels)}
    if report.n:
        lines.append(f"  calibration: {calibration_text(summary['calibration'])}")
    for name, accuracy in summary["per_class"].items():
        lines.append(f"  {percent(accuracy):>6}  {name} ({counts[name]} clip{'s' if counts[name] != 1 else ''})")
    for item in report.recovered:
        lines.append(f"  {item.action}: {item.file} ({item.frames} frames)")
    for item in report.skipped:
        lines.append(f"  skipped {item.file}: {reason_without_path(item.reason, item.file)}")
    # clip_eval's own cautions about the result (e.g. a folder scored against fewer than two labels)
    lines += [f"  warning: {text}" for text in report.warnings]
    return "\n".join(lines)


def windows_skipped_reason(args, report) -> str | None:
    """Why the live windows are not scored, or None when they are."""
    if args.no_windows:
        return "--no-windows"
    if not report.n:
        return "no clip scored"
    if report.n > WINDOW_CLIP_LIMIT:
        return f"{report.n} clips, more than {WINDOW_CLIP_LIMIT}"
    return None


def write_reliability(path, scores, labels, temperature: float, title: str, command: str) -> int:
    """Draw a reliability diagram (core.benchmark.reliability_image): 0, or 2 after a message naming the path
    and why it cannot be written. Shared by `smie eval` and `smie eval-clips`."""
    # cv2 and the image code imported on use so `smie --help` stays fast
    import cv2

    from core.benchmark.reliability_image import write_reliability_png

    try:
        write_reliability_png(path, scores, labels, temperature, title)
    except (OSError, cv2.error) as error:  # cv2 raises for a name without an image extension, else returns False
        folder = Path(path).parent
        why = (f"folder {folder} does not exist" if not folder.is_dir() else
               "no image writer for that file extension (use .png)" if isinstance(error, cv2.error) else
               "the file cannot be written there")
        print(f"{command}: cannot write the reliability diagram to --reliability {path}: {why}", file=sys.stderr)
        return 2
    return 0


def few_shot_text(few_shot: dict) -> str:
    if few_shot["top1"] is None:
        return (f"few-shot: no draw had two classes with more than {few_shot['shots']} clips "
                f"(left out: {', '.join(few_shot['left_out'])})")
    left_out = f"; left out (too few clips): {', '.join(few_shot['left_out'])}" if few_shot["left_out"] else ""
    def figure(summary):
        return f"{100 * summary['top1']:.1f} % ± {100 * summary['top1_std']:.1f}"

    return (f"few-shot, {few_shot['shots']} example(s) per class, {few_shot['draws']} draws, "
            f"{few_shot['scored_per_draw']} clips per draw: text and examples {figure(few_shot)}; nearest class "
            f"mean of the examples {figure(few_shot['nearest_class_mean'])}; by name only "
            f"{figure(few_shot['text'])}{left_out}")


def run(args) -> int:
    if not Path(args.folder).is_dir():  # before torch and the model: loading them takes seconds
        print(f"smie eval-clips: clip folder not found: {args.folder}", file=sys.stderr)
        return 2
    if args.shots < 0 or args.draws < 1:
        print(f"smie eval-clips: --shots must be 0 or more and --draws 1 or more, got {args.shots} and "
              f"{args.draws}", file=sys.stderr)
        return 2
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.clips.clip_eval import evaluate_clip_folder, load_timed_sequence
    from core.clips.window_eval import evaluate_windows
    from core.live.engine import ModelNotFoundError, load_recognizer
    from core.model.checkpoint import CheckpointError

    try:
        labels = candidate_labels(args)
        recognizer = load_recognizer(args.model, args.device)
        recognizer.use_attributes = not args.no_attributes
        report = evaluate_clip_folder(args.folder, recognizer, labels, args.pose_model)
        reason = windows_skipped_reason(args, report)
        windows = None if reason else evaluate_windows(args.folder, report, recognizer, args.pose_model)
    except (ModelNotFoundError, CheckpointError, ClipFolderError, ValueError) as error:
        print(f"smie eval-clips: {error}", file=sys.stderr)
        return 2
    summary = report.to_dict()
    summary["calibration_windows"] = windows.to_dict() if windows else None
    if args.shots and report.n:
        window_features = clip_window_features(args.folder, report.files, recognizer,
                                               lambda path: load_timed_sequence(path, args.pose_model))
        summary["few_shot"] = few_shot_episodes(report.features, report.truth, report.labels, report.scores,
                                                args.shots, args.draws, args.seed, window_features,
                                                recognizer.fusion, report.temperature,
                                                report.attribute_agreements, report.attribute_vector).to_dict()
    if args.json:
        print(json.dumps(summary))
    else:
        print(format_report(report, args.folder))
        print(windows_text(summary["calibration_windows"], reason))
        if "few_shot" in summary:
            print(few_shot_text(summary["few_shot"]))
    title = f"{Path(args.folder).resolve().name}: {report.n} clips, top-1 {100 * report.topk(1):.1f}%"
    failed = 0  # the results are printed already: a bad image path still gives its own exit code
    if args.reliability and report.n:
        failed = write_reliability(args.reliability, report.scores, report.truth, report.temperature, title,
                                   "smie eval-clips")
    if args.confusion and report.n:
        try:
            write_confusion_png(args.confusion, report.confusion(), report.labels, title)
        except OSError as error:
            print(f"smie eval-clips: {error}", file=sys.stderr)
            return 1
    if failed:
        return failed
    if report.n == 0:
        print("smie eval-clips: no clip could be scored (see the skipped list)", file=sys.stderr)
        return 1
    return 0
