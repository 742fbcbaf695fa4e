"""Fits the synthesised-joint constants of core.skeleton.joint_maps on real Kinect v2 skeletons and MediaPipe landmarks.

Run `python -m core.readers.joint_map_calibration` to print every constant next to the value in core.skeleton.joint_maps.
"""

import argparse
import logging
from pathlib import Path

import numpy as np

from core.paths import MODELS_DIR, data_root
from core.readers.datasets import load_dataset
from core.skeleton import joint_maps
from core.skeleton.joint_maps import MEDIAPIPE33_NAMES
from core.skeleton.layouts import NTU25

log = logging.getLogger(__name__)

_J = NTU25.index
_MP = {name: j for j, name in enumerate(MEDIAPIPE33_NAMES)}


def line_ratio(joints: np.ndarray, usable: np.ndarray, point: int, start: tuple[int, ...],
               end: tuple[int, ...]) -> float:
    """Median over frames of t = (p - a).(b - a) / |b - a|^2, a = mean(start), b = mean(end); joints (F, V, 3)."""
    a, b, p = joints[:, list(start)].mean(1), joints[:, list(end)].mean(1), joints[:, point]
    keep = usable[:, [point, *start, *end]].all(axis=1)
    d = b - a
    squared = np.einsum("fc,fc->f", d, d)
    keep &= squared > 1e-8
    assert keep.any(), "no frame has all the joints of this ratio"
    return float(np.median(np.einsum("fc,fc->f", p - a, d)[keep] / squared[keep]))


def length_ratio(joints: np.ndarray, usable: np.ndarray, a: tuple[int, ...], b: tuple[int, ...],
                 ref_a: int, ref_b: int) -> float:
    """Median over frames of |mean(a) - mean(b)| / |ref_a - ref_b|; joints (F, V, 3)."""
    keep = usable[:, [*a, *b, ref_a, ref_b]].all(axis=1)
    length = np.linalg.norm(joints[:, list(a)].mean(1) - joints[:, list(b)].mean(1), axis=-1)
    reference = np.linalg.norm(joints[:, ref_a] - joints[:, ref_b], axis=-1)
    keep &= reference > 1e-4
    assert keep.any(), "no frame has all the joints of this ratio"
    return float(np.median(length[keep] / reference[keep]))


def _sides(fn) -> float:
    """Mean of a left-side and a right-side measurement (hands are pooled)."""
    return 0.5 * (fn("Left") + fn("Right"))


def fit_kinect_v2(joints: np.ndarray, usable: np.ndarray) -> dict[str, float]:
    """Line ratios (the core.skeleton.joint_maps constant names) and length ratios on Kinect v2 frames (F, 25, 3)."""
    hips, shoulders = (_J["HipLeft"], _J["HipRight"]), (_J["ShoulderLeft"], _J["ShoulderRight"])
    on = lambda p, s, e: line_ratio(joints, usable, _J[p], s, e)  # noqa: E731
    return {
        "SPINE_BASE_ON_HIPS_TO_SHOULDERS": on("SpineBase", hips, shoulders),
        "SPINE_SHOULDER_ON_BASE_TO_HEAD": on("SpineShoulder", (_J["SpineBase"],), (_J["Head"],)),
        "SPINE_MID_ON_BASE_TO_SPINE_SHOULDER": on("SpineMid", (_J["SpineBase"],), (_J["SpineShoulder"],)),
        "NECK_ON_SPINE_SHOULDER_TO_HEAD": on("Neck", (_J["SpineShoulder"],), (_J["Head"],)),
        "HAND_TIP_ON_WRIST_TO_HAND": _sides(lambda s: on(f"HandTip{s}", (_J[f"Wrist{s}"],), (_J[f"Hand{s}"],))),
        "THUMB_ON_WRIST_TO_HAND": _sides(lambda s: on(f"Thumb{s}", (_J[f"Wrist{s}"],), (_J[f"Hand{s}"],))),
        # Lengths the MediaPipe constants are matched to: head above mid-shoulders / shoulder width; hand, hand
        # tip and thumb from the wrist / forearm.
        "head_length": length_ratio(joints, usable, (_J["Head"],), shoulders, *shoulders),
        "head_above_hips_length": length_ratio(joints, usable, (_J["Head"],), hips, *shoulders),
        "spine_shoulder_length": length_ratio(joints, usable, (_J["SpineShoulder"],), shoulders, *shoulders),
        "hip_width_length": length_ratio(joints, usable, (hips[0],), (hips[1],), *shoulders),
        **{f"{part}_length": _sides(lambda s, part=part: length_ratio(
            joints, usable, (_J[f"{part}{s}"],), (_J[f"Wrist{s}"],), _J[f"Elbow{s}"], _J[f"Wrist{s}"]))
           for part in ("Hand", "HandTip", "Thumb")},
    }


