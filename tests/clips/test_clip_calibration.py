"""Calibration of clip-folder scores: whole clips and live windows, the live temperature, the reliability PNG."""

import json

import numpy as np
import pytest
from io_fixtures import moving_body

from core.cli import main
from core.clips.clip_eval import evaluate_clip_folder
from core.clips.clip_folder import ClipEntry, ClipFolder
from core.clips.window_eval import evaluate_windows
from core.commands.bench_pipeline import save_random_model
from core.live.clip_windows import live_windows, window_end_times
from core.live.recognizer import Recognizer
from core.live.scorer import SCORED_STATES
from core.live.sources.replay import save_recording
from core.metrics import calibration_metrics
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip

TEMPERATURE = 0.05  # the model's fitted temperature, written into its model.json
# file, label, frames, wave (metres; 0 is a still body); .skeleton files are 30 fps
CLIPS = [("wave_long.skeleton", "wave the right hand", 90, 0.3), ("wave_mid.skeleton", "wave the right hand", 75, 0.25),
         ("still.skeleton", "stand still", 72, 0.0), ("clap_short.skeleton", "clap", 45, 0.2)]
RECORDING = ("clap_rec.npz", "clap", 50, 20.0)  # file, label, frames, fps
# windows the stride implies: 2 s after the first frame, then every 0.2 s to the last frame; under 2 s, one.
# 89/30 s -> 5, 74/30 s -> 3, 71/30 s -> 2, 44/30 s -> 1, 49/20 s -> 3
EXPECTED_WINDOWS = 5 + 3 + 2 + 1 + 3


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = save_random_model(tmp_path_factory.mktemp("model"))
    meta_path = folder / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"]["temperature"] = TEMPERATURE
    meta_path.write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def recognizer(model_dir):
    return Recognizer.load(model_dir, "cpu")


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    folder = ClipFolder(tmp_path_factory.mktemp("calibration") / "clips")
    folder.path.mkdir()
    for i, (file, _, frames, wave) in enumerate(CLIPS):
        clip = Clip(joints=moving_body(frames, seed=i, wave=wave)[:, None], valid=np.ones((frames, 1, 25), bool))
        write_ntu_skeleton(folder.clip_path(file), clip)
    file, _, frames, fps = RECORDING
    save_recording(folder.clip_path(file), moving_body(frames, seed=7, wave=0.2)[:, None],
                   np.ones((frames, 1, 25), bool), np.arange(frames) / fps, fps)
    folder.upsert(*[ClipEntry(file, label) for file, label, *_ in CLIPS + [RECORDING]])
    return folder.path


