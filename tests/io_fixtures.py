"""Small generated skeleton files in every supported format, so the reader tests run without the real data."""

import gzip
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from core.readers.kinder_gator import COLUMNS
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip
from core.skeleton.joint_maps import SOURCE_JOINT_NAMES, direct_map
from core.skeleton.layouts import NTU25

# A person standing 3 m in front of the sensor, facing it, arms down: NTU axes (X to the sensor's left = the
# person's right), metres. Left-side joints have negative X.
STANDING = {
    "SpineBase": (0.0, 0.0, 3.0), "SpineMid": (0.0, 0.28, 3.0), "Neck": (0.0, 0.57, 3.0), "Head": (0.0, 0.72, 3.0),
    "ShoulderLeft": (-0.18, 0.47, 3.0), "ElbowLeft": (-0.22, 0.2, 3.0), "WristLeft": (-0.24, -0.04, 3.0),
    "HandLeft": (-0.25, -0.11, 2.99), "ShoulderRight": (0.18, 0.47, 3.0), "ElbowRight": (0.22, 0.2, 3.0),
    "WristRight": (0.24, -0.04, 3.0), "HandRight": (0.25, -0.11, 2.99), "HipLeft": (-0.08, -0.01, 3.0),
    "KneeLeft": (-0.09, -0.44, 3.0), "AnkleLeft": (-0.09, -0.84, 3.02), "FootLeft": (-0.09, -0.89, 2.92),
    "HipRight": (0.08, -0.01, 3.0), "KneeRight": (0.09, -0.44, 3.0), "AnkleRight": (0.09, -0.84, 3.02),
    "FootRight": (0.09, -0.89, 2.92), "SpineShoulder": (0.0, 0.5, 3.0), "HandTipLeft": (-0.26, -0.19, 2.98),
    "ThumbLeft": (-0.22, -0.13, 2.96), "HandTipRight": (0.26, -0.19, 2.98), "ThumbRight": (0.22, -0.13, 2.96),
}
STANDING_POSE = np.array([STANDING[name] for name in NTU25.joint_names], dtype=np.float32)  # (25, 3)


def moving_body(num_frames: int, seed: int = 0, offset=(0.0, 0.0, 0.0), wave: float = 0.2) -> np.ndarray:
    """(T, 25, 3) float32: the standing pose, the right arm waving by `wave` metres, a little jitter."""
    rng = np.random.default_rng(seed)
    joints = np.repeat(STANDING_POSE[None], num_frames, axis=0) + np.asarray(offset, np.float32)
    phase = np.sin(np.linspace(0, 2 * np.pi, num_frames))[:, None]
    for name in ("ElbowRight", "WristRight", "HandRight", "HandTipRight", "ThumbRight"):
        joints[:, NTU25.index[name], 1] += wave * phase[:, 0] * (2 if name != "ElbowRight" else 1)
    return (joints + rng.normal(0, 0.003, joints.shape)).astype(np.float32)


def to_source_order(ntu_joints: np.ndarray, source: str) -> np.ndarray:
    """NTU joints (..., 25, 3) -> the source's own order (..., J, 3), using the directly mapped joints only."""
    out = np.zeros(ntu_joints.shape[:-2] + (len(SOURCE_JOINT_NAMES[source]), 3), np.float32)
    for ntu, src in direct_map(source).items():
        out[..., src, :] = ntu_joints[..., ntu, :]
    if source in ("utd_mhad20", "msr_action3d20", "kinect_v1_sdk20"):  # "spine" is read but unused: fill it
        out[..., SOURCE_JOINT_NAMES[source].index("spine"), :] = ntu_joints[..., NTU25.index["SpineMid"], :]
    return out


def write_ntu_text(path: Path, bodies_per_frame: list[list[tuple[int, np.ndarray]]], newline: str = "\n"):
    """An NTU .skeleton written by hand (independent of our writer): frames of [(body_id, (25, 3) joints)]."""
    lines = [str(len(bodies_per_frame))]
    for bodies in bodies_per_frame:
        lines.append(str(len(bodies)))
        for body_id, joints in bodies:
            lines += [f"{body_id} 0 1 1 1 1 0 0.01 0.02 2", "25"]
            for v, (x, y, z) in enumerate(joints):
                color_x = 960 - 500 * x / z  # the image's x grows to the sensor's right: opposite to camera X
                lines.append(f"{x:.7g} {y:.7g} {z:.7g} 256 212 {color_x:.7g} 540 1 0 0 0 {2 if v != 3 else 1}")
    Path(path).write_text(newline.join(lines) + newline)