def mediapipe_lengths(world: np.ndarray, visibility: np.ndarray) -> dict[str, float]:
    """The same length ratios for the MediaPipe points the NTU joints are built from; world (F, 33, 3)."""
    usable = visibility >= 0.5
    shoulders = (_MP["left_shoulder"], _MP["right_shoulder"])
    hips, ears = (_MP["left_hip"], _MP["right_hip"]), (_MP["left_ear"], _MP["right_ear"])

    def arm(points: str, side: str) -> float:
        names = {"knuckles": ("index", "pinky"), "index": ("index",), "thumb": ("thumb",)}[points]
        return length_ratio(world, usable, tuple(_MP[f"{side}_{n}"] for n in names), (_MP[f"{side}_wrist"],),
                            _MP[f"{side}_elbow"], _MP[f"{side}_wrist"])

    return {
        "head_length": length_ratio(world, usable, ears, shoulders, *shoulders),
        "head_above_hips_length": length_ratio(world, usable, ears, hips, *shoulders),
        "hip_width_length": length_ratio(world, usable, (hips[0],), (hips[1],), *shoulders),
        "Hand_length": 0.5 * (arm("knuckles", "left") + arm("knuckles", "right")),
        "HandTip_length": 0.5 * (arm("index", "left") + arm("index", "right")),
        "Thumb_length": 0.5 * (arm("thumb", "left") + arm("thumb", "right")),
    }


def fit_mediapipe(kinect_lengths: dict[str, float], mediapipe: dict[str, float]) -> dict[str, float]:
    """t for each MediaPipe line: the Kinect v2 length over the MediaPipe length of the point it stands for."""
    return {
        "HEAD_ON_HIPS_TO_EARS": kinect_lengths["head_above_hips_length"] / mediapipe["head_above_hips_length"],
        "HEAD_ON_SHOULDERS_TO_EARS": kinect_lengths["head_length"] / mediapipe["head_length"],
        "SPINE_SHOULDER_ON_SHOULDERS_TO_EARS": kinect_lengths["spine_shoulder_length"] / mediapipe["head_length"],
        "HIP_ON_MID_HIPS_TO_HIP": kinect_lengths["hip_width_length"] / mediapipe["hip_width_length"],
        "HAND_ON_WRIST_TO_KNUCKLES": kinect_lengths["Hand_length"] / mediapipe["Hand_length"],
        "HAND_TIP_ON_WRIST_TO_INDEX": kinect_lengths["HandTip_length"] / mediapipe["HandTip_length"],
        "THUMB_ON_WRIST_TO_THUMB": kinect_lengths["Thumb_length"] / mediapipe["Thumb_length"],
    }


def kinect_v2_frames(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"ntu_samples": (joints (F, 25, 3), usable (F, 25)), "gtu": ...}: first body; NTU uses tracked joints only."""
    frames = {}
    for name in ("ntu_samples", "gtu"):
        clips = load_dataset(name, root).clips
        joints = np.concatenate([clip.joints[:, 0] for clip in clips])
        usable = np.concatenate([
            clip.extras["tracking_state"][:, 0] == 2 if "tracking_state" in clip.extras else clip.valid[:, 0]
            for clip in clips])
        frames[name] = (joints, usable)
    return frames


def mediapipe_video_landmarks(videos: list[Path], pose_model: str | Path = "full") -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe PoseLandmarker (default the full model of models/pose/; "lite" or a .task file) world landmarks of
    every frame with a person, one person per frame: (F, 33, 3), visibility (F, 33)."""
    # cv2, mediapipe imported on use: importing this module stays light
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    bundled = {"lite": MODELS_DIR / "pose" / "pose_landmarker_lite.task",
               "full": MODELS_DIR / "pose" / "pose_landmarker_full.task"}
    model = bundled.get(str(pose_model).lower(), Path(pose_model))
    world, visibility = [], []
    for video in videos:
        capture = cv2.VideoCapture(str(video))
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                               running_mode=vision.RunningMode.VIDEO, num_poses=1)
        with vision.PoseLandmarker.create_from_options(options) as pose:
            index = 0
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                result = pose.detect_for_video(image, int(round(1000 * index / fps)))
                index += 1
                if result.pose_world_landmarks:
                    marks = result.pose_world_landmarks[0]
                    world.append([[m.x, m.y, m.z] for m in marks])
                    visibility.append([m.visibility for m in marks])
        capture.release()
    return np.asarray(world), np.asarray(visibility)


def main(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="data root (default: core.paths.data_root())")
    parser.add_argument("--no-video", action="store_true", help="skip the MediaPipe part (slow: runs the model)")
    parser.add_argument("--pose-model", default="full", metavar="lite|full|FILE.task",
                        help="MediaPipe pose model of the video part (default full: the constants were fitted on it)")
    args = parser.parse_args(argv)
    root = args.data or data_root()
    per_dataset = {name: fit_kinect_v2(*frames) for name, frames in kinect_v2_frames(root).items()}
    fitted = {key: float(np.mean([fit[key] for fit in per_dataset.values()])) for key in per_dataset["gtu"]}
    if not args.no_video:
        videos = sorted((root / "webcam_arms").glob("*.avi"))
        world, visibility = mediapipe_video_landmarks(videos, args.pose_model)
        print(f"MediaPipe: {len(world)} frames with a person in {len(videos)} videos")
        mediapipe = mediapipe_lengths(world, visibility)
        fitted.update({f"mediapipe {k}": v for k, v in mediapipe.items()})
        fitted.update(fit_mediapipe(fitted, mediapipe))
    print(f"{'constant':40s} {'fitted':>8s} {'table':>8s}  per dataset")
    for key, value in fitted.items():
        table = getattr(joint_maps, key, None)
        details = "  ".join(f"{name} {fit[key]:.3f}" for name, fit in per_dataset.items() if key in fit)
        print(f"{key:40s} {value:8.3f} {'' if table is None else f'{table:8.3f}'}  {details}")


if __name__ == "__main__":
    main()
