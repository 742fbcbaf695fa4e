"""The frame type every capture source yields and the interface the live engine drives."""

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


class SourceError(RuntimeError):
    """A source cannot deliver frames: missing SDK, unreadable file, absent device.

    `retryable` is True when waiting may help (a camera unplugged or still busy), False when it cannot
    (a missing file, a missing SDK).
    """

    def __init__(self, message: str, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


@dataclass
class Frame:
    """One captured instant.

    joints: (M, 25, 3) float32, metres, NTU camera axes (X to the sensor's left, Y up, Z away); M = 0 when
            nobody is in view.
    valid: (M, 25) bool, True where the joint was observed.
    timestamp: source time in seconds (media time for files, time.monotonic() for live devices).
    index: frame number within the source, counting from 0 (skipped frames keep their numbers).
    captured_at: time.monotonic() when the frame was grabbed, before pose estimation; end-to-end latency
                 is measured from here.
    image: the BGR image the skeleton came from (never mirrored), or None for skeleton-only sources.
    pose_ms: time spent estimating the pose of this frame (0 for sources that deliver skeletons).
    image_points: (M, 25, 2) float32 pixel (x, y) of each joint in `image`, for drawing over it; None when the
                  source has no image.
    """

    joints: np.ndarray
    valid: np.ndarray
    timestamp: float
    index: int
    captured_at: float = 0.0
    image: np.ndarray | None = None
    pose_ms: float = 0.0
    image_points: np.ndarray | None = None

    def __post_init__(self):
        assert self.joints.ndim == 3 and self.joints.shape[1:] == (25, 3), (
            f"Frame.joints must be (M, 25, 3), got {self.joints.shape}")
        assert self.valid.shape == self.joints.shape[:2], (
            f"Frame.valid must be {self.joints.shape[:2]}, got {self.valid.shape}")

    @property
    def num_bodies(self) -> int:
        return int(self.valid.any(axis=1).sum())


def empty_skeleton() -> tuple[np.ndarray, np.ndarray]:
    """(joints (0, 25, 3), valid (0, 25)): a frame with nobody in view."""
    return np.zeros((0, 25, 3), np.float32), np.zeros((0, 25), bool)


class Source(ABC):
    """A stream of Frames. Use as a context manager or call open()/close(); read() returns None at the end.

    Subclasses set `fps` (nominal frames per second, None when unknown until opened), `is_live` (a device
    rather than a file) and `name` (for messages). All methods are called from one capture thread.
    """

    fps: float | None = None
    is_live: bool = False
    name: str = "source"
    dropped_frames: int = 0  # frames skipped to keep pace with real time
    interrupt: threading.Event | None = None  # the engine sets it on stop so a paced wait ends at once

    @abstractmethod
    def open(self):
        """Acquire the device or file; raise SourceError with a message saying what to do when it fails."""

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame; None at the end of a file. Raises SourceError when a device fails."""

    def close(self):
        """Release the device or file; safe to call twice and after a failed open()."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame


class Pacer:
    """Keeps a file source at its recorded pace: wait until a frame is due, and tell when it is already late."""

    def __init__(self, interrupt: threading.Event | None = None):
        self._start: float | None = None
        self._interrupt = interrupt or threading.Event()  # set by the engine on stop, ends a pending wait

    def reset(self):
        self._start = None

    def lateness(self, media_time: float) -> float:
        """Seconds the frame at `media_time` is overdue (negative: early). Starts the clock on the first call."""
        if self._start is None:
            self._start = time.monotonic() - media_time
        return time.monotonic() - (self._start + media_time)

    def wait_until(self, media_time: float):
        """Sleep until the frame at `media_time` is due, or until the interrupt event is set."""
        early = -self.lateness(media_time)
        if early > 0:
            self._interrupt.wait(early)
