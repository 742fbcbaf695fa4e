"""A recorded clip cut into the windows the live engine would score: fed frame by frame to a ring buffer and
cut every stride, so evaluation and example features see what live scoring sees."""

import numpy as np

from core.live.ring_buffer import RingBuffer, Window


def window_end_times(timestamps: np.ndarray, seconds: float, stride: float) -> np.ndarray:
    """(K,) times at which a window of one clip is cut: `seconds` after its first frame, then every `stride` up
    to its last frame, so each window holds `seconds` of the clip. A shorter clip gives one window, at its last
    frame (as the live app scores the end of a file). timestamps (T,) seconds."""
    start, end = float(timestamps[0]), float(timestamps[-1])
    if end - start < seconds:
        return np.array([end])
    count = int(np.floor((end - start - seconds) / stride + 1e-9)) + 1
    return start + seconds + stride * np.arange(count)


def live_windows(joints: np.ndarray, valid: np.ndarray, timestamps: np.ndarray, seconds: float, stride: float,
                 num_frames: int) -> list[Window]:
    """A clip's frames (T, M, 25, 3), (T, M, 25) at times (T,) fed to a ring buffer one by one, as the live
    engine does; at each window_end_times time the buffer's window (the last `seconds`, resampled by time to
    `num_frames`) is cut, on the first frame at or after that time."""
    buffer = RingBuffer(len(timestamps) + 1)
    ends = list(window_end_times(timestamps, seconds, stride))
    windows = []
    for frame_joints, frame_valid, timestamp in zip(joints, valid, timestamps):
        buffer.append(frame_joints[:buffer.max_bodies], frame_valid[:buffer.max_bodies], float(timestamp))
        while ends and timestamp >= ends[0] - 1e-9:
            windows.append(buffer.window(seconds, num_frames))
            ends.pop(0)
    return windows
