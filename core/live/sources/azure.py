"""Azure Kinect / Orbbec Femto body tracking through pykinect_azure: 32 joints mapped to NTU-25."""

import logging
import time

import numpy as np

from core.live.sources.base import Frame, Source, SourceError
from core.live.sources.bodies import BodySelectionConfig, BodySelector
from core.skeleton.joint_maps import to_ntu25

log = logging.getLogger(__name__)

INSTALL_HINT = ('pip install "smie-live[azure]" and install the Azure Kinect Sensor SDK and Body Tracking SDK '
                "(Orbbec Femto: the Orbbec SDK K4A wrapper)")
NUM_AZURE_JOINTS = 32
FRAME_TIMEOUT_MS = 2000  # no capture for this long: the device is unplugged or stalled


def azure_skeletons(positions_mm: np.ndarray, confidence: np.ndarray):
    """Body tracking arrays -> NTU joints and validity.

    positions_mm (B, 32, 3) millimetres, SDK axes (x right, y down, z forward); confidence (B, 32) SDK
    confidence level (0 none, 1 low, 2 medium, 3 high). Returns joints (B, 25, 3) float32 metres in NTU axes
    and valid (B, 25) bool, through core.skeleton.joint_maps.to_ntu25(..., "azure32").
    """
    positions_mm = np.asarray(positions_mm, np.float32)
    assert positions_mm.ndim == 3 and positions_mm.shape[1:] == (NUM_AZURE_JOINTS, 3), (
        f"Azure Kinect positions must be (bodies, 32, 3), got {positions_mm.shape}")
    joints, valid = to_ntu25(positions_mm, "azure32", confidence=np.asarray(confidence))
    return np.asarray(joints, np.float32), np.asarray(valid, bool)


def _sdk_body_arrays(body_frame):
    """pykinect_azure body frame -> (positions_mm (B, 32, 3), confidence (B, 32), ids (B,))."""
    bodies = [body_frame.get_body(b) for b in range(body_frame.get_num_bodies())]
    positions = np.zeros((len(bodies), NUM_AZURE_JOINTS, 3), np.float32)
    confidence = np.zeros((len(bodies), NUM_AZURE_JOINTS), np.int8)
    for b, body in enumerate(bodies):
        for j, joint in enumerate(body.joints):
            positions[b, j] = (joint.position.x, joint.position.y, joint.position.z)
            confidence[b, j] = joint.confidence_level
    return positions, confidence, np.array([body.id for body in bodies], np.int64)


class AzureKinectSource(Source):
    """Live skeletons from an Azure Kinect or Orbbec Femto (30 fps). Skeleton only: no image is attached."""

    is_live = True
    name = "Azure Kinect"

    def __init__(self, device_index: int = 0, selection: BodySelectionConfig = BodySelectionConfig()):
        self.fps = 30.0
        self.device_index = device_index
        self._selection = selection
        self._device = None
        self._tracker = None
        self._index = 0

    def open(self):
        try:
            # optional package (Azure Kinect extra): imported on use
            import pykinect_azure as pykinect
        except ImportError as error:
            raise SourceError(f"Azure Kinect support needs pykinect_azure: {INSTALL_HINT} ({error})") from error
        try:
            pykinect.initialize_libraries(track_body=True)
        except Exception as error:  # the wrapper raises plain exceptions when the k4a/k4abt libraries are missing
            raise SourceError(f"Azure Kinect SDK libraries not found ({error}): {INSTALL_HINT}") from error
        try:
            config = pykinect.default_configuration
            config.color_resolution = pykinect.K4A_COLOR_RESOLUTION_OFF
            config.depth_mode = pykinect.K4A_DEPTH_MODE_NFOV_UNBINNED
            self._device = pykinect.start_device(device_index=self.device_index, config=config)
            self._tracker = pykinect.start_body_tracker()
        except Exception as error:
            self.close()
            raise SourceError(f"Azure Kinect {self.device_index} could not be started ({error}); is it plugged in "
                              "and powered?", retryable=True) from error
        self._selector = BodySelector(self._selection)
        self._index = 0

    def read(self) -> Frame | None:
        assert self._device is not None, "Azure Kinect: read() before open()"
        try:
            capture = self._device.update(timeout_in_ms=FRAME_TIMEOUT_MS)
            captured_at = time.monotonic()
            body_frame = self._tracker.update(capture=capture, timeout_in_ms=FRAME_TIMEOUT_MS)
            positions, confidence, ids = _sdk_body_arrays(body_frame)
        except Exception as error:
            raise SourceError(f"Azure Kinect stopped delivering frames ({error}); unplugged?",
                              retryable=True) from error
        joints, valid = azure_skeletons(positions, confidence)
        joints, valid = self._selector.select(joints, valid, ids, captured_at)
        frame = Frame(joints=joints, valid=valid, timestamp=captured_at, index=self._index, captured_at=captured_at)
        self._index += 1
        return frame

    def close(self):
        for release in (self._tracker and self._tracker.destroy, self._device and self._device.close):
            if release:
                try:
                    release()
                except Exception as error:  # closing a device that already vanished
                    log.debug("closing Azure Kinect: %s", error)
        self._device = self._tracker = None