def write_utd_mat(path: Path, ntu_joints: np.ndarray):
    import scipy.io

    scipy.io.savemat(path, {"d_skel": to_source_order(ntu_joints, "utd_mhad20").transpose(1, 2, 0).astype(float)})


def write_msr_text(path: Path, ntu_joints: np.ndarray, empty_frames=()):
    joints = to_source_order(ntu_joints, "msr_action3d20")
    joints[list(empty_frames)] = 0
    rows = [f"{x:.6f} {y:.6f} {z:.6f} 1.000000" for frame in joints for (x, y, z) in frame]
    Path(path).write_text("\n".join(rows) + "\n")


def write_utkinect_text(path: Path, frame_numbers, ntu_joints: np.ndarray):
    joints = to_source_order(ntu_joints, "kinect_v1_sdk20")
    rows = [f"{n}  " + "  ".join(f"{v:.6f}" for v in frame.ravel()) + "  " for n, frame in zip(frame_numbers, joints)]
    Path(path).write_text("\n".join(rows) + "\n")


def write_gtu_text(path: Path, ntu_joints: np.ndarray):
    rows = [f"{x:.6g} {y:.6g} {z:.6g}" for frame in ntu_joints for (x, y, z) in frame]
    Path(path).write_bytes(("\r\n".join(rows) + "\r\n").encode())


# A waving person, for the app and live tests.
J = NTU25.index
FPS = 30.0
WAVING = ("WristRight", "HandRight", "HandTipRight", "ThumbRight")


def standing_pose() -> np.ndarray:
    """(25, 3) an upright body facing the sensor 3 m away, NTU axes (X to the sensor's left, Y up)."""
    heights = {"SpineBase": 0.0, "SpineMid": 0.3, "SpineShoulder": 0.5, "Neck": 0.6, "Head": 0.72,
               "HipLeft": -0.05, "HipRight": -0.05, "KneeLeft": -0.5, "KneeRight": -0.5, "AnkleLeft": -0.9,
               "AnkleRight": -0.9, "FootLeft": -0.95, "FootRight": -0.95, "ShoulderLeft": 0.5,
               "ShoulderRight": 0.5, "ElbowLeft": 0.25, "ElbowRight": 0.25, "WristLeft": 0.0, "WristRight": 0.0,
               "HandLeft": -0.05, "HandRight": -0.05, "HandTipLeft": -0.12, "HandTipRight": -0.12,
               "ThumbLeft": -0.06, "ThumbRight": -0.06}
    sideways = {"Shoulder": 0.2, "Elbow": 0.25, "Wrist": 0.28, "Hand": 0.29, "HandTip": 0.3, "Thumb": 0.27,
                "Hip": 0.1, "Knee": 0.1, "Ankle": 0.1, "Foot": 0.1}
    pose = np.zeros((25, 3), np.float32)
    pose[:, 2] = 3.0
    for name, height in heights.items():
        pose[J[name], 1] = height
    for part, offset in sideways.items():
        pose[J[part + "Left"], 0] = -offset  # the person's left is the sensor's right: negative X
        pose[J[part + "Right"], 0] = offset
    return pose


def waving_clip(seconds: float = 4.0, seed: int = 0):
    """A core Clip: one person raising and lowering the right hand twice a second, with sensor-like jitter."""
    rng = np.random.default_rng(seed)
    T = int(seconds * FPS)
    joints = np.repeat(standing_pose()[None, None], T, axis=0)  # (T, 1, 25, 3)
    phase = np.sin(2 * np.pi * 2.0 * np.arange(T) / FPS)
    for name in WAVING:
        joints[:, 0, J[name], 1] += 0.35 + 0.25 * phase
        joints[:, 0, J[name], 0] += 0.1 * phase
    joints += rng.normal(0, 0.004, joints.shape).astype(np.float32)
    return Clip(joints=joints, valid=np.ones(joints.shape[:3], bool), fps=FPS, source="waving")


def still_body(frames: int = 60) -> np.ndarray:
    """(T, 1, 25, 3) float64: standing_pose held for `frames` frames."""
    return np.repeat(standing_pose()[None, None], frames, axis=0).astype(np.float64)


def ramp(frames: int, start: float, stop: float) -> np.ndarray:
    """0 before `start`, 1 after `stop` (fractions of the clip), linear in between."""
    t = np.linspace(0, 1, frames)
    return np.clip((t - start) / (stop - start), 0, 1)


