"""`smie run`, `smie bench-pipeline` and the live engine: end to end, faults, retries and clean stops."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.commands.bench_pipeline import paced_drops, percentiles, save_random_model
from core.commands.run import format_result
from core.live.engine import EngineConfig, LiveEngine
from core.live.recognizer import Recognizer
from core.live.scorer import SCORED_STATES, LiveResult, LiveScorer, ScorerConfig
from core.live.sources.mediapipe_pose import MediaPipeSource
from core.live.sources.replay import ReplaySource, save_recording
from core.skeleton.clip import Clip

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LABELS = ["wave hand", "clap", "jump"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def recognizer(model_dir):
    recognizer = Recognizer.load(model_dir, "cpu")
    recognizer.set_labels(LABELS)  # fills the on-disk text cache the subprocess reads
    return recognizer


def waving_clip(seconds=3.0, fps=30.0) -> Clip:
    """One body waving both arms, in NTU axes."""
    T = int(seconds * fps)
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.2, (25, 3)).astype(np.float32) + np.float32([0, 0, 3])
    pose[4, 0], pose[8, 0] = -0.2, 0.2  # shoulders apart, so the facing rotation is defined
    joints = np.repeat(pose[None, None], T, axis=0)
    joints[:, 0, 5:12, 1] += 0.3 * np.sin(np.arange(T) / fps * 2 * np.pi)[:, None]
    return Clip(joints=joints, valid=np.ones((T, 1, 25), bool), source="waving", fps=fps)


def run_engine(recognizer, source, engine_config=EngineConfig(realtime=False), **scorer_options):
    results, errors = [], []
    scorer = LiveScorer(recognizer, LABELS, ScorerConfig(**scorer_options), on_result=results.append,
                        on_error=errors.append)
    engine = LiveEngine(source, scorer, engine_config, on_error=errors.append)
    return engine, results, errors


def test_fast_replay_scores_every_stride(recognizer):
    engine, results, errors = run_engine(recognizer, ReplaySource(waving_clip(3.0), realtime=False))
    engine.start()
    assert engine.wait(timeout=60)
    assert engine.stop()
    assert not errors and engine.frames_read == 90
    times = [r.timestamp for r in results]
    # First window once 60% of 2 s is buffered (1.2 s), then every 0.2 s up to the last frame at 89/30 s.
    expected = np.arange(1.2, 89 / 30 + 1e-6, 0.2)
    np.testing.assert_allclose(times[:len(expected)], expected, atol=1 / 30 + 1e-6)
    assert len(times) in (len(expected), len(expected) + 1)  # plus the final window at the end of the file
    assert times[-1] == pytest.approx(89 / 30)
    assert all(r.state in SCORED_STATES and r.labels == LABELS for r in results)


def test_stop_joins_within_one_second_during_a_paced_endless_replay(recognizer):
    engine, results, errors = run_engine(recognizer, ReplaySource(waving_clip(1.0), realtime=True, loop=True),
                                         EngineConfig(realtime=True))
    engine.start()
    time.sleep(2.0)
    start = time.monotonic()
    assert engine.stop(timeout=1.0)
    assert time.monotonic() - start < 1.0
    assert len(results) >= 3 and not errors
    assert max(r.e2e_ms for r in results) < 1000, "a paced run must not fall behind"


def test_absent_camera_retries_with_back_off_and_stops_cleanly(recognizer):
    config = EngineConfig(retry_initial_s=0.05, retry_max_s=0.2)
    engine, results, errors = run_engine(recognizer, MediaPipeSource(97), config)
    engine.start()
    deadline = time.monotonic() + 20
    while len(errors) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    start = time.monotonic()
    assert engine.stop(timeout=1.0) and time.monotonic() - start < 1.0
    assert len(errors) >= 5 and not results
    assert all(e.where == "capture" and not e.fatal and "camera 97" in e.message for e in errors)
    assert [e.retry_in_s for e in errors[:4]] == [0.05, 0.1, 0.2, 0.2]


def test_a_camera_that_never_gives_a_frame_is_given_up_when_asked(recognizer):
    config = EngineConfig(retry_initial_s=0.05, retry_max_s=0.2, give_up_without_frames_s=0.5)
    engine, _, errors = run_engine(recognizer, MediaPipeSource(97), config)
    start = time.monotonic()
    engine.start()
    assert engine.wait(timeout=10), "a headless run must end, not retry for ever"
    assert time.monotonic() - start < 2.0
    assert engine.fatal_error is not None and "camera 97 not found" in engine.fatal_error.message
    assert errors[-1].fatal and all(not e.fatal for e in errors[:-1]) and len(errors) >= 3
    assert engine.stop()


def test_unreadable_video_is_a_fatal_error_not_a_hang(recognizer, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 5000)
    engine, results, errors = run_engine(recognizer, MediaPipeSource(bad))
    engine.start()
    assert engine.wait(timeout=10)
    assert engine.fatal_error is not None and "cannot read video" in engine.fatal_error.message
    assert len(errors) == 1 and errors[0].fatal and not results
    assert engine.stop()


def test_run_without_a_model_says_how_to_get_one(tmp_path, capsys):
    code = main(["run", "--source", str(tmp_path / "x.npz"), "--model", str(tmp_path / "nothing"),
                 "--labels", "a,b"])
    assert code == 2
    assert f"no model at {tmp_path / 'nothing'}; train one with smie train or pass --model" in capsys.readouterr().err


def test_run_prints_text_lines_for_a_recording(model_dir, recognizer, tmp_path, capsys):
    clip = waving_clip(2.0)
    path = save_recording(tmp_path / "wave.npz", clip.joints, clip.valid, np.arange(60) / 30.0, fps=30.0)
    assert main(["run", "--source", str(path), "--model", str(model_dir), "--labels", ",".join(LABELS),
                 "--fast", "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 4 and all(any(name in line for name in LABELS) for line in lines)


def test_run_jsonl_on_an_ntu_sample_in_a_subprocess(model_dir, recognizer, shared_data):
    sample = shared_data / "ntu_samples" / "S001C001P001R001A011.skeleton"
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(PROJECT_ROOT))
    completed = subprocess.run(
        [sys.executable, "-m", "core", "run", "--source", str(sample), "--model", str(model_dir),
         "--labels", ",".join(LABELS), "--jsonl", "--fast"],
        capture_output=True, text=True, timeout=300, env=env, cwd=PROJECT_ROOT)
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(results) >= 3
    for result in results:
        assert set(result) == set(LiveResult.__dataclass_fields__)
        assert result["labels"] == LABELS and result["labels_version"] >= 1
        assert result["state"] in ("ok", "unsure", "still", "no person")
        if result["state"] in SCORED_STATES:
            assert len(result["top"]) == 3 and set(result["scores"]) == set(LABELS)
            assert len(result["attention"]) == 50 and len(result["keyframes"]) == 15
    assert any(result["state"] in SCORED_STATES for result in results)
    assert [r["timestamp"] for r in results] == sorted(r["timestamp"] for r in results)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX-only")
def test_run_ends_cleanly_on_ctrl_c(model_dir, recognizer, tmp_path):
    import signal

    clip = waving_clip(30.0)
    path = save_recording(tmp_path / "long.npz", clip.joints, clip.valid, np.arange(900) / 30.0, fps=30.0)
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(PROJECT_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "run", "--source", str(path), "--model", str(model_dir),
         "--labels", ",".join(LABELS), "--jsonl", "--realtime"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT,
        # a background test run ignores SIGINT and children inherit it; Ctrl-C in a terminal is not ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = process.stdout.readline()  # paced: the first result comes 1.2 s into the recording
        assert json.loads(first)["labels"] == LABELS
        start = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
        stopped_in = time.monotonic() - start
    finally:
        process.kill()
    stderr = process.stderr.read()
    assert code == 130 and "Traceback" not in stderr, stderr[-2000:]
    assert stopped_in < 3.0


def test_bench_helpers():
    assert percentiles([1, 2, 3, 4, 100]) == {"p50": 3.0, "p95": 80.8}
    assert paced_drops([10] * 30, 1 / 30) == 0  # 10 ms per 33 ms frame keeps up
    assert paced_drops([50] * 30, 1 / 30) == 10  # 50 ms per frame: 20 of the 30 frames a second are kept
    assert paced_drops([], 0.2) == 0


def test_bench_pipeline_json_on_a_short_video(model_dir, recognizer, tmp_path, capsys):
    import cv2

    path = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    for i in range(45):
        writer.write(np.full((120, 160, 3), 40 + i, np.uint8))
    writer.release()
    assert main(["bench-pipeline", "--source", str(path), "--model", str(model_dir), "--labels", "7",
                 "--people", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 45 and report["labels"] == 7 and report["people"] == 1
    for key in ("pose_ms", "scorer_ms", "e2e_ms"):
        assert set(report[key]) == {"p50", "p95"}
    assert report["pose_ms"]["p50"] > 0 and report["fps"] > 0 and report["peak_rss_mb"] > 0


def test_an_unsure_result_prints_its_two_best_candidates():
    result = LiveResult(timestamp=1.5, state="unsure", top=[{"label": "wave", "prob": 0.41, "score": 1.0},
                                                             {"label": "clap", "prob": 0.38, "score": 0.9}])
    assert "unsure: wave 0.41 or clap 0.38?" in format_result(result)


def test_a_threshold_outside_zero_to_one_is_refused_by_name(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--unsure-below", "2"])
    assert "--unsure-below" in capsys.readouterr().err


def test_a_result_line_says_what_the_skeleton_showed():
    result = LiveResult(timestamp=2.0, state="ok", top=[{"label": "wave the right hand", "prob": 0.8, "score": 2.0}],
                        attributes={"limb": "arm", "side": "right", "direction": "left"})
    assert "[right hand, moving left]" in format_result(result)
    assert "[" not in format_result(LiveResult(timestamp=2.0, state="ok", top=result.top))
