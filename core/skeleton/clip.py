"""The one clip type every reader returns and every later stage consumes."""

from dataclasses import dataclass, field, replace

import numpy as np

MAX_BODIES = 2


@dataclass
class Clip:
    """A skeleton sequence in the NTU-25 layout.

    joints: (T, M, 25, 3) float32, metres, Kinect camera axes (X to the sensor's left, Y up, Z away), M <= 2.
            A body absent in a frame is all zeros there.
    valid:  (T, M, 25) bool, True where the joint is usable: tracked, or synthesised by a joint map from inputs
            that all were (core.skeleton.joint_maps.real_joint_mask tells measured joints from synthesised ones).
    """

    joints: np.ndarray
    valid: np.ndarray
    label: int | None = None  # class index within the dataset's class list
    label_name: str | None = None
    subject: int | None = None
    view: str | None = None  # camera or view id, when the dataset has one
    source: str = ""  # file the clip was read from (with a segment suffix when cut from a longer file)
    fps: float = 30.0
    extras: dict = field(default_factory=dict)

    def __post_init__(self):
        self.joints = np.ascontiguousarray(self.joints, dtype=np.float32)
        self.valid = np.ascontiguousarray(self.valid, dtype=bool)
        assert self.joints.ndim == 4 and self.joints.shape[1] <= MAX_BODIES and self.joints.shape[2:] == (25, 3), (
            f"joints must be (T, M<={MAX_BODIES}, 25, 3), got {self.joints.shape}")
        assert self.valid.shape == self.joints.shape[:3], (
            f"valid must be {self.joints.shape[:3]}, got {self.valid.shape}")

    @property
    def num_frames(self) -> int:
        return self.joints.shape[0]

    @property
    def num_bodies(self) -> int:
        return self.joints.shape[1]

    def body_present(self) -> np.ndarray:
        """(T, M) bool: the body has at least one valid joint in the frame."""
        return self.valid.any(axis=2)

    def with_joints(self, joints: np.ndarray, valid: np.ndarray) -> "Clip":
        """A copy with new arrays and the same metadata."""
        return replace(self, joints=joints, valid=valid, extras=dict(self.extras))
