"""Whole videos -> NTU-25 skeleton sequences through the live MediaPipe source, cached on disk per file version."""

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.live.sources import SourceError
from core.live.sources.mediapipe_pose import MediaPipeSource
from core.paths import cache_dir

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
CACHE_FORMAT = 1  # bump when the stored arrays change
# The pose and joint-map code is part of the key: editing either invalidates cached skeletons.
_CODE_FILES = ("live/sources/mediapipe_pose.py", "skeleton/joint_maps.py", "clips/video_pose.py")  # under core/


@dataclass
class VideoSkeleton:
    """joints (T, 1, 25, 3) float32 NTU axes and valid (T, 1, 25), one frame per video frame (zeros and False
    where MediaPipe found nobody); fps of the video; from_cache tells whether MediaPipe ran."""

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

def _cache_path(path: Path, model_complexity: int, pose_model: Path | None) -> Path:
    # mediapipe imported on use: importing this module stays light
    import mediapipe

    stat = path.stat()
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|"
                            f"{model_complexity}|{mediapipe.__version__}".encode())
    if pose_model is not None:
        model_stat = pose_model.stat()
        digest.update(f"|{pose_model.resolve()}|{model_stat.st_size}|{model_stat.st_mtime_ns}".encode())
    digest.update(_CODE_DIGEST)
    return cache_dir() / "video_poses" / f"{path.stem[:40]}-{digest.hexdigest()[:20]}.npz"


def _estimate(path: Path, model_complexity: int, pose_model: Path | None) -> VideoSkeleton:
    joints, valid = [], []
    source = MediaPipeSource(path, pose_model=pose_model, model_complexity=model_complexity, realtime=False,
                             keep_image=False)
    with source:
        for frame in source:  # MediaPipe gives at most one body: M is 0 or 1
            one_joints, one_valid = np.zeros((1, 25, 3), np.float32), np.zeros((1, 25), bool)
            if frame.joints.shape[0]:
                one_joints, one_valid = frame.joints[:1], frame.valid[:1]
            joints.append(one_joints)
            valid.append(one_valid)
        fps = float(source.fps)
    return VideoSkeleton(np.stack(joints), np.stack(valid), fps)


def video_skeleton(path: str | Path, model_complexity: int = 1, pose_model: str | Path | None = None,
                   use_cache: bool = True) -> VideoSkeleton:
    """Pose-estimate every frame of a video (as fast as possible, the live source's code) -> VideoSkeleton.

    The result is cached in cache_dir()/video_poses keyed by the file's path, size and mtime, the pose settings
    and the pose code, so a second call on an unchanged file takes milliseconds.
    Raises core.live.sources.SourceError naming the file when it is missing, not a video or has no decodable frame.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"video file not found: {path}")
    pose_model = Path(pose_model) if pose_model else None
    cached = _cache_path(path, model_complexity, pose_model) if use_cache else None
    if cached is not None and cached.is_file():
        try:
            with np.load(cached) as data:
                return VideoSkeleton(data["joints"], data["valid"], float(data["fps"]), from_cache=True)
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring unreadable pose cache %s (%s)", cached, error)
    skeleton = _estimate(path, model_complexity, pose_model)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f".{cached.stem}.{os.getpid()}.tmp.npz")
        np.savez(temporary, joints=skeleton.joints, valid=skeleton.valid, fps=np.float64(skeleton.fps))
        os.replace(temporary, cached)  # a concurrent reader sees the whole file or none
    return skeleton
