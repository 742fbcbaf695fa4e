"""Capture sources behind one interface; open_source() turns a command-line spec into one."""

from pathlib import Path

from core.live.sources.azure import AzureKinectSource
from core.live.sources.base import Frame, Source, SourceError
from core.live.sources.kinect2 import Kinect2Source
from core.live.sources.mediapipe_pose import MediaPipeSource
from core.live.sources.replay import REPLAY_SUFFIXES, ReplaySource

__all__ = ["Frame", "Source", "SourceError", "open_source", "describe_specs"]

# Which options each kind of source takes; others are ignored for that kind (e.g. realtime for a camera).
_CAMERA_OPTIONS = {"pose_model", "keep_image", "pose_workers", "num_poses"}
_VIDEO_OPTIONS = _CAMERA_OPTIONS | {"realtime"}
_REPLAY_OPTIONS = {"realtime", "loop"}
_ALL_OPTIONS = _VIDEO_OPTIONS | _REPLAY_OPTIONS


def describe_specs() -> str:
    return ("a camera index (0), a video file, an NTU .skeleton file, a recorded .npz clip, "
            "'kinect2' or 'azure'")


def open_source(spec: str, **options) -> Source:
    """A Source for `spec` (not yet opened; the engine opens it in its capture thread).

    spec: camera index ("0"), video file, .skeleton / .npz file, "kinect2" or "azure".
    options: realtime (files: keep the recorded pace, default True), loop (replays), pose_model ("lite", "full"
    or a MediaPipe PoseLandmarker .task file; default core.live.sources.pose_models.DEFAULT_POSE_MODEL),
    keep_image (attach the BGR image to frames, default True), pose_workers (pose estimators working on
    alternate frames; default 2 on a machine with two cores or more), num_poses (people per frame, default 2).
    """
    unknown = set(options) - _ALL_OPTIONS
    if unknown:
        raise TypeError(f"open_source() got unknown options {sorted(unknown)}; known: {sorted(_ALL_OPTIONS)}")

    def taking(allowed):
        return {key: value for key, value in options.items() if key in allowed and value is not None}

    spec = str(spec).strip()
    if spec.isdigit():
        return MediaPipeSource(int(spec), **taking(_CAMERA_OPTIONS))
    if spec.lower() == "kinect2":
        return Kinect2Source()
    if spec.lower() == "azure":
        return AzureKinectSource()
    path = Path(spec).expanduser()
    if path.suffix.lower() in REPLAY_SUFFIXES:
        return ReplaySource(path, **taking(_REPLAY_OPTIONS))
    if not path.is_file():
        raise SourceError(f"source {spec!r} is not {describe_specs()} (no such file)")
    return MediaPipeSource(path, **taking(_VIDEO_OPTIONS))
