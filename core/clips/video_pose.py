"""Whole videos -> NTU-25 skeleton sequences through the live MediaPipe source, cached on disk per file version."""

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.live.sources import SourceError
from core.live.sources.mediapipe_pose import MediaPipeSource
from core.live.sources.pose_models import DEFAULT_POSE_MODEL, pose_model_path, pose_model_problem
from core.paths import cache_dir
from core.skeleton.clip import MAX_BODIES

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
CACHE_FORMAT = 2  # bump when the stored arrays change (2: both body slots)
# The pose and joint-map code is part of the key: editing either invalidates cached skeletons.
_CODE_FILES = ("live/sources/mediapipe_pose.py", "live/sources/pose_tracking.py", "skeleton/joint_maps.py",
               "clips/video_pose.py")  # under core/


@dataclass
class VideoSkeleton:
    """joints (T, 2, 25, 3) float32 NTU camera axes and valid (T, 2, 25), one frame per video frame, both body
    slots of the live source (zeros and False where a slot holds nobody); fps of the video; from_cache tells
    whether MediaPipe ran."""

    joints: np.ndarray
    valid: np.ndarray
    fps: float
    from_cache: bool = False

    @property
    def frames_with_person(self) -> int:
        return int(self.valid.any(axis=(1, 2)).sum())


# Read when the process starts, with the code it runs (see core.readers.parse_cache).
_CODE_DIGEST = hashlib.sha256(b"".join((Path(__file__).resolve().parent.parent / code).read_bytes()
                                       for code in _CODE_FILES)).digest()

_MODEL_DIGESTS: dict[tuple, str] = {}  # (path, size, mtime) -> sha256 of the model file, for this process


def _model_digest(model: Path) -> str:
    """sha256 of the pose model's bytes (a checkout's new mtime does not invalidate the cache, new bytes do)."""
    stat = model.stat()
    key = (str(model.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _MODEL_DIGESTS:
        _MODEL_DIGESTS[key] = hashlib.sha256(model.read_bytes()).hexdigest()
    return _MODEL_DIGESTS[key]


def _cache_path(path: Path, pose_model: Path) -> Path:
    # mediapipe imported on use: importing this module stays light
    import mediapipe

    stat = path.stat()
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|"
                            f"{_model_digest(pose_model)}|{mediapipe.__version__}".encode())
    digest.update(_CODE_DIGEST)
    return cache_dir() / "video_poses" / f"{path.stem[:40]}-{digest.hexdigest()[:20]}.npz"


def _estimate(path: Path, pose_model: Path) -> VideoSkeleton:
    joints, valid = [], []
    source = MediaPipeSource(path, pose_model=pose_model, realtime=False, keep_image=False)
    with source:
        for frame in source:  # M bodies, 0 <= M <= MAX_BODIES: padded to both slots
            frame_joints, frame_valid = np.zeros((MAX_BODIES, 25, 3), np.float32), np.zeros((MAX_BODIES, 25), bool)
            count = min(frame.joints.shape[0], MAX_BODIES)
            frame_joints[:count], frame_valid[:count] = frame.joints[:count], frame.valid[:count]
            joints.append(frame_joints)
            valid.append(frame_valid)
        fps = float(source.fps)
    return VideoSkeleton(np.stack(joints), np.stack(valid), fps)


def video_skeleton(path: str | Path, pose_model: str | Path | None = DEFAULT_POSE_MODEL,
                   use_cache: bool = True) -> VideoSkeleton:
    """Pose-estimate every frame of a video (as fast as possible, the live source's code) -> VideoSkeleton.

    pose_model: "lite", "full" or a PoseLandmarker .task file. The result is cached in cache_dir()/video_poses
    keyed by the file's path, size and mtime, the pose model's bytes, the MediaPipe version and the pose code, so
    a second call on an unchanged file takes milliseconds.
    Raises core.live.sources.SourceError naming the file when it is missing, not a video or has no decodable
    frame, or when the pose model is not there.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"video file not found: {path}")
    problem = pose_model_problem(pose_model)
    if problem:
        raise SourceError(problem)
    pose_model = pose_model_path(pose_model)
    cached = _cache_path(path, pose_model) if use_cache else None
    if cached is not None and cached.is_file():
        try:
            with np.load(cached) as data:
                return VideoSkeleton(data["joints"], data["valid"], float(data["fps"]), from_cache=True)
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring unreadable pose cache %s (%s)", cached, error)
    skeleton = _estimate(path, pose_model)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f".{cached.stem}.{os.getpid()}.tmp.npz")
        np.savez(temporary, joints=skeleton.joints, valid=skeleton.valid, fps=np.float64(skeleton.fps))
        os.replace(temporary, cached)  # a concurrent reader sees the whole file or none
    return skeleton