def right_hand_swipe(to_left: bool = True, frames: int = 60) -> np.ndarray:
    """(T, 1, 25, 3): the right hand rises in front of the right shoulder, sweeps across to the performer's left
    (to_left) or from there to the right, then drops."""
    joints = still_body(frames)
    up = np.minimum(ramp(frames, 0.05, 0.3), 1 - ramp(frames, 0.75, 0.95))
    across = ramp(frames, 0.3, 0.7)
    x0, x1 = (0.35, -0.3) if to_left else (-0.3, 0.45)
    for j in (J[name] for name in WAVING):
        rest = joints[0, 0, j].copy()
        joints[:, 0, j, 0] = rest[0] + up * (x0 + (x1 - x0) * across - rest[0])
        joints[:, 0, j, 1] = rest[1] + up * 0.45
        joints[:, 0, j, 2] = rest[2] - up * 0.35  # forward: towards the sensor
    return joints


def write_waving_skeleton(path, seconds: float = 4.0):
    write_ntu_skeleton(path, waving_clip(seconds))
    return path


def write_kinder_gator_csv(path: Path, ntu_joints: np.ndarray, pid: int = 342, motion: str = "Raise-your-hand",
                           step_ms: float = 33.3):
    """A Kinder-Gator CSV (gzip-compressed when the name ends in .gz): header, then `Timestamp, 20 x XYZ, User-ID,
    Action,` per frame (every line ends in a comma), timestamps in ms from an arbitrary sensor clock."""
    joints = to_source_order(ntu_joints, "kinect_v1_sdk20")
    rows = [",".join(COLUMNS) + ","]
    for t, frame in enumerate(joints):
        rows.append(f"{50567492.1029 + t * step_ms:.4f}," + ",".join(f"{v:.7g}" for v in frame.ravel())
                    + f",{pid},{motion},")
    data = ("\n".join(rows) + "\n").encode()
    Path(path).write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)


def write_msrc12_files(csv_path: Path, ntu_joints: np.ndarray, action_frames, gesture: int = 3,
                       untracked=(), start_us: int = 15678418023, step_us: int = 33333):
    """An MSRC-12 sequence (`t x1 y1 z1 w1 ...`, CRLF) and its .tagstream with one action point per given frame."""
    joints = to_source_order(ntu_joints, "kinect_v1_sdk20")
    rows = []
    for t, frame in enumerate(joints):
        values = np.zeros((20, 4)) if t in untracked else np.c_[frame, np.ones(20)]
        rows.append(f"{start_us + t * step_us} " + " ".join(f"{v:.6f}" for v in values.ravel()))
    data = ("\r\n".join(rows) + "\r\n").encode()
    Path(csv_path).write_bytes(gzip.compress(data) if str(csv_path).endswith(".gz") else data)
    names = {1: "lift outstretched arms", 3: "Push right", 11: "Beat both"}
    tag = f"G{gesture}{'  ' if gesture < 10 else ' '}{names.get(gesture, 'gesture')}"
    ticks = [round((start_us + f * step_us) * 49875 / 1000) for f in action_frames]
    lines = ["XQPCTick;Tag"] + [f"{tick};{tag}" for tick in ticks]
    Path(str(csv_path).removesuffix(".gz").removesuffix(".csv") + ".tagstream").write_bytes(
        ("\r\n".join(lines) + "\r\n").encode())


def write_video(path, frames=60, fourcc="MJPG"):
    """A small moving-grey video written with OpenCV (MJPG .avi or mp4v .mp4)."""
    # cv2 on use: most tests never write a video
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 4 * i, np.uint8))
    writer.release()
    return path


def cut_bytes(path, keep=0.5):
    """A copy of the file cut to `keep` of its bytes, as a copy interrupted while it was written."""
    data = Path(path).read_bytes()
    cut = Path(path).with_name(f"cut_{Path(path).name}")
    cut.write_bytes(data[:int(len(data) * keep)])
    return cut


MUTATIONS = ("truncate", "token", "drop_line", "repeat_line", "bytes")


