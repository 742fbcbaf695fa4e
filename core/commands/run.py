"""`smie run`: live zero-shot recognition from a camera, video, skeleton file or Kinect, printed as text or JSON lines."""

import logging
import queue
import sys

from core.commands import unit_fraction
from core.live.scorer import SCORED_STATES, UNSURE_BELOW, LiveScorer, ScorerConfig
from core.live.sources import SourceError, open_source
from core.live.sources.pose_models import add_people_argument, add_pose_model_argument
from core.model.attribute_term import describe_phrase
from core.paths import DEFAULT_MODEL_DIR
from core.readers.label_presets import add_label_arguments, labels_from_options, load_preset
from core.readers.labels import LabelSpec, label_key

log = logging.getLogger(__name__)

DEFAULT_PRESET = "ntu120"  # labels when none are given: the 120 NTU RGB+D class names
# Without a window to offer another source, a camera that gives no frame is an error once the next retry would
# start after this long (tries at 0, 0.5 and 1.5 s cover a device still starting; the model has loaded for
# seconds before); one that worked and went away is retried for ever.
CAMERA_GIVE_UP_S = 3.0


def add_parser(subparsers):
    parser = subparsers.add_parser("run", help="recognise actions live from a camera, file or Kinect",
                                   description="Score every label on a sliding window of the live skeleton.")
    parser.add_argument("--source", required=True,
                        help="camera index (0), video file, NTU .skeleton file, recorded .npz clip, kinect2 or azure")
    add_label_arguments(parser, f"the {DEFAULT_PRESET} preset")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder (default: %(default)s)")
    parser.add_argument("--window", type=float, default=2.0, help="seconds of history per result (default 2.0)")
    parser.add_argument("--stride", type=float, default=0.2, help="seconds between results (default 0.2)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="factor on the model's calibrated softmax temperature (default 1: calibrated)")
    parser.add_argument("--unsure-below", type=unit_fraction, default=None, metavar="P",
                        help="a top probability under P gives state 'unsure' with its best candidates (default: "
                             f"the threshold smie calibrate chose for the model, {UNSURE_BELOW} for models without "
                             "one; 0: never)")
    parser.add_argument("--smoothing", type=float, default=0.0,
                        help="weight of the previous probabilities, 0-1 (default 0: no smoothing)")
    parser.add_argument("--top", type=int, default=5, help="labels listed per result (default 5)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--examples", metavar="DIR", default=None,
                        help="a clip folder (manifest.csv or labels.csv) of recorded examples: each clip is an "
                             "example of its label, scored beside the label's name; labels not yet listed are added")
    parser.add_argument("--no-attributes", action="store_true",
                        help="score without the model's attribute term (side, direction, rotation, posture order)")
    add_pose_model_argument(parser)
    add_people_argument(parser)
    parser.add_argument("--pose-workers", type=int, default=None,
                        help="MediaPipe estimators on alternate frames (default: 2 with two cores or more)")
    parser.add_argument("--jsonl", action="store_true", help="print one JSON object per result")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--realtime", dest="realtime", action="store_true", default=True,
                      help="replay files at their recorded pace (default)")
    pace.add_argument("--fast", dest="realtime", action="store_false",
                      help="process files as fast as possible, scoring every stride")
    parser.set_defaults(run=run)


def labels_from_args(args) -> list:
    """LabelSpecs from --labels, --labels-file or --preset; raises ValueError naming the bad input."""
    given = labels_from_options(args.labels, args.labels_file, args.preset)
    return given if given is not None else load_preset(DEFAULT_PRESET)


class CaptureProblemPrinter:
    """on_error of the engine: a device being retried, said on stderr once per new message, and only once the
    source has delivered frames; one that never opens ends the run with a single fatal message instead."""

    def __init__(self):
        self.engine = None
        self._last = None

    def __call__(self, event) -> None:
        if event.fatal or self.engine is None or self.engine.frames_read == 0 or event.message == self._last:
            return
        self._last = event.message
        retry = "; retrying" if event.retry_in_s else ""
        print(f"smie run: {event.message}{retry}", file=sys.stderr, flush=True)


