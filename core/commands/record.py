"""`smie record`: record one labelled clip from any live source into a clip folder, headless."""

import sys
import threading

from core.clips.clip_folder import ClipFolderError, open_clip_folder
from core.clips.recording import Recorder, RecorderConfig, record_source
from core.live.sources import SourceError, open_source
from core.live.sources.pose_models import add_people_argument, add_pose_model_argument
from core.readers.labels import LabelSpec


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "record", help="record a labelled clip into a clip folder",
        description="Record one clip from a camera, video, skeleton file or Kinect into DIR as an NTU .skeleton "
                    "file plus a manifest.csv row. Ctrl-C ends the clip and keeps it.")
    parser.add_argument("--source", required=True,
                        help="camera index (0), video file, NTU .skeleton file, recorded .npz clip, kinect2 or azure")
    parser.add_argument("--label", required=True, help="class name of the action performed, e.g. 'wave the hand'")
    parser.add_argument("--out", required=True, help="clip folder (created if needed)")
    parser.add_argument("--seconds", type=float, default=None, help="clip length; default: until the source ends "
                        "or Ctrl-C")
    parser.add_argument("--countdown", type=float, default=3.0, help="seconds to wait before recording (default 3)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate the clip is written at (default 30)")
    parser.add_argument("--notes", default="", help="free text saved in the manifest row")
    add_pose_model_argument(parser)
    add_people_argument(parser)
    parser.add_argument("--fast", dest="realtime", action="store_false", default=True,
                        help="read files as fast as possible instead of at their recorded pace")
    parser.set_defaults(run=run)


def countdown(seconds: float, label: str, stop: threading.Event | None = None):
    """Print a whole-second countdown to stderr, then 'recording'."""
    remaining = seconds
    while remaining > 0:
        print(f"recording {label!r} in {remaining:.0f}...", file=sys.stderr, flush=True)
        step = min(1.0, remaining)
        (stop or threading.Event()).wait(step)
        remaining -= step
    print(f"recording {label!r} (Ctrl-C to stop)", file=sys.stderr, flush=True)


def run(args) -> int:
    try:
        label = LabelSpec(args.label).name
        if args.fps <= 0 or (args.seconds is not None and args.seconds <= 0) or args.countdown < 0:
            raise ValueError("--fps and --seconds must be positive and --countdown not negative")
        folder, recovered = open_clip_folder(args.out, create=True)
        source = open_source(args.source, realtime=args.realtime, pose_model=args.pose_model, keep_image=False,
                             num_poses=args.people)
        source.open()
    except (ClipFolderError, SourceError, ValueError, OSError) as error:
        print(f"smie record: {error}", file=sys.stderr)
        return 2
    for item in recovered:
        reason = f": {item.reason}" if item.reason else ""
        print(f"smie record: {item.action} {item.file} ({item.frames} frames){reason}", file=sys.stderr)
    recorder = None
    interrupted, failure = False, None
    try:
        countdown(args.countdown, label)
        recorder = Recorder(folder, label, source=str(args.source), notes=args.notes, config=RecorderConfig(args.fps))
        record_source(source, recorder, args.seconds)
    except KeyboardInterrupt:
        interrupted = True
    except SourceError as error:
        failure = error
    finally:
        source.close()
        entry = recorder.finish() if recorder is not None else None
    if failure is not None:
        print(f"smie record: {source.name} failed: {failure}", file=sys.stderr)
    if entry is None:
        print("smie record: no frame recorded; nothing kept", file=sys.stderr)
        return 130 if interrupted else 1
    print(f"saved {folder.clip_path(entry)}: {entry.frames} frames ({entry.duration_s:.2f} s at {entry.fps:g} fps), "
          f"label {entry.label!r}")
    return 1 if failure is not None else 0
