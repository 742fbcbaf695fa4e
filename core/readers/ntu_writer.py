"""Writer for NTU RGB+D `.skeleton` files: whole clips, or frame by frame while recording (crash-tolerant)."""

from pathlib import Path

import numpy as np

from core.readers.ntu import NUM_JOINTS
from core.skeleton.clip import Clip

COUNT_WIDTH = 10  # the frame count is padded to this width so it can be rewritten in place after each frame


def _number(value: float) -> str:
    # 9 significant digits round-trip any float32 exactly; %g drops trailing zeros, so NTU's own values stay short.
    return f"{value:.9g}"


class NtuSkeletonWriter:
    """Appends frames to an NTU `.skeleton` file, flushing each one.

    The header's frame count is rewritten in place after every frame, so a file cut short by a crash declares the
    frames completely written before it; a half-written last frame is skipped by
    read_ntu_skeleton(path, allow_truncated=True). Use as a context manager or call close().
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.num_frames = 0
        self._file = open(self.path, "wb")
        self._write_count()

    def _write_count(self):
        self._file.seek(0)
        self._file.write(str(self.num_frames).ljust(COUNT_WIDTH).encode() + b"\n")
        self._file.seek(0, 2)

    def append(self, joints: np.ndarray, valid: np.ndarray, *, body_ids=None, tracking_state=None, depth_xy=None,
               color_xy=None, orientation=None):
        """Write one frame: joints (M, 25, 3) metres in NTU axes, valid (M, 25) bool.

        A body slot with no valid joint and all-zero joints is absent from the frame. Optional per-frame extras
        as read_ntu_skeleton returns them (sliced to this frame): body_ids (M,), tracking_state (M, 25) (used
        where valid; invalid joints are written with state 0), depth_xy and color_xy (M, 25, 2), orientation
        (M, 25, 4). Missing extras are written as zeros, bodies numbered 1..M.
        """
        joints = np.asarray(joints, np.float32)
        valid = np.asarray(valid, bool)
        num_bodies = joints.shape[0]
        assert joints.shape == (num_bodies, NUM_JOINTS, 3), f"joints must be (M, 25, 3), got {joints.shape}"
        assert valid.shape == (num_bodies, NUM_JOINTS), f"valid must be ({num_bodies}, 25), got {valid.shape}"
        assert np.isfinite(joints).all(), "joints must be finite"
        assert body_ids is None or len(set(int(i) for i in body_ids)) == num_bodies, f"body ids {body_ids} not unique"
        state = np.where(valid, 2, 0) if tracking_state is None else np.where(
            valid, np.maximum(np.asarray(tracking_state), 1), 0)
        zeros2 = np.zeros((num_bodies, NUM_JOINTS, 2), np.float32)
        depth_xy = zeros2 if depth_xy is None else np.asarray(depth_xy, np.float32)
        color_xy = zeros2 if color_xy is None else np.asarray(color_xy, np.float32)
        orientation = np.zeros((num_bodies, NUM_JOINTS, 4), np.float32) if orientation is None else np.asarray(
            orientation, np.float32)
        present = [m for m in range(num_bodies) if valid[m].any() or joints[m].any()]
        out = [f"{len(present)}"]
        for m in present:
            body_id = m + 1 if body_ids is None else int(body_ids[m])
            out.append(f"{body_id} 0 0 0 0 0 0 0 0 2")
            out.append(f"{NUM_JOINTS}")
            for v in range(NUM_JOINTS):
                numbers = (*joints[m, v], *depth_xy[m, v], *color_xy[m, v], *orientation[m, v])
                out.append(" ".join(_number(float(x)) for x in numbers) + f" {int(state[m, v])}")
        self._file.write(("\n".join(out) + "\n").encode())
        self.num_frames += 1
        self._write_count()
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._write_count()
            self._file.close()

    def __enter__(self) -> "NtuSkeletonWriter":
        return self

    def __exit__(self, *exc_info):
        self.close()


def write_ntu_skeleton(path: str | Path, clip: Clip):
    """Write a whole clip as an NTU `.skeleton` file that read_ntu_skeleton reads back to the same joints and valid.

    The NTU extras read_ntu_skeleton puts in clip.extras (body_ids, tracking_state, depth_xy, color_xy,
    orientation) are written back when their shapes fit, so a real NTU file survives a read/write/read.
    """
    num_frames, num_bodies = clip.joints.shape[:2]
    assert num_frames > 0, "cannot write a clip with no frames"

    def extra(name: str, shape: tuple[int, ...]):
        value = clip.extras.get(name)
        return np.asarray(value) if value is not None and np.shape(value) == shape else None

    per_joint = (num_frames, num_bodies, NUM_JOINTS)
    body_ids = extra("body_ids", (num_bodies,))
    tracking_state = extra("tracking_state", per_joint)
    depth_xy, color_xy = extra("depth_xy", per_joint + (2,)), extra("color_xy", per_joint + (2,))
    orientation = extra("orientation", per_joint + (4,))
    with NtuSkeletonWriter(path) as writer:
        for t in range(num_frames):
            writer.append(clip.joints[t], clip.valid[t], body_ids=body_ids,
                          tracking_state=None if tracking_state is None else tracking_state[t],
                          depth_xy=None if depth_xy is None else depth_xy[t],
                          color_xy=None if color_xy is None else color_xy[t],
                          orientation=None if orientation is None else orientation[t])
