"""How skeletons from one source differ from another's: bone lengths, frame-to-frame noise per axis, joint presence.

The live path reads MediaPipe landmarks from one RGB camera; the model was trained on Kinect depth skeletons. These
statistics put numbers on that gap (`smie data domain-gap`), so preprocessing and augmentation can be matched to it.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.clips.clip_eval import CLIP_SUFFIXES, load_sequence
from core.clips.video_pose import VIDEO_SUFFIXES
from core.skeleton.layouts import NTU25

# Noise is measured at the native frame rate, on tracks of at least this rate only: a 5-frame fit at lower rates
# spans enough motion to count it as noise, and resampling up would interpolate the noise away instead.
MIN_NOISE_FPS = 25.0

# Bones as (joint, joint) pairs by NTU name; paired sides are averaged.
BONES = {
    "shoulder width": [("ShoulderLeft", "ShoulderRight")],
    "upper arm": [("ShoulderLeft", "ElbowLeft"), ("ShoulderRight", "ElbowRight")],
    "forearm": [("ElbowLeft", "WristLeft"), ("ElbowRight", "WristRight")],
    "spine": [("SpineBase", "SpineShoulder")],
    "neck and head": [("SpineShoulder", "Head")],
    "hip width": [("HipLeft", "HipRight")],
    "thigh": [("HipLeft", "KneeLeft"), ("HipRight", "KneeRight")],
    "shin": [("KneeLeft", "AnkleLeft"), ("KneeRight", "AnkleRight")],
}

JOINT_GROUPS = {
    "head": ["Head", "Neck"],
    "torso": ["SpineBase", "SpineMid", "SpineShoulder", "HipLeft", "HipRight"],
    "arms": ["ShoulderLeft", "ElbowLeft", "WristLeft", "ShoulderRight", "ElbowRight", "WristRight"],
    "hands": ["HandLeft", "HandTipLeft", "ThumbLeft", "HandRight", "HandTipRight", "ThumbRight"],
    "legs": ["KneeLeft", "AnkleLeft", "FootLeft", "KneeRight", "AnkleRight", "FootRight"],
}
NOISE_JOINTS = JOINT_GROUPS["head"] + JOINT_GROUPS["arms"]  # seen by every source, webcam included

# A 5-frame least-squares quadratic (Savitzky-Golay) follows smooth motion, constant acceleration included, so
# what is left over is sensor noise. For white noise of deviation s the residual's deviation is s * sqrt(1 - 17/35).
_QUADRATIC_FIT_5 = np.array([-3.0, 12.0, 17.0, 12.0, -3.0]) / 35.0
_RESIDUAL_TO_NOISE = 1.0 / np.sqrt(1.0 - 17.0 / 35.0)


@dataclass
class SkeletonSequence:
    """One body's track: joints (T, 25, 3) in NTU metres and axes, valid (T, 25), at `fps` frames per second."""

    joints: np.ndarray
    valid: np.ndarray
    fps: float


def _index(names) -> list[int]:
    return [NTU25.index[name] for name in names]


def noise_residuals(sequence: SkeletonSequence, joints: list[str]) -> np.ndarray:
    """(K, 3) residuals of the named joints from a 5-frame quadratic fit, x/y/z, over every 5 valid frames."""
    columns = _index(joints)
    x = sequence.joints[:, columns].astype(np.float64)
    valid = sequence.valid[:, columns]
    if len(x) < 5:
        return np.zeros((0, 3))
    windows = np.lib.stride_tricks.sliding_window_view(x, 5, axis=0)  # (T-4, J, 3, 5)
    usable = np.lib.stride_tricks.sliding_window_view(valid, 5, axis=0).all(axis=-1)  # (T-4, J)
    residual = windows[..., 2] - windows @ _QUADRATIC_FIT_5
    return residual[usable]