def run_json(capsys, *argv) -> tuple[int, dict, str]:
    code = main(["eval-clips", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def assert_figures_equal(reported: dict, scores, truth, temperature):
    expected = calibration_metrics(scores, truth, temperature)
    for key, value in expected.items():
        if np.isnan(value):
            assert reported[key] is None, key
        else:
            assert reported[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    assert reported["temperature"] == pytest.approx(temperature) and reported["n"] == len(truth)


def test_clip_calibration_is_taken_at_the_live_temperature(clip_dir, recognizer):
    report = evaluate_clip_folder(clip_dir, recognizer)
    assert report.n == 5 and report.temperature == pytest.approx(TEMPERATURE) == recognizer.temperature
    assert_figures_equal(report.to_dict()["calibration"], report.scores, report.truth, TEMPERATURE)


def test_window_end_times_follow_the_stride():
    ends = window_end_times(np.arange(31) / 10.0, 2.0, 0.2)  # 3 s of frames
    assert ends == pytest.approx([2.0, 2.2, 2.4, 2.6, 2.8, 3.0])
    assert window_end_times(np.arange(15) / 10.0, 2.0, 0.2) == pytest.approx([1.4])  # a short clip: its end


def test_live_windows_are_the_ring_buffers_windows(recognizer):
    frames, fps = 90, 30.0
    joints = moving_body(frames, wave=0.3)[:, None]
    windows = live_windows(joints, np.ones((frames, 1, 25), bool), np.arange(frames) / fps, 2.0, 0.2, 50)
    assert [round(w.newest_timestamp, 4) for w in windows] == [2.0, 2.2, 2.4, 2.6, 2.8]
    assert all(w.joints.shape == (50, 2, 25, 3) and w.coverage == 1.0 for w in windows)
    assert windows[0].times[0] == pytest.approx(0.0) and windows[-1].times[0] == pytest.approx(0.8)


def test_windows_of_every_clip_are_scored_by_the_live_scorer(clip_dir, recognizer):
    report = evaluate_clip_folder(clip_dir, recognizer)
    windows = evaluate_windows(clip_dir, report, recognizer)
    assert windows.cut == EXPECTED_WINDOWS and windows.skipped == []
    assert windows.states["still"] == 2 and "still.skeleton" not in windows.files  # not scored, as live
    scored = sum(windows.states.get(state, 0) for state in SCORED_STATES)
    assert windows.n == scored == windows.cut - sum(c for s, c in windows.states.items() if s not in SCORED_STATES)
    assert windows.labels == report.labels and windows.scores.shape == (windows.n, len(report.labels))
    summary = windows.to_dict()
    assert summary["windows_cut"] == EXPECTED_WINDOWS and summary["window_seconds"] == 2.0
    assert_figures_equal(summary, windows.scores, windows.truth, TEMPERATURE)


def test_eval_clips_json_and_text_report_calibration_and_draw_the_reliability_png(clip_dir, model_dir, recognizer,
                                                                                capsys, tmp_path):
    png = tmp_path / "reliability.png"
    code, result, _ = run_json(capsys, clip_dir, "--model", model_dir, "--device", "cpu", "--reliability", png)
    assert code == 0 and result["n"] == 5
    report = evaluate_clip_folder(clip_dir, recognizer)
    assert_figures_equal(result["calibration"], report.scores, report.truth, TEMPERATURE)
    windows = result["calibration_windows"]
    assert windows["windows_cut"] == EXPECTED_WINDOWS and windows["n"] == sum(windows["states"].get(s, 0) for s in SCORED_STATES)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["eval-clips", str(clip_dir), "--model", str(model_dir), "--device", "cpu", "--no-windows"]) == 0
    text = capsys.readouterr().out
    assert "calibration: ECE" in text and "AUROC" in text and f"(temperature {TEMPERATURE:g})" in text
    assert "live windows: not scored (--no-windows)" in text


def test_no_windows_and_the_clip_limit_skip_the_window_calibration(clip_dir, model_dir, capsys, monkeypatch):
    code, result, _ = run_json(capsys, clip_dir, "--model", model_dir, "--device", "cpu", "--no-windows")
    assert code == 0 and result["calibration_windows"] is None and result["calibration"]["n"] == 5
    monkeypatch.setattr("core.commands.eval_clips.WINDOW_CLIP_LIMIT", 4)
    assert main(["eval-clips", str(clip_dir), "--model", str(model_dir), "--device", "cpu"]) == 0
    assert "live windows: not scored (5 clips, more than 4)" in capsys.readouterr().out


@pytest.mark.parametrize("name, why", [("nowhere/reliability.png", "does not exist"),
                                       ("reliability.txt", "file extension")])
def test_a_bad_reliability_path_is_named_and_exits_2_after_the_results(clip_dir, model_dir, capsys, tmp_path,
                                                                       name, why):
    path = tmp_path / name
    code, result, err = run_json(capsys, clip_dir, "--model", model_dir, "--device", "cpu", "--no-windows",
                                 "--reliability", path)
    assert code == 2 and result["n"] == 5 and "calibration" in result  # the printed results are all there
    assert f"--reliability {path}" in err and why in err and not path.exists()