def mutate(data, original: bytes, bad_tokens, separator: bytes = b" ", kinds=MUTATIONS) -> bytes:
    """One random corruption drawn by hypothesis `data`: a cut, a token (split on `separator`) replaced by one of
    bad_tokens, a line dropped or repeated, or random bytes spliced in."""
    kind = data.draw(st.sampled_from(kinds))
    if kind == "truncate":
        return original[:data.draw(st.integers(0, len(original) - 1))]
    lines = original.split(b"\n")
    row = data.draw(st.integers(0, len(lines) - 1))
    if kind == "drop_line":
        return b"\n".join(lines[:row] + lines[row + 1:])
    if kind == "repeat_line":
        return b"\n".join(lines[:row + 1] + lines[row:])
    if kind == "token":
        tokens = lines[row].split(separator)
        tokens[data.draw(st.integers(0, len(tokens) - 1))] = data.draw(st.sampled_from(bad_tokens)).encode()
        lines[row] = separator.join(tokens)
        return b"\n".join(lines)
    at = data.draw(st.integers(0, len(original)))
    return original[:at] + data.draw(st.binary(min_size=1, max_size=12)) + original[at:]


# A standing person at the origin, facing the sensor (Kinect axes: X to the sensor's left, so the right shoulder has larger X).
STANDING_AT_ORIGIN = {
    "SpineBase": (0, 0, 0), "SpineMid": (0, 0.25, 0), "SpineShoulder": (0, 0.5, 0), "Neck": (0, 0.58, 0),
    "Head": (0, 0.7, 0), "ShoulderLeft": (-0.18, 0.48, 0), "ElbowLeft": (-0.22, 0.2, 0),
    "WristLeft": (-0.24, -0.05, 0), "HandLeft": (-0.25, -0.12, 0), "HandTipLeft": (-0.26, -0.2, 0),
    "ThumbLeft": (-0.22, -0.12, -0.03), "ShoulderRight": (0.18, 0.48, 0), "ElbowRight": (0.22, 0.2, 0),
    "WristRight": (0.24, -0.05, 0), "HandRight": (0.25, -0.12, 0), "HandTipRight": (0.26, -0.2, 0),
    "ThumbRight": (0.22, -0.12, -0.03), "HipLeft": (-0.1, -0.05, 0), "KneeLeft": (-0.1, -0.5, 0),
    "AnkleLeft": (-0.1, -0.9, 0), "FootLeft": (-0.1, -0.95, -0.1), "HipRight": (0.1, -0.05, 0),
    "KneeRight": (0.1, -0.5, 0), "AnkleRight": (0.1, -0.9, 0), "FootRight": (0.1, -0.95, -0.1),
}
BASE_POSE = np.array([STANDING_AT_ORIGIN[name] for name in NTU25.joint_names], dtype=np.float32)  # (25, 3)


def rotate_y(points: np.ndarray, angle) -> np.ndarray:
    """Rotate (..., 3) points about the vertical axis; `angle` broadcasts against points[..., 0]."""
    cos, sin = np.cos(angle), np.sin(angle)
    out = points.copy()
    out[..., 0] = cos * points[..., 0] + sin * points[..., 2]
    out[..., 2] = cos * points[..., 2] - sin * points[..., 0]
    return out


def moving_person(num_frames=64, seed=0, turn=0.6, offset=(0.3, 0.9, 2.8)) -> np.ndarray:
    """(T, 25, 3) a person who waves the right arm, sways and turns slowly, in front of the sensor."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, num_frames)[:, None]
    frames = np.repeat(BASE_POSE[None], num_frames, axis=0)
    for name in ("WristRight", "HandRight", "HandTipRight", "ThumbRight"):
        frames[:, NTU25.index[name], 1] += 0.5 * np.sin(2 * np.pi * t[:, 0])
    frames += 0.005 * rng.standard_normal(frames.shape).astype(np.float32)
    frames = rotate_y(frames, turn * t - 0.3)
    return (frames + np.asarray(offset, np.float32) + 0.1 * t[:, :, None]).astype(np.float32)


def class_arrays(dataset: str, names: list[str], per_class: int = 3, frames: int = 50, seed: int | None = None):
    """TrainingArrays of `per_class` preprocessed-shape clips per class of one dataset: zeros, or Gaussian noise
    drawn with `seed` (for runs that train on them)."""
    from core.training.training_data import TrainingArrays

    labels = np.repeat(np.arange(len(names)), per_class)
    n = len(labels)
    shape = (n, 3, frames, 25, 2)
    x = (np.zeros(shape, np.float32) if seed is None
         else np.random.default_rng(seed).normal(size=shape).astype(np.float32))
    return TrainingArrays(x, labels, list(names), np.full(n, -1), np.asarray([dataset] * n),
                          [f"{dataset}{i}" for i in range(n)])
