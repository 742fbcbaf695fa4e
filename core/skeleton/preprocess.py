"""Clip normalisation shared by training and live inference (the AimCLR / SMIE pipeline), plus frame resampling."""

import logging
import time
from dataclasses import dataclass

import numpy as np

from core.skeleton.clip import Clip
from core.skeleton.layouts import Layout, get_layout

log = logging.getLogger(__name__)


@dataclass
class PreprocessConfig:
    """Saved with every checkpoint (asdict -> JSON): the live app must normalise exactly as training did."""

    num_frames: int = 50  # T the encoder takes; the valid frames are resized to it (SMIE: 50)
    num_bodies: int = 2  # M; a missing second body is zero-filled (NTU convention)
    center_joint: int = 20  # SpineShoulder of the first body becomes the origin in every frame
    left_shoulder: int = 4  # the shoulder line is right minus left ...
    right_shoulder: int = 8  # ... and is turned onto +x about the vertical axis, per frame
    align_shoulders: bool = True  # False keeps the camera's facing (for ablations only)
    fill_missing: bool = True  # joints with valid False are interpolated over time, not left as read
    layout: str = "ntu25"  # whose parent table fills joints that have no data in the whole clip
    min_joint_coverage: float = 0.5  # a joint seen in fewer of the body's frames counts as never seen: a webcam
    # that glimpses the knees now and then gives guesses, and a still rest-pose leg is closer to training data


class PreprocessError(ValueError):
    """A clip cannot be normalised (too few valid frames, wrong shape, NaN); the message names the source."""


def resample_frames(x: np.ndarray, num_frames: int) -> np.ndarray:
    """Linear resize along axis 0: (T, ...) -> (num_frames, ...). The first and last frames are kept exactly."""
    positions = np.linspace(0.0, x.shape[0] - 1, num_frames)
    low = np.floor(positions).astype(np.int64)
    high = np.minimum(low + 1, x.shape[0] - 1)
    weight = (positions - low).reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype)
    return x[low] * (1 - weight) + x[high] * weight


def interpolate_frames_torch(x, positions):
    """Sample (N, C, T, V, M) at fractional frame positions (N, T_out) by linear interpolation -> (N, C, T_out, V, M).

    Positions are clamped to [0, T-1]; integer positions return the frames unchanged."""
    # torch imported on use: importing this module stays light
    import torch

    N, C, T, V, M = x.shape
    positions = positions.to(device=x.device, dtype=x.dtype).clamp(0, T - 1)
    low = positions.floor().long()
    high = (low + 1).clamp(max=T - 1)
    weight = (positions - low.to(x.dtype))[:, None, :, None, None]

    def gather(index):
        return torch.gather(x, 2, index[:, None, :, None, None].expand(N, C, index.shape[1], V, M))

    return gather(low) * (1 - weight) + gather(high) * weight


def _tree_order(layout: Layout) -> list[int]:
    """Joints ordered so every parent comes before its children."""
    depth = []
    for joint in range(layout.num_joints):
        hops, node = 0, joint
        while layout.parents[node] >= 0:
            node, hops = layout.parents[node], hops + 1
        depth.append(hops)
    return sorted(range(layout.num_joints), key=depth.__getitem__)


# Child-minus-parent vectors of a person standing and facing the sensor, in NTU axes (metres): medians over the
# 33,214 frames of the GTU Kinect v2 clips. A joint never seen in a clip (legs below a webcam's view) is placed
# at its parent plus this offset, so it stands where a Kinect would have seen it rather than on its parent.
NTU25_REST_OFFSETS = np.array([
    [0.0, 0.0, 0.0], [0.0, 0.293, -0.064], [0.0, 0.069, -0.021], [0.009, 0.142, -0.03],
    [-0.159, -0.036, -0.018], [-0.08, -0.24, 0.039], [-0.058, -0.208, -0.009], [-0.007, -0.038, -0.002],
    [0.167, -0.033, 0.011], [0.072, -0.238, 0.055], [0.062, -0.207, -0.01], [0.002, -0.04, -0.003],
    [-0.073, -0.002, -0.04], [-0.027, -0.328, 0.091], [0.001, -0.34, 0.1], [-0.008, -0.075, -0.08],
    [0.077, 0.0, -0.031], [0.023, -0.333, 0.091], [0.001, -0.341, 0.095], [0.017, -0.076, -0.079],
    [0.0, 0.214, -0.055], [-0.011, -0.07, 0.014], [0.014, -0.006, -0.018], [0.013, -0.073, 0.012],
    [-0.013, -0.011, -0.018]], dtype=np.float32)
