"""`smie bench-pipeline`: the whole live pipeline on a video as fast as it goes, with latency percentiles."""

import dataclasses
import json
import os
import sys
import tempfile
import time

import numpy as np

from core.live.scorer import SCORED_STATES, LiveScorer, ScorerConfig
from core.live.sources import SourceError, open_source
from core.live.sources.pose_models import (
    DEFAULT_POSE_MODEL,
    add_people_argument,
    add_pose_model_argument,
    pose_model_name,
)
from core.model.text import TextEncoder
from core.paths import DEFAULT_MODEL_DIR
from core.skeleton.preprocess import PreprocessConfig


def add_parser(subparsers):
    parser = subparsers.add_parser("bench-pipeline", help="time pose, scoring and end-to-end latency on a video",
                                   description="Run source -> pose -> buffer -> scorer on a video as fast as "
                                               "possible, scoring every stride, and report timings.")
    parser.add_argument("--source", required=True, help="video file (or any source smie run takes)")
    parser.add_argument("--labels", type=int, default=120, help="number of synthetic label names (default 120)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder (default: %(default)s)")
    parser.add_argument("--random-model", action="store_true",
                        help="time a randomly initialised model instead (same speed as a trained one)")
    parser.add_argument("--window", type=float, default=2.0, help="seconds per window (default 2.0)")
    parser.add_argument("--stride", type=float, default=0.2, help="seconds between windows (default 0.2)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--pose-workers", type=int, default=None,
                        help="MediaPipe estimators on alternate frames (default: 2 with two cores or more)")
    add_pose_model_argument(parser)
    add_people_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def save_random_model(model_dir, seed: int = 0):
    """A randomly initialised ST-GCN + SMIE head saved as a model folder: for timing and tests, never for use."""
    # torch imported on use: importing this module stays light
    import torch

    # pulls in torch: imported on use so `smie --help` stays fast
    from core.model.checkpoint import ModelMetadata, save_model
    from core.model.smie import SMIEConfig, SMIEHead
    from core.model.stgcn import STGCN, STGCNConfig

    torch.manual_seed(seed)
    text = TextEncoder()
    encoder = STGCN(STGCNConfig())
    head = SMIEHead(SMIEConfig(visual_dim=encoder.config.feature_dim, text_dim=text.dim))
    metadata = ModelMetadata(text_model=text.name, text_dim=text.dim,
                             preprocess=dataclasses.asdict(PreprocessConfig()),
                             metrics={"note": "random weights, for timing only"})
    return save_model(model_dir, encoder, head, metadata)


def percentiles(values) -> dict:
    values = np.asarray(list(values), np.float64)
    if values.size == 0:
        return {"p50": None, "p95": None}
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def paced_drops(busy_ms, interval_s: float) -> int:
    """Items a paced run would lose: they arrive every `interval_s`, each keeps the worker busy busy_ms[i], and a
    worker that frees up takes the newest item that has arrived (older waiting ones are dropped)."""
    busy_ms = list(busy_ms)
    now, index, processed = 0.0, 0, 0
    while index < len(busy_ms):
        now = max(now, index * interval_s) + busy_ms[index] / 1e3
        processed += 1
        index = max(index + 1, int(np.floor(now / interval_s + 1e-9)))
    return len(busy_ms) - processed


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MiB (None where the OS does not report it)."""
    try:
        # POSIX only: imported where used
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the OS has none): other work on the machine slows every
    figure here, so each report says how busy it was."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def bench_pipeline(source_spec: str, model_dir, num_labels: int = 120, window: float = 2.0, stride: float = 0.2,
                   device: str | None = None, pose_workers: int | None = None,
                   pose_model: str = DEFAULT_POSE_MODEL, people: int = 2) -> dict:
    """Run the pipeline once over `source_spec` at full speed, scoring every stride; returns the report dict
    (with the load average before and after the run)."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.live.engine import EngineConfig, LiveEngine, load_recognizer

    recognizer = load_recognizer(model_dir, device)
    labels = [f"synthetic action number {i}" for i in range(num_labels)]
    # Thresholds off: every window goes through the encoder and the head, so the timing is the full cost.
    config = ScorerConfig(window_seconds=window, stride_seconds=stride, min_coverage=0.0, min_motion=0.0)
    results, errors, frames_pose_ms = [], [], []
    scorer = LiveScorer(recognizer, labels, config, on_result=results.append, on_error=errors.append)
    source = open_source(source_spec, realtime=False, pose_workers=pose_workers, pose_model=pose_model,
                         num_poses=people)
    load_before = load_average()
    engine = LiveEngine(source, scorer, EngineConfig(realtime=False),
                        on_frame=lambda frame: frames_pose_ms.append(frame.pose_ms), on_error=errors.append)
    start = time.perf_counter()
    engine.start()
    engine.wait()
    wall = time.perf_counter() - start
    engine.stop()
    if engine.fatal_error is not None:
        raise RuntimeError(engine.fatal_error.message)
    scored = [r for r in results if r.state in SCORED_STATES]
    bodies = [getattr(r, "bodies", None) for r in results]
    scorer_ms = [r.preprocess_ms + r.encode_ms + r.score_ms for r in scored]
    fps = source.fps or 30.0
    return {
        "source": str(source_spec), "device": recognizer.device, "labels": num_labels,
        "pose_workers": getattr(source, "pose_workers", None),
        "pose_model": pose_model_name(pose_model) if hasattr(source, "pose_model") else None,
        "people": getattr(source, "num_poses", None),
        "frames": len(frames_pose_ms), "results": len(results), "scored": len(scored), "errors": len(errors),
        "wall_s": round(wall, 2), "fps": round(len(frames_pose_ms) / wall, 1) if wall > 0 else None,
        "pose_ms": percentiles(frames_pose_ms), "scorer_ms": percentiles(scorer_ms),
        "e2e_ms": percentiles(r.e2e_ms for r in results),
        "paced_frames_dropped": paced_drops(frames_pose_ms, 1.0 / fps),
        "paced_windows_skipped": paced_drops(scorer_ms, stride),
        "results_with_2_bodies": sum(b == 2 for b in bodies), "peak_rss_mb": peak_rss_mb(),
        "load_average_before": load_before, "load_average_after": load_average(),
    }


def run(args) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.live.engine import ModelNotFoundError

    try:
        with tempfile.TemporaryDirectory(prefix="smie-random-model-") as scratch:
            model_dir = save_random_model(scratch) if args.random_model else args.model
            report = bench_pipeline(args.source, model_dir, args.labels, args.window, args.stride, args.device,
                                    args.pose_workers, args.pose_model, args.people)
    except (ModelNotFoundError, SourceError, RuntimeError) as error:
        print(f"smie bench-pipeline: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['frames']} frames of {report['source']} in {report['wall_s']} s ({report['fps']} fps), "
          f"{report['results']} results, {report['labels']} labels, {report['device']}, pose model "
          f"{report['pose_model']}")
    for key in ("pose_ms", "scorer_ms", "e2e_ms"):
        print(f"  {key:10s} p50 {report[key]['p50']}  p95 {report[key]['p95']}")
    print(f"  a paced run would drop {report['paced_frames_dropped']} frames and skip "
          f"{report['paced_windows_skipped']} windows; peak RSS {report['peak_rss_mb']} MiB; load average "
          f"{report['load_average_before']} before, {report['load_average_after']} after")
    return 0
