"""Ring buffer: O(1) wrap-around, time resampling, coverage and gaps, consistent reads under a concurrent writer."""

import threading

import numpy as np
import pytest

from core.live.ring_buffer import RingBuffer

FPS = 30.0


def body(value: float, num_bodies: int = 1):
    """A frame whose every coordinate equals `value`: (M, 25, 3) joints and all-valid (M, 25)."""
    return np.full((num_bodies, 25, 3), value, np.float32), np.ones((num_bodies, 25), bool)


def nobody():
    return np.zeros((0, 25, 3), np.float32), np.zeros((0, 25), bool)


def test_wraps_around_and_keeps_the_newest_frames_in_order():
    buffer = RingBuffer(capacity=10)
    for i in range(25):
        buffer.append(*body(i), timestamp=i / FPS, frame_index=i)
    joints, valid, timestamps, _, frame_index = buffer.snapshot()
    assert len(buffer) == 10 and buffer.total_appended == 25
    np.testing.assert_array_equal(frame_index, np.arange(15, 25))
    np.testing.assert_allclose(joints[:, 0, 0, 0], np.arange(15, 25))
    assert not valid[:, 1].any(), "the second body slot must stay empty for one-body frames"


def test_window_interpolates_linear_motion_exactly():
    buffer = RingBuffer.for_duration(3.0, FPS)
    for i in range(90):
        buffer.append(*body(i / FPS), timestamp=i / FPS, captured_at=100.0 + i)
    window = buffer.window(seconds=2.0, num_frames=50)
    assert window.joints.shape == (50, 2, 25, 3) and window.valid.shape == (50, 2, 25)
    np.testing.assert_allclose(window.times, np.linspace(89 / FPS - 2.0, 89 / FPS, 50))
    # Coordinates equal the time, so linear interpolation must reproduce the resampled times.
    np.testing.assert_allclose(window.joints[:, 0, 3, 1], window.times, atol=1e-5)
    assert window.coverage == 1.0
    assert window.longest_gap == pytest.approx(1 / FPS, abs=1e-6)
    assert window.newest_captured_at == 189.0 and window.newest_timestamp == pytest.approx(89 / FPS)


def test_frames_without_a_body_stay_marked_and_count_in_gaps():
    buffer = RingBuffer.for_duration(3.0, FPS)
    for i in range(60):
        frame = nobody() if 20 <= i < 35 else body(1.0)
        buffer.append(*frame, timestamp=i / FPS)
    window = buffer.window(seconds=59 / FPS, num_frames=60)  # one resampled time per source frame
    present = window.body_present[:, 0]
    assert not present[21:34].any() and present[:20].all() and present[36:].all()
    assert not window.joints[~present].any(), "absent bodies must be zeros, not blended with neighbours"
    assert window.coverage == pytest.approx(45 / 60, abs=0.04)
    assert window.longest_gap == pytest.approx(16 / FPS, abs=1e-6)


def test_short_history_lowers_coverage_and_empty_buffer_gives_none():
    buffer = RingBuffer(capacity=100)
    assert buffer.window() is None
    for i in range(15):  # half a second of a 2 s window
        buffer.append(*body(0.5), timestamp=i / FPS)
    window = buffer.window(seconds=2.0, num_frames=50)
    assert 0.2 < window.coverage < 0.3
    assert window.longest_gap == pytest.approx(2.0 - 14 / FPS, abs=1e-6)
    assert not window.valid[:30].any()


def test_partially_valid_joints_are_kept_per_joint():
    buffer = RingBuffer(capacity=10)
    joints, valid = body(2.0, num_bodies=2)
    valid[1, 5:] = False
    for i in range(5):
        buffer.append(joints, valid, timestamp=i / FPS)
    window = buffer.window(seconds=4 / FPS, num_frames=5)
    assert window.valid[:, 0].all() and window.valid[:, 1, :5].all() and not window.valid[:, 1, 5:].any()


def test_bad_frames_are_rejected_with_a_message():
    buffer = RingBuffer(capacity=4)
    with pytest.raises(AssertionError, match="bodies"):
        buffer.append(*body(0.0, num_bodies=3), timestamp=0.0)
    with pytest.raises(AssertionError, match=r"\(M, 25, 3\)"):
        buffer.append(np.zeros((1, 20, 3), np.float32), np.ones((1, 20), bool), timestamp=0.0)
    buffer.append(*body(0.0), timestamp=1.0)
    with pytest.raises(AssertionError, match="older"):
        buffer.append(*body(0.0), timestamp=0.5)


def test_readers_see_whole_consistent_frames_under_a_concurrent_writer():
    buffer = RingBuffer(capacity=64)
    num_frames = 20000
    stop = threading.Event()
    problems = []

    def write():
        for i in range(num_frames):
            # Body count alternates so a torn read would show mismatched slots.
            joints, valid = body(float(i), num_bodies=1 + i % 2)
            buffer.append(joints, valid, timestamp=i / FPS, captured_at=float(i), frame_index=i)
        stop.set()

    def read():
        while not stop.is_set():
            joints, valid, timestamps, captured_at, frame_index = buffer.snapshot(seconds=1.0)
            if len(frame_index) == 0:
                continue
            if not (np.diff(frame_index) == 1).all():
                problems.append(f"frames not contiguous: {frame_index}")
            if not np.allclose(joints[:, 0].reshape(len(frame_index), -1), frame_index[:, None]):
                problems.append("joints of a frame come from another frame")
            if not (valid[:, 1].all(axis=1) == (frame_index % 2 == 1)).all():
                problems.append("second body slot disagrees with its frame")
            if not np.allclose(timestamps * FPS, frame_index) or not np.array_equal(captured_at, frame_index):
                problems.append("timestamps disagree with frames")
            window = buffer.window(seconds=1.0, num_frames=50)
            present = window.body_present[:, 0] if window is not None else None
            if window is not None and not np.allclose(window.joints[present, 0, 0, 0], window.times[present] * FPS,
                                                      rtol=1e-5, atol=1e-3):
                problems.append("resampled window is not the linear ramp the writer wrote")

    readers = [threading.Thread(target=read) for _ in range(3)]
    writer = threading.Thread(target=write)
    for worker in readers + [writer]:
        worker.start()
    for worker in readers + [writer]:
        worker.join(timeout=60)
    assert not problems, problems[:3]
    assert buffer.total_appended == num_frames