REST_OFFSETS = {"ntu25": NTU25_REST_OFFSETS}


def fill_missing_joints(joints: np.ndarray, valid: np.ndarray, present: np.ndarray, layout: Layout,
                        min_coverage: float = 0.0) -> np.ndarray:
    """Replace unobserved joints. joints (T, M, V, 3), valid (T, M, V), present (T, M) -> joints (T, M, V, 3).

    Per body, over the frames where that body is present:
    - a joint valid in some frames is linearly interpolated over time from its valid frames (nearest valid
      value before the first / after the last one);
    - a joint never valid but with non-zero positions keeps them (interpolated over its zero frames): mappers
      (MediaPipe, Kinect v1) synthesise joints such as SpineShoulder and mark them valid False, and those
      positions are better than any fill;
    - a joint valid in fewer than `min_coverage` of the frames counts as never valid;
    - a joint with no data at all in the clip is placed at its parent plus the layout's rest-pose offset
      (REST_OFFSETS; zero offset for layouts without one), or at a child for the root.
    Frames where a body is absent are not touched (they are zeroed later)."""
    out = joints.copy()
    offsets = REST_OFFSETS.get(layout.name, np.zeros((layout.num_joints, 3), dtype=np.float32))
    for body in range(joints.shape[1]):
        frames = np.flatnonzero(present[:, body])
        if frames.size == 0 or valid[frames, body].all():
            continue
        track = out[frames, body]  # (F, V, 3)
        known = valid[frames, body].copy()  # (F, V)
        never_valid = ~known.any(axis=0)
        known[:, never_valid] = (track[:, never_valid] != 0).any(axis=-1)
        known[:, known.mean(axis=0) < min_coverage] = False
        for joint in np.flatnonzero(known.any(axis=0) & ~known.all(axis=0)):
            have, gaps = frames[known[:, joint]], ~known[:, joint]
            for axis in range(3):
                track[gaps, joint, axis] = np.interp(frames[gaps], have, track[known[:, joint], joint, axis])
        empty = set(np.flatnonzero(~known.any(axis=0)).tolist())
        for _ in range(layout.num_joints):  # each pass fills at least one joint next to a filled one
            if not empty:
                break
            for joint in _tree_order(layout):
                if joint not in empty:
                    continue
                parent = layout.parents[joint]
                children = [c for c, p in layout.edges if p == joint and c not in empty]
                donor = parent if parent >= 0 and parent not in empty else (children[0] if children else None)
                if donor is not None:
                    # parent + offset of the joint, or child - offset of that child
                    shift = offsets[joint] if donor == parent else -offsets[donor]
                    track[:, joint] = track[:, donor] + shift
                    empty.discard(joint)
        out[frames, body] = track
    return out


def _check_input(joints: np.ndarray, valid: np.ndarray, layout: Layout, where: str) -> None:
    V = layout.num_joints
    if joints.ndim != 4 or joints.shape[2:] != (V, 3):
        raise PreprocessError(f"{where}: joints must be (T, M, {V}, 3), got {joints.shape}")
    if valid.shape != joints.shape[:3]:
        raise PreprocessError(f"{where}: valid must be {joints.shape[:3]} like joints, got {valid.shape}")
    if not np.isfinite(joints).all():
        raise PreprocessError(f"{where}: joints contain NaN or inf")


