"""Fixed-size, thread-safe ring buffer of skeleton frames with time-resampled window reads."""

import threading
from dataclasses import dataclass

import numpy as np

from core.skeleton.clip import MAX_BODIES

NUM_JOINTS = 25


@dataclass
class Window:
    """The last `seconds` of the buffer resampled by time to T frames.

    joints: (T, M, 25, 3) float32, a body absent at a resampled time is all zeros there.
    valid: (T, M, 25) bool.
    times: (T,) float64, the resampled times in source seconds (evenly spaced, ending at the newest frame).
    coverage: fraction of the T resampled frames with at least one body.
    longest_gap: longest stretch of the window, in seconds, with no frame holding a body.
    newest_timestamp: source time of the newest frame in the window.
    newest_captured_at: time.monotonic() when the newest frame was captured, for end-to-end latency.
    num_source_frames: frames of the buffer that fall inside the window.
    """

    joints: np.ndarray
    valid: np.ndarray
    times: np.ndarray
    coverage: float
    longest_gap: float
    newest_timestamp: float
    newest_captured_at: float
    num_source_frames: int

    @property
    def body_present(self) -> np.ndarray:
        """(T, M) bool."""
        return self.valid.any(axis=2)


class RingBuffer:
    """Preallocated arrays for `capacity` frames; one writer appends in O(1), any number of readers copy windows.

    A lock guards the write position and the copies, so a reader always sees whole frames from one instant.
    """

    def __init__(self, capacity: int, max_bodies: int = MAX_BODIES):
        assert capacity >= 2, f"ring buffer capacity must be >= 2 frames, got {capacity}"
        self.capacity = capacity
        self.max_bodies = max_bodies
        self._joints = np.zeros((capacity, max_bodies, NUM_JOINTS, 3), np.float32)
        self._valid = np.zeros((capacity, max_bodies, NUM_JOINTS), bool)
        self._timestamps = np.zeros(capacity, np.float64)
        self._captured_at = np.zeros(capacity, np.float64)
        self._frame_index = np.zeros(capacity, np.int64)
        self._count = 0  # frames ever appended; the next write goes to _count % capacity
        self._lock = threading.Lock()

    @classmethod
    def for_duration(cls, seconds: float, fps: float, max_bodies: int = MAX_BODIES) -> "RingBuffer":
        """A buffer holding `seconds` of frames at `fps` (plus one frame of slack)."""
        return cls(int(np.ceil(seconds * fps)) + 1, max_bodies)

    def __len__(self) -> int:
        return min(self._count, self.capacity)

    @property
    def total_appended(self) -> int:
        return self._count

    def clear(self):
        with self._lock:
            self._count = 0

    def append(self, joints: np.ndarray, valid: np.ndarray, timestamp: float, captured_at: float = 0.0,
               frame_index: int = -1):
        """Add one frame: joints (M, 25, 3), valid (M, 25), M <= max_bodies (M = 0: nobody in view).

        Timestamps must not go backwards; a frame older than the newest one is a caller bug.
        """
        num_bodies = joints.shape[0]
        assert joints.shape[1:] == (NUM_JOINTS, 3) and valid.shape == joints.shape[:2], (
            f"frame must be joints (M, 25, 3) and valid (M, 25), got {joints.shape} and {valid.shape}")
        assert num_bodies <= self.max_bodies, f"frame has {num_bodies} bodies, buffer keeps {self.max_bodies}"
        with self._lock:
            if self._count:
                newest = self._timestamps[(self._count - 1) % self.capacity]
                assert timestamp >= newest, f"timestamp {timestamp} is older than the newest frame {newest}"
            slot = self._count % self.capacity
            self._joints[slot, :num_bodies] = joints
            self._joints[slot, num_bodies:] = 0.0
            self._valid[slot, :num_bodies] = valid
            self._valid[slot, num_bodies:] = False
            self._timestamps[slot] = timestamp
            self._captured_at[slot] = captured_at
            self._frame_index[slot] = frame_index
            self._count += 1

    def newest_timestamp(self) -> float | None:
        with self._lock:
            return float(self._timestamps[(self._count - 1) % self.capacity]) if self._count else None

    def snapshot(self, seconds: float | None = None):
        """Copies of the frames in time order, the last `seconds` of them (all when None).

        Returns (joints (K, M, 25, 3), valid (K, M, 25), timestamps (K,), captured_at (K,), frame_index (K,)).
        """
        with self._lock:
            size = min(self._count, self.capacity)
            order = (np.arange(self._count - size, self._count) % self.capacity)
            if seconds is not None and size:
                newest = self._timestamps[order[-1]]
                # Keep one frame before the window start so interpolation can reach the start time.
                first = int(np.searchsorted(self._timestamps[order], newest - seconds, side="right"))
                order = order[max(first - 1, 0):]
            return (self._joints[order].copy(), self._valid[order].copy(), self._timestamps[order].copy(),
                    self._captured_at[order].copy(), self._frame_index[order].copy())

    def window(self, seconds: float = 2.0, num_frames: int = 50) -> Window | None:
        """The last `seconds` before the newest frame, resampled by time to `num_frames`; None when empty."""
        joints, valid, timestamps, captured_at, _ = self.snapshot(seconds)
        if len(timestamps) == 0:
            return None
        return resample_window(joints, valid, timestamps, captured_at[-1], seconds, num_frames)


def resample_window(joints: np.ndarray, valid: np.ndarray, timestamps: np.ndarray, newest_captured_at: float,
                    seconds: float, num_frames: int) -> Window:
    """Resample frames (K, M, 25, 3) at times (K,) onto `num_frames` even times over the last `seconds`.

    A body is linearly interpolated between the two frames around a resampled time when both hold it; when
    only one does, the nearer frame decides (its pose if present, absence otherwise). Times before the
    oldest frame have no body, so a short history lowers the coverage.
    """
    T, K = num_frames, joints.shape[0]
    end = float(timestamps[-1])
    times = np.linspace(end - seconds, end, T)
    present = valid.any(axis=2)  # (K, M)

    right = np.clip(np.searchsorted(timestamps, times, side="left"), 0, K - 1)  # first frame at or after t
    left = np.clip(right - 1, 0, K - 1)
    span = timestamps[right] - timestamps[left]
    weight = np.where(span > 0, (times - timestamps[left]) / np.where(span > 0, span, 1.0), 1.0)
    weight = np.clip(weight, 0.0, 1.0)  # (T,), 0 -> left frame, 1 -> right frame
    nearest = np.where(weight >= 0.5, right, left)

    both = present[left] & present[right]  # (T, M)
    w = weight[:, None, None, None]
    blended = (1.0 - w) * joints[left] + w * joints[right]
    out_joints = np.where(both[:, :, None, None], blended, joints[nearest]).astype(np.float32)
    out_valid = np.where(both[:, :, None], valid[left] & valid[right], valid[nearest])

    before_history = times < timestamps[0] - 1e-9
    out_joints[before_history] = 0.0
    out_valid[before_history] = False
    out_joints[~out_valid.any(axis=2)] = 0.0

    inside = timestamps >= end - seconds - 1e-9
    with_body = timestamps[inside & present.any(axis=1)]
    edges = np.concatenate([[end - seconds], with_body, [end]])
    longest_gap = float(np.max(np.diff(edges))) if len(edges) > 1 else float(seconds)
    return Window(joints=out_joints, valid=out_valid, times=times,
                  coverage=float(out_valid.any(axis=2).any(axis=1).mean()), longest_gap=longest_gap,
                  newest_timestamp=end, newest_captured_at=float(newest_captured_at),
                  num_source_frames=int(inside.sum()))