def bone_lengths(sequence: SkeletonSequence) -> dict[str, np.ndarray]:
    """Bone name -> lengths (metres) in every frame where both ends are valid (sides pooled)."""
    lengths = {}
    for bone, pairs in BONES.items():
        found = []
        for a, b in pairs:
            ia, ib = NTU25.index[a], NTU25.index[b]
            keep = sequence.valid[:, ia] & sequence.valid[:, ib]
            found.append(np.linalg.norm(sequence.joints[keep, ia] - sequence.joints[keep, ib], axis=-1))
        lengths[bone] = np.concatenate(found)
    return lengths


def source_statistics(tracks: list[SkeletonSequence], synthesised_joints: int | None = None) -> dict:
    """Summary of many tracks of one source.

    bone_length_m: median length per bone; bone_length_variation: median over tracks of each bone's within-track
    std / mean (a rigid bone measured perfectly gives 0); noise_mm: per axis (x sideways, y up, z depth), the
    deviation of frame-to-frame noise on head and arm joints, at the native rate of the tracks of >= MIN_NOISE_FPS
    (None when there are none); presence: fraction of frames each joint group is valid; synthesised_joints: NTU
    joints the source does not measure (None when unknown)."""
    if not tracks:
        raise ValueError("no skeleton sequences to measure")
    per_track_lengths = [bone_lengths(track) for track in tracks]
    lengths = {bone: np.concatenate([t[bone] for t in per_track_lengths]) for bone in BONES}
    variation = {bone: [t[bone].std() / t[bone].mean() for t in per_track_lengths if len(t[bone]) >= 10]
                 for bone in BONES}
    residuals = np.concatenate([noise_residuals(track, NOISE_JOINTS) for track in tracks
                                if track.fps >= MIN_NOISE_FPS] or [np.zeros((0, 3))])
    valid = np.concatenate([track.valid for track in tracks])
    noise = np.sqrt((residuals ** 2).mean(axis=0)) * _RESIDUAL_TO_NOISE * 1000 if len(residuals) else [None] * 3

    def rounded(value, digits):
        return None if value is None or not np.isfinite(value) else round(float(value), digits)

    return {
        "tracks": len(tracks),
        "frames": int(sum(len(track.joints) for track in tracks)),
        "fps_median": rounded(np.median([track.fps for track in tracks]), 2),
        "bone_length_m": {bone: rounded(np.median(v), 3) if len(v) else None for bone, v in lengths.items()},
        "bone_length_variation": {bone: rounded(np.median(v), 3) if v else None for bone, v in variation.items()},
        "noise_mm": {axis: rounded(value, 1) for axis, value in zip("xyz", noise)},
        "presence": {group: rounded(valid[:, _index(names)].all(axis=1).mean(), 3)
                     for group, names in JOINT_GROUPS.items()},
        "synthesised_joints": synthesised_joints,
    }


def first_body_track(joints: np.ndarray, valid: np.ndarray, fps: float) -> SkeletonSequence:
    """The first body of a (T, M, 25, 3) clip as a track."""
    return SkeletonSequence(np.asarray(joints)[:, 0], np.asarray(valid)[:, 0], float(fps))


def folder_tracks(folder: Path) -> tuple[list[SkeletonSequence], str | None, list[tuple[str, str]]]:
    """Every clip file in a folder as a track: videos through MediaPipe Pose (cached), recordings and .skeleton
    files as read. Returns (tracks, joint source when all are videos else None, [(file, why skipped)])."""
    tracks, skipped, kinds = [], [], set()
    for path in sorted(Path(folder).iterdir()):
        suffix = path.suffix.lower()
        if suffix not in CLIP_SUFFIXES or path.name.startswith("."):
            continue
        try:
            joints, valid, fps = load_sequence(path)
        except ValueError as error:
            skipped.append((path.name, str(error)))
            continue
        tracks.append(first_body_track(joints, valid, fps))
        kinds.add("video" if suffix in VIDEO_SUFFIXES else "skeleton")
    return tracks, "mediapipe33" if kinds == {"video"} else None, skipped
