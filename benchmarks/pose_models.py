"""Lite against full pose model: the live pipeline on the tai chi video (smie bench-pipeline) with each, interleaved
in one run so both see the same machine load, plus the zero-shot top-1 on the webcam_arms clips with each.

Every pipeline run records the load average before and after it: on a shared machine the figures move with
whatever else runs, so compare lite and full within a round, not across runs. With mediapipe 0.10.21 (which still
has mp.solutions) the legacy one-person Pose solution's per-frame time is measured beside the Tasks models' on
the same decoded frames, for the record. JSON on stdout, and --out.
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from bench_report import emit, machine, model_or_random  # noqa: E402

from core.commands.bench_pipeline import bench_pipeline, load_average  # noqa: E402
from core.paths import data_root  # noqa: E402

MODELS = ("lite", "full")


def pose_only_ms(video: Path, frames: int = 200) -> dict:
    """Median ms per frame of one estimator on one thread over the same decoded frames, interleaved frame by
    frame: the Tasks PoseLandmarker (num_poses 2, as the source runs it) with lite and full, and the legacy
    solution (full model, one person) where this mediapipe has it."""
    # cv2, mediapipe imported on use
    import cv2
    import mediapipe as mp

    from core.live.sources.mediapipe_pose import _TaskPose
    from core.live.sources.pose_models import pose_model_path

    capture = cv2.VideoCapture(str(video))
    images = []
    while len(images) < frames:
        ok, image = capture.read()
        if not ok:
            break
        images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    capture.release()
    estimators = {model: _TaskPose(pose_model_path(model), 2) for model in MODELS}
    solutions = getattr(mp, "solutions", None)
    if solutions is not None:
        legacy = solutions.pose.Pose(model_complexity=1, static_image_mode=False)
        estimators["legacy full (mp.solutions, 1 person)"] = lambda rgb, _ms: legacy.process(rgb)
    times = {name: [] for name in estimators}
    for index, rgb in enumerate(images):
        for name, estimate in estimators.items():
            start = time.perf_counter()
            estimate(rgb, int(index * 1000 / 30))
            times[name].append(1e3 * (time.perf_counter() - start))
    return {name: round(statistics.median(values), 2) for name, values in times.items()}


def webcam_top1(model_dir, pose_model: str) -> dict:
    """Zero-shot top-1 of the webcam_arms clips (whole clips and live windows) with `pose_model`."""
    # pulls in torch: imported on use
    from core.clips.clip_eval import evaluate_clip_folder
    from core.clips.window_eval import evaluate_windows
    from core.live.engine import load_recognizer

    folder = data_root() / "webcam_arms"
    recognizer = load_recognizer(model_dir, "cpu")
    report = evaluate_clip_folder(folder, recognizer, pose_model=pose_model)
    windows = evaluate_windows(folder, report, recognizer, pose_model=pose_model).to_dict()
    return {"pose_model": pose_model, "clips": report.n, "top1": round(report.topk(1), 4),
            "window_top1": None if windows["top1"] is None else round(windows["top1"], 4), "windows": windows["n"]}


def summary(runs: list[dict]) -> dict:
    by_model = {model: [run for run in runs if run["pose_model"] == model] for model in MODELS}
    medians = {model: {"pose_p50_ms": statistics.median(r["pose_ms"]["p50"] for r in items),
                       "fps": statistics.median(r["fps"] for r in items),
                       "e2e_p95_ms": statistics.median(r["e2e_ms"]["p95"] for r in items)}
               for model, items in by_model.items() if items}
    ratios = [lite["pose_ms"]["p50"] / full["pose_ms"]["p50"] for lite, full in zip(by_model["lite"], by_model["full"])]
    return {"median_over_rounds": medians, "lite_over_full_pose_p50_per_round": [round(r, 3) for r in ratios],
            "lite_over_full_pose_p50_median": round(statistics.median(ratios), 3) if ratios else None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default=str(data_root() / "video" / "ta_chi.mp4"))
    parser.add_argument("--rounds", type=int, default=3, help="lite/full pairs; the order alternates per round")
    parser.add_argument("--labels", type=int, default=120)
    parser.add_argument("--model", default=None, help="model folder (default: models/default, else random weights)")
    parser.add_argument("--no-accuracy", action="store_true", help="skip the webcam_arms top-1")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="smie-pose-bench-") as scratch:
        model_dir, model_name = model_or_random(args.model, scratch)
        runs = []
        for round_number in range(args.rounds):
            for pose_model in (MODELS if round_number % 2 == 0 else MODELS[::-1]):
                run = bench_pipeline(args.video, model_dir, args.labels, pose_model=pose_model)
                runs.append({"round": round_number, **run})
                print(f"round {round_number} {pose_model}: pose p50 {run['pose_ms']['p50']} ms, {run['fps']} fps, "
                      f"e2e p95 {run['e2e_ms']['p95']} ms, load {run['load_average_before']}", file=sys.stderr)
        single_thread = {"load_average_before": load_average(), "median_ms": pose_only_ms(Path(args.video)),
                         "load_average_after": load_average()}
        accuracy = [] if args.no_accuracy else [webcam_top1(model_dir, pose_model) for pose_model in MODELS]
    import mediapipe

    emit({**machine(), "mediapipe": mediapipe.__version__, "model": model_name, "video": args.video, "runs": runs,
          "summary": summary(runs), "pose_only_one_thread": single_thread, "webcam_arms_zero_shot": accuracy},
         args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
