"""Kinect v2 bodies through pykinect2 (Windows): native NTU-25 joints, the 2 nearest / most active of 6 bodies."""

import logging
import threading
import time

import numpy as np

from core.live.sources.base import Frame, Source, SourceError
from core.live.sources.bodies import BodySelectionConfig, BodySelector

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "smie-live[kinect2]" (Windows with the Kinect for Windows SDK 2.0)'
TRACKING_INFERRED = 1  # SDK TrackingState: 0 not tracked, 1 inferred, 2 tracked
NO_FRAME_TIMEOUT_S = 3.0  # no body frame for this long: the sensor is unplugged or not powered
POLL_INTERVAL_S = 0.005  # the runtime signals new frames only through a flag we must poll


def kinect2_skeletons(positions: np.ndarray, tracking_state: np.ndarray, is_tracked: np.ndarray):
    """SDK arrays of one body frame -> NTU joints and validity.

    positions (B, 25, 3) camera space metres, already NTU order and axes (X to the sensor's left, Y up, Z away);
    tracking_state (B, 25) SDK TrackingState; is_tracked (B,) bool. Returns joints (B, 25, 3) float32 and
    valid (B, 25) bool: inferred joints count as observed (NTU's training data keeps them too), untracked
    bodies are all-invalid.
    """
    positions = np.asarray(positions, np.float32)
    assert positions.ndim == 3 and positions.shape[1:] == (25, 3), (
        f"Kinect v2 positions must be (bodies, 25, 3), got {positions.shape}")
    valid = (np.asarray(tracking_state) >= TRACKING_INFERRED) & np.asarray(is_tracked, bool)[:, None]
    valid &= np.isfinite(positions).all(axis=-1)
    joints = np.where(valid[..., None], np.nan_to_num(positions), 0.0).astype(np.float32)
    return joints, valid


def _sdk_body_arrays(body_frame, max_body_count: int):
    """pykinect2 body frame -> (positions (B, 25, 3), tracking_state (B, 25), is_tracked (B,), ids (B,))."""
    positions = np.zeros((max_body_count, 25, 3), np.float32)
    states = np.zeros((max_body_count, 25), np.int8)
    tracked = np.zeros(max_body_count, bool)
    ids = np.full(max_body_count, -1, np.int64)
    for b in range(max_body_count):
        body = body_frame.bodies[b]
        if not body.is_tracked:
            continue
        tracked[b], ids[b] = True, body.tracking_id
        for j in range(25):
            joint = body.joints[j]
            positions[b, j] = (joint.Position.x, joint.Position.y, joint.Position.z)
            states[b, j] = joint.TrackingState
    return positions, states, tracked, ids


class Kinect2Source(Source):
    """Live skeletons from a Kinect v2 (30 fps). Skeleton only: no image is attached to the frames."""

    is_live = True
    name = "Kinect v2"

    def __init__(self, selection: BodySelectionConfig = BodySelectionConfig()):
        self.fps = 30.0
        self._selection = selection
        self._runtime = None
        self._index = 0

    def open(self):
        try:
            # optional package (Kinect v2 extra, Windows only): imported on use
            from pykinect2 import PyKinectRuntime, PyKinectV2
        except ImportError as error:
            raise SourceError(f"Kinect v2 support needs pykinect2: {INSTALL_HINT} ({error})") from error
        try:
            self._runtime = PyKinectRuntime.PyKinectRuntime(PyKinectV2.FrameSourceTypes_Body)
        except Exception as error:  # COM errors when the SDK runtime is missing
            raise SourceError(f"Kinect v2 could not be started ({error}); is the Kinect for Windows SDK 2.0 "
                              "installed and the sensor plugged in?", retryable=True) from error
        self._selector = BodySelector(self._selection)
        self._index = 0

    def read(self) -> Frame | None:
        assert self._runtime is not None, "Kinect v2: read() before open()"
        waited_since = time.monotonic()
        interrupt = self.interrupt or threading.Event()
        while not self._runtime.has_new_body_frame():
            if time.monotonic() - waited_since > NO_FRAME_TIMEOUT_S:
                raise SourceError(f"no body frame from the Kinect v2 for {NO_FRAME_TIMEOUT_S:.0f} s "
                                  "(unplugged or not powered?)", retryable=True)
            if interrupt.wait(POLL_INTERVAL_S):
                return None
        captured_at = time.monotonic()
        body_frame = self._runtime.get_last_body_frame()
        positions, states, tracked, ids = _sdk_body_arrays(body_frame, self._runtime.max_body_count)
        joints, valid = kinect2_skeletons(positions, states, tracked)
        joints, valid = self._selector.select(joints, valid, ids, captured_at)
        frame = Frame(joints=joints, valid=valid, timestamp=captured_at, index=self._index, captured_at=captured_at)
        self._index += 1
        return frame

    def close(self):
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