def normalize_sequence(joints: np.ndarray, valid: np.ndarray, config: PreprocessConfig = PreprocessConfig(),
                       source: str = "") -> np.ndarray:
    """Normalise one skeleton sequence: joints (T, M, V, 3), valid (T, M, V) bool -> (3, num_frames, V, num_bodies)
    float32, the layout ST-GCN takes. Steps: keep the frames where the first body is present; fill unobserved
    joints; subtract the first body's centre joint from both bodies; rotate each frame about Y so the first
    body's shoulder line lies along +x; resize to num_frames by linear interpolation; zero absent bodies.
    Raises PreprocessError (naming `source`) for fewer than 2 usable frames or malformed input."""
    layout = get_layout(config.layout)
    where = source or "<sequence>"
    joints = np.asarray(joints, dtype=np.float32)
    valid = np.asarray(valid, dtype=bool)
    _check_input(joints, valid, layout, where)
    T, M = joints.shape[:2]
    if M < config.num_bodies:  # zero-fill the missing bodies; they stay absent
        joints = np.concatenate([joints, np.zeros((T, config.num_bodies - M) + joints.shape[2:], np.float32)], 1)
        valid = np.concatenate([valid, np.zeros((T, config.num_bodies - M) + valid.shape[2:], bool)], 1)
    joints, valid = joints[:, :config.num_bodies], valid[:, :config.num_bodies]

    # A body is present when any joint is observed or has a position (absent bodies are all zeros).
    present = valid.any(axis=2) | (joints != 0).any(axis=(2, 3))  # (T, M)
    keep = present[:, 0]
    if keep.sum() < 2:
        raise PreprocessError(f"{where}: {int(keep.sum())} of {T} frames have the first body; need at least 2")
    joints, valid, present = joints[keep], valid[keep], present[keep]
    if config.fill_missing:
        joints = fill_missing_joints(joints, valid, present, layout, config.min_joint_coverage)
    body_mask = present[:, :, None, None].astype(np.float32)  # (T', M, 1, 1)

    origin = joints[:, 0, config.center_joint]  # (T', 3): both bodies keep their relative positions
    joints = (joints - origin[:, None, None, :]) * body_mask
    if config.align_shoulders:
        shoulder = joints[:, 0, config.right_shoulder] - joints[:, 0, config.left_shoulder]  # (T', 3)
        # Angle of the shoulder line in the X-Z plane; a degenerate line (shoulders on top of each other) stays put.
        flat = np.hypot(shoulder[:, 0], shoulder[:, 2]) > 1e-6
        angle = np.where(flat, np.arctan2(shoulder[:, 2], shoulder[:, 0]), 0.0)
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        x, z = joints[..., 0].copy(), joints[..., 2].copy()
        joints[..., 0] = cos * x + sin * z  # rotation about Y by the angle: the shoulder line -> +x
        joints[..., 2] = cos * z - sin * x

    joints = resample_frames(joints, config.num_frames)
    # A body absent at the nearest source frame is absent in the output (no half-faded skeletons).
    nearest = np.rint(np.linspace(0, present.shape[0] - 1, config.num_frames)).astype(np.int64)
    joints = joints * present[nearest][:, :, None, None]
    return np.ascontiguousarray(joints.transpose(3, 0, 2, 1), dtype=np.float32)  # (T, M, V, C) -> (C, T, V, M)


def normalize_clip(clip: Clip, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """One Clip -> (3, num_frames, V, num_bodies) float32; errors name clip.source."""
    return normalize_sequence(clip.joints, clip.valid, config, source=clip.source)


def normalize_clips(clips, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Clips -> (N, 3, num_frames, V, num_bodies) float32. Raises PreprocessError on the first unusable clip."""
    clips = list(clips)
    layout = get_layout(config.layout)
    out = np.empty((len(clips), 3, config.num_frames, layout.num_joints, config.num_bodies), np.float32)
    start = time.perf_counter()
    for i, clip in enumerate(clips):
        out[i] = normalize_clip(clip, config)
    if clips:
        elapsed = time.perf_counter() - start
        log.info("normalised %d clips in %.2f s (%.2f ms per clip)", len(clips), elapsed, 1e3 * elapsed / len(clips))
    return out