def format_result(result) -> str:
    """One human-readable line per result."""
    if result.state not in SCORED_STATES:
        return f"{result.timestamp:8.2f} s  [{result.state}]  coverage {result.coverage:.0%}"
    seen = describe_phrase(result.attributes)
    seen = f"  [{seen}]" if seen else ""
    if result.state == "unsure":
        candidates = " or ".join(f"{item['label']} {item['prob']:.2f}" for item in result.top[:2])
        return f"{result.timestamp:8.2f} s  unsure: {candidates}?{seen}  (e2e {result.e2e_ms:.0f} ms)"
    best = "  ".join(f"{item['label']} {item['prob']:.2f}" for item in result.top)
    return f"{result.timestamp:8.2f} s  {best}{seen}  (e2e {result.e2e_ms:.0f} ms)"


def with_examples(labels: list, folder, pose_model) -> tuple[list, list]:
    """The labels plus those of --examples DIR not yet listed, and the examples read from DIR (each unusable
    clip said on stderr by name)."""
    if folder is None:
        return labels, []
    # reads videos (pose estimation) and skeleton files: imported on use so `smie --help` stays fast
    from core.clips.example_library import examples_from_folder

    names, loaded = examples_from_folder(folder, pose_model)
    for problem in loaded.problems:
        print(f"smie run: example not used: {problem}", file=sys.stderr)
    listed = {label_key(label.name) for label in labels}
    added = [LabelSpec(name) for name in names if label_key(name) not in listed]
    log.info("%d examples of %d labels from %s (%d labels added)", len(loaded.examples), len(names), folder,
             len(added))
    return labels + added, loaded.examples


def run(args) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.live.engine import EngineConfig, LiveEngine, ModelNotFoundError, load_recognizer

    try:
        labels = labels_from_args(args)
        source = open_source(args.source, realtime=args.realtime, pose_model=args.pose_model,
                             pose_workers=args.pose_workers, num_poses=args.people)
        recognizer = load_recognizer(args.model, args.device)
        labels, examples = with_examples(labels, args.examples, args.pose_model)
    except (ModelNotFoundError, SourceError, ValueError) as error:
        print(f"smie run: {error}", file=sys.stderr)
        return 2
    results = queue.Queue(maxsize=1000)
    config = ScorerConfig(window_seconds=args.window, stride_seconds=args.stride, temperature=args.temperature,
                          unsure_below=args.unsure_below, smoothing=args.smoothing, top_k=args.top,
                          attributes=not args.no_attributes)
    scorer = LiveScorer(recognizer, (), config, results=results)
    label_set = scorer.set_labels(labels, examples)
    for problem in label_set.example_problems:
        print(f"smie run: example not used: {problem}", file=sys.stderr)
    printer = CaptureProblemPrinter()
    engine_config = EngineConfig(realtime=args.realtime, give_up_without_frames_s=CAMERA_GIVE_UP_S)
    engine = LiveEngine(source, scorer, engine_config, on_error=printer)
    printer.engine = engine
    log.info("running %d labels on %s (%s)", len(scorer.label_set.names), source.name,
             "recorded pace" if args.realtime else "as fast as possible")
    engine.start()
    try:
        while True:
            try:
                item = results.get(timeout=0.1)
            except queue.Empty:
                if engine.finished.is_set() and results.empty():
                    break
                continue
            if hasattr(item, "state"):  # a LiveResult; errors are logged by the engine and scorer already
                print(item.to_json() if args.jsonl else format_result(item), flush=True)
    except KeyboardInterrupt:
        engine.stop()
        return 130
    engine.stop()
    if engine.fatal_error is not None:
        print(f"smie run: {engine.fatal_error.message}", file=sys.stderr)
        return 1
    return 0
