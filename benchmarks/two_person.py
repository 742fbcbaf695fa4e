"""Two people in one picture: how often the live pipeline sees the second person and how often the two swap slots.

No two-person video is in the shared data, so the clip is made from two real ones side by side: the tai chi video
(played forwards and backwards to the length asked) on the left, the webcam_arms clips one after another on the
right, each scaled to 256 pixels high. The whole live pipeline runs on it as fast as it goes (source -> pose ->
ring buffer -> scorer, every stride scored with the live thresholds); it reports the share of frames with two
bodies, the slot swaps (a slot whose person is now on the other half of the picture), per minute, and the share
of results whose window holds two bodies (LiveResult.bodies). JSON on stdout, and --out.
"""

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from bench_report import emit, machine, model_or_random  # noqa: E402

from core.commands.bench_pipeline import load_average  # noqa: E402
from core.live.sources.pose_models import DEFAULT_POSE_MODEL  # noqa: E402
from core.paths import data_root  # noqa: E402

HEIGHT = 256


def _frames(path: Path) -> list[np.ndarray]:
    # cv2 imported on use: importing this module stays light
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(image, (round(image.shape[1] * HEIGHT / image.shape[0]), HEIGHT),
                                 interpolation=cv2.INTER_AREA))
    capture.release()
    return frames


def side_by_side_clip(out: Path, seconds: float, fps: float = 29.97, root: Path | None = None) -> Path:
    """Write an MJPG .avi of `seconds`: tai chi (ping-pong) on the left, webcam_arms clips on the right."""
    # cv2 imported on use: importing this module stays light
    import cv2

    root = root or data_root()
    left = _frames(root / "video" / "ta_chi.mp4")
    left = left + left[-2:0:-1]  # forwards then backwards: no jump at the loop
    right = [frame for clip in sorted((root / "webcam_arms").glob("*.avi")) for frame in _frames(clip)]
    count = int(round(seconds * fps))
    width = left[0].shape[1] + right[0].shape[1]
    width += width % 2
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, HEIGHT))
    for k in range(count):
        frame = np.zeros((HEIGHT, width, 3), np.uint8)
        a, b = left[k % len(left)], right[k % len(right)]
        frame[:, :a.shape[1]], frame[:, a.shape[1]:a.shape[1] + b.shape[1]] = a, b
        writer.write(frame)
    writer.release()
    return out


def body_sides(joints: np.ndarray, valid: np.ndarray) -> list[str | None]:
    """Per slot of one frame: "left" / "right" half of the picture the body is on (NTU X points to the sensor's
    left, so the left half of the picture has X > 0), None for an empty slot."""
    sides = []
    for body, seen in zip(joints, valid):
        sides.append(None if not seen.any() else ("left" if body[seen, 0].mean() > 0 else "right"))
    return sides


def count_swaps(per_frame_sides: list[list[str | None]]) -> int:
    """Frames at which some slot's person is on the other side from where that slot's person was last seen."""
    last: dict[int, str] = {}
    swaps = 0
    for sides in per_frame_sides:
        changed = False
        for slot, side in enumerate(sides):
            if side is None:
                continue
            changed |= slot in last and last[slot] != side
            last[slot] = side
        swaps += changed
    return swaps


def measure(video: Path, model_dir, pose_model: str, labels: int = 60) -> dict:
    """Run the live pipeline over `video` as fast as it goes; frames and results about the two people."""
    # pulls in torch: imported on use
    from core.live.engine import EngineConfig, LiveEngine, load_recognizer
    from core.live.scorer import LiveScorer, ScorerConfig
    from core.live.sources import open_source

    recognizer = load_recognizer(model_dir, "cpu")
    results, sides = [], []
    scorer = LiveScorer(recognizer, [f"synthetic action number {i}" for i in range(labels)], ScorerConfig(),
                        on_result=results.append)
    source = open_source(str(video), realtime=False, keep_image=False, pose_model=pose_model)
    engine = LiveEngine(source, scorer, EngineConfig(realtime=False),
                        on_frame=lambda frame: sides.append(body_sides(frame.joints, frame.valid)))
    before = load_average()
    engine.start()
    engine.wait()
    engine.stop()
    if engine.fatal_error is not None:
        raise RuntimeError(engine.fatal_error.message)
    minutes = len(sides) / source.fps / 60
    two = [sum(side is not None for side in frame) == 2 for frame in sides]
    swaps = count_swaps(sides)
    return {"pose_model": pose_model, "frames": len(sides), "minutes": round(minutes, 3),
            "frames_with_2_bodies": round(float(np.mean(two)), 3),
            "results": len(results), "results_with_2_bodies": round(float(np.mean([r.bodies == 2 for r in results])), 3),
            "slot_swaps": swaps, "slot_swaps_per_minute": round(swaps / minutes, 2) if minutes else None,
            "load_average_before": before, "load_average_after": load_average()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the made clip (default 60)")
    parser.add_argument("--pose-model", action="append", default=None,
                        help=f"lite, full or a .task file; repeat to compare (default {DEFAULT_POSE_MODEL})")
    parser.add_argument("--model", default=None, help="model folder (default: models/default, else random weights)")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="smie-two-person-") as scratch:
        model_dir, _ = model_or_random(args.model, Path(scratch) / "model")
        video = side_by_side_clip(Path(scratch) / "two_person.avi", args.seconds)
        runs = [measure(video, model_dir, pose_model) for pose_model in args.pose_model or [DEFAULT_POSE_MODEL]]
    emit({**machine(), "clip": f"tai chi (left) + webcam_arms (right), {args.seconds:g} s, {HEIGHT} px high",
          "runs": runs}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
