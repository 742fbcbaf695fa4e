"""Replay of NTU .skeleton files and recorded clips (.npz), at the recorded pace or as fast as possible."""

import time
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.live.sources.base import Frame, Pacer, Source, SourceError
from core.readers.ntu import read_ntu_skeleton
from core.skeleton.clip import Clip

RECORDING_SUFFIX = ".npz"
REPLAY_SUFFIXES = (".skeleton", RECORDING_SUFFIX)


def save_recording(path: str | Path, joints: np.ndarray, valid: np.ndarray, timestamps: np.ndarray,
                   fps: float) -> Path:
    """Write a recorded clip: joints (T, M, 25, 3), valid (T, M, 25), timestamps (T,) seconds, nominal fps."""
    path = Path(path)
    assert path.suffix == RECORDING_SUFFIX, f"a recording is an {RECORDING_SUFFIX} file, got {path}"
    assert len(timestamps) == len(joints), f"{len(timestamps)} timestamps for {len(joints)} frames"
    np.savez_compressed(path, joints=np.asarray(joints, np.float32), valid=np.asarray(valid, bool),
                        timestamps=np.asarray(timestamps, np.float64), fps=np.float64(fps))
    return path


def load_recording(path: str | Path) -> Clip:
    """A recording written by save_recording -> Clip with extras["timestamps"] (T,) seconds."""
    path = Path(path)
    try:
        with np.load(path) as data:
            arrays = {key: data[key] for key in ("joints", "valid", "timestamps", "fps")}
    except (OSError, ValueError) as error:
        raise SkeletonFileError(path, f"not a readable recording ({error})") from error
    except KeyError as error:
        raise SkeletonFileError(path, "missing array", field=str(error.args[0])) from error
    timestamps = arrays["timestamps"].astype(np.float64)
    if len(timestamps) == 0:
        raise SkeletonFileError(path, "no frames", field="joints")
    if len(timestamps) != len(arrays["joints"]) or (np.diff(timestamps) < 0).any():
        raise SkeletonFileError(path, "timestamps must be one per frame and never go backwards",
                                field="timestamps")
    try:
        clip = Clip(joints=arrays["joints"], valid=arrays["valid"], source=str(path), fps=float(arrays["fps"]))
    except AssertionError as error:
        raise SkeletonFileError(path, str(error), field="joints") from error
    clip.extras["timestamps"] = timestamps
    return clip


def read_replay_file(path: str | Path) -> Clip:
    """An NTU .skeleton file or a recording -> Clip. Raises SourceError naming the file when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"skeleton file not found: {path}")
    try:
        if path.suffix == ".skeleton":
            return read_ntu_skeleton(path)
        if path.suffix == RECORDING_SUFFIX:
            return load_recording(path)
    except SkeletonFileError as error:
        raise SourceError(f"cannot replay {path}: {error}") from error
    raise SourceError(f"cannot replay {path}: expected one of {', '.join(REPLAY_SUFFIXES)}")


class ReplaySource(Source):
    """Frames of a recorded clip. realtime=True keeps the recorded pace; False delivers them as fast as read."""

    def __init__(self, clip_or_path: Clip | str | Path, realtime: bool = True, loop: bool = False):
        self._clip = clip_or_path if isinstance(clip_or_path, Clip) else None
        self._path = None if self._clip is not None else Path(clip_or_path)
        self.name = self._clip.source or "clip" if self._clip is not None else str(self._path)
        self.realtime = realtime
        self.loop = loop  # start again at the end (a demo that runs until stopped)
        self.is_live = False
        self._index = 0
        self._offset = 0.0  # added to timestamps on each loop so time never goes backwards
        self._pacer: Pacer | None = None

    def open(self):
        if self._clip is None:
            self._clip = read_replay_file(self._path)
        clip = self._clip
        self.fps = clip.fps
        timestamps = clip.extras.get("timestamps")
        self._timestamps = (np.asarray(timestamps, np.float64) if timestamps is not None
                            else np.arange(clip.num_frames) / clip.fps)
        self._index, self._offset = 0, 0.0
        self._pacer = Pacer(self.interrupt) if self.realtime else None

    def read(self) -> Frame | None:
        assert self._clip is not None, f"{self.name}: read() before open()"
        clip = self._clip
        if self._index >= clip.num_frames:
            if not self.loop:
                return None
            self._offset += self._timestamps[-1] + 1.0 / clip.fps
            self._index = 0
        timestamp = self._offset + float(self._timestamps[self._index])
        if self._pacer is not None:
            self._pacer.wait_until(timestamp)
        frame = Frame(joints=clip.joints[self._index], valid=clip.valid[self._index], timestamp=timestamp,
                      index=self._index, captured_at=time.monotonic())
        self._index += 1
        return frame
