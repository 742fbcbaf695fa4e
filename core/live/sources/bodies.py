"""Choose which of several tracked bodies (Kinect: up to 6) fill the model's 2 body slots, keeping slots stable."""

from dataclasses import dataclass

import numpy as np

from core.skeleton.clip import MAX_BODIES


@dataclass
class BodySelectionConfig:
    max_bodies: int = MAX_BODIES  # body slots the model takes (NTU: 2)
    activity_weight: float = 1.0  # seconds: a body moving at 0.5 m/s ranks like one 0.5 m nearer the sensor
    activity_smoothing: float = 0.8  # per-frame decay of the activity average, so one jerk does not swap bodies


class BodySelector:
    """Keeps the nearest / most active bodies of each frame in fixed slots.

    Rank = mean depth (m) - activity_weight * smoothed speed (m/s); the best `max_bodies` are kept. A kept body
    keeps its slot while it stays selected, so the ring buffer never interpolates between two people; when
    slot 0 empties, the body in slot 1 moves up, because preprocessing keeps only frames with a first body.
    """

    def __init__(self, config: BodySelectionConfig = BodySelectionConfig()):
        self.config = config
        self._slots: list[int | None] = [None] * config.max_bodies  # body id in each slot
        self._last_pose: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # body id -> (joints, valid) last frame
        self._last_time: float | None = None
        self._activity: dict[int, float] = {}

    def select(self, joints: np.ndarray, valid: np.ndarray, body_ids, timestamp: float):
        """joints (B, 25, 3) NTU axes, valid (B, 25), body_ids (B,) tracker ids, timestamp seconds ->
        joints (M, 25, 3), valid (M, 25) with M <= max_bodies; a slot whose body left is all-invalid."""
        B = joints.shape[0]
        assert valid.shape == joints.shape[:2] and len(body_ids) == B, (
            f"bodies must be joints (B, 25, 3), valid (B, 25), B ids; got {joints.shape}, {valid.shape}, "
            f"{len(body_ids)} ids")
        ids = [int(i) for i in body_ids]
        present = valid.any(axis=1)
        poses = {ids[b]: (joints[b], valid[b]) for b in np.flatnonzero(present)}
        self._update_activity(poses, timestamp)

        def rank(b: int) -> float:
            depth = float(joints[b][valid[b], 2].mean())
            return depth - self.config.activity_weight * self._activity.get(ids[b], 0.0)

        chosen = sorted(np.flatnonzero(present), key=rank)[:self.config.max_bodies]
        chosen_ids = {ids[b]: b for b in chosen}
        slots = [body if body in chosen_ids else None for body in self._slots]
        for body in chosen_ids:
            if body not in slots:
                slots[slots.index(None)] = body
        if slots[0] is None:  # move a remaining body up into the first slot
            slots = [body for body in slots if body is not None] + [None] * slots.count(None)
        self._slots = slots

        used = max((s + 1 for s, body in enumerate(slots) if body is not None), default=0)
        out_joints = np.zeros((used, 25, 3), np.float32)
        out_valid = np.zeros((used, 25), bool)
        for slot, body in enumerate(slots[:used]):
            if body is not None:
                b = chosen_ids[body]
                out_valid[slot] = valid[b]
                out_joints[slot] = np.where(valid[b][:, None], joints[b], 0.0)
        return out_joints, out_valid

    def _update_activity(self, poses: dict[int, tuple[np.ndarray, np.ndarray]], timestamp: float):
        """Smoothed mean joint speed (m/s) of each body, limbs included; bodies that left are forgotten."""
        elapsed = None if self._last_time is None else timestamp - self._last_time
        decay = self.config.activity_smoothing
        for body, (joints, valid) in poses.items():
            previous = self._last_pose.get(body)
            if previous is None or not elapsed or elapsed <= 0:
                continue
            both = valid & previous[1]
            if both.any():
                speed = float(np.linalg.norm(joints[both] - previous[0][both], axis=-1).mean()) / elapsed
                self._activity[body] = decay * self._activity.get(body, 0.0) + (1 - decay) * speed
        self._last_pose = {body: (joints.copy(), valid.copy()) for body, (joints, valid) in poses.items()}
        self._activity = {body: value for body, value in self._activity.items() if body in poses}
        self._last_time = timestamp
