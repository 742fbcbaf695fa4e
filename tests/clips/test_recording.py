"""Recording: resampling to a fixed rate, the Recorder, and `smie record` surviving Ctrl-C and kill -9."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from io_fixtures import moving_body

from core.cli import main
from core.clips.clip_folder import (
    STATUS_OK,
    STATUS_RECORDING,
    ClipFolder,
    open_clip_folder,
)
from core.clips.recording import (
    FrameResampler,
    Recorder,
    RecorderConfig,
    record_source,
    resample_sequence,
)
from core.live.sources.replay import ReplaySource, save_recording
from core.readers.ntu import read_ntu_skeleton

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALL_VALID = np.ones((1, 25), bool)


def test_resampling_interpolates_onto_a_fixed_grid():
    # 10 fps source, linear motion in x: the 30 fps output must lie on the same line, 3x as dense.
    joints = np.zeros((11, 1, 25, 3), np.float32)
    joints[..., 0] = np.arange(11, dtype=np.float32)[:, None, None]
    out_joints, out_valid = resample_sequence(joints, np.ones((11, 1, 25), bool), np.arange(11) / 10.0 + 5.0, 30.0)
    assert out_joints.shape == (31, 1, 25, 3) and out_valid.all()
    np.testing.assert_allclose(out_joints[:, 0, 0, 0], np.arange(31) / 3.0, atol=1e-5)


def test_resampling_irregular_frames_gives_floor_of_duration_times_fps_plus_one():
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.02, 0.06, 60))
    joints = np.repeat(moving_body(1)[None], 60, axis=0)
    out, _ = resample_sequence(joints, np.ones((60, 1, 25), bool), times, 30.0)
    assert len(out) == int(np.floor((times[-1] - times[0]) * 30.0 + 1e-9)) + 1


def test_resampling_never_blends_across_gaps_bodies_or_unobserved_joints():
    resampler = FrameResampler(30.0, max_blend_gap_s=0.25)
    a, b = np.zeros((1, 25, 3), np.float32), np.ones((1, 25, 3), np.float32)
    valid_b = ALL_VALID.copy()
    valid_b[0, 3] = False  # joint 3 unobserved in b: taken from the nearer frame, not blended
    assert len(resampler.push(0.0, a, ALL_VALID)) == 1
    (mid_joints, mid_valid), (late_joints, late_valid) = resampler.push(0.1, b, valid_b)[1:3]
    np.testing.assert_allclose(mid_joints[0, 0], 2 / 3, atol=1e-6)  # t = 2/30 of a 0.1 s step
    assert mid_joints[0, 3, 0] == 1.0 and not mid_valid[0, 3]  # nearer frame is b
    assert resampler.push(0.05, a, ALL_VALID) == []  # time going backwards: dropped
    held = resampler.push(1.1, a, ALL_VALID)  # a 1 s stall: frames are held, no invented motion
    assert len(held) == 30 and all(j.max() in (0.0, 1.0) for j, _ in held)
    two_bodies = resampler.push(1.2, np.zeros((2, 25, 3), np.float32), np.zeros((2, 25), bool))
    assert [j.shape[0] for j, _ in two_bodies] == [1, 2, 2]  # body count changed: nearest frame, never blended


def test_recorder_writes_a_valid_ntu_file_and_a_manifest_row(tmp_path):
    folder = ClipFolder(tmp_path)
    joints = moving_body(45)
    source = ReplaySource(tmp_path / "src.npz", realtime=False)
    save_recording(tmp_path / "src.npz", joints[:, None], np.ones((45, 1, 25), bool), np.arange(45) / 15.0, 15.0)
    with source, Recorder(folder, "wave the right hand", source="src.npz", config=RecorderConfig(30.0)) as recorder:
        record_source(source, recorder)
    entry = recorder.finished
    assert (entry.status, entry.frames, entry.fps, entry.duration_s) == (STATUS_OK, 89, 30.0, 2.967)
    assert folder.entries() == [entry]
    clip = read_ntu_skeleton(folder.clip_path(entry))  # strict: NTU-valid
    np.testing.assert_allclose(clip.joints[::2, 0], joints, atol=1e-6)  # every other 30 fps frame is a 15 fps one
    assert clip.valid.all()


def test_recorder_stops_after_the_requested_seconds_and_drops_empty_clips(tmp_path):
    folder = ClipFolder(tmp_path)
    source = ReplaySource(tmp_path / "src.npz", realtime=False)
    save_recording(tmp_path / "src.npz", moving_body(90)[:, None], np.ones((90, 1, 25), bool), np.arange(90) / 30, 30)
    with source, Recorder(folder, "wave") as recorder:
        assert record_source(source, recorder, seconds=1.0) == 30
    with Recorder(folder, "nothing") as empty:
        pass
    assert empty.finished is None and not empty.path.exists()
    assert [e.label for e in folder.entries()] == ["wave"]


def write_long_source(tmp_path, seconds=60.0) -> Path:
    T = int(seconds * 30)
    return save_recording(tmp_path / "long.npz", moving_body(T)[:, None], np.ones((T, 1, 25), bool),
                          np.arange(T) / 30.0, 30.0)


def start_recording(source: Path, out: Path) -> subprocess.Popen:
    """`smie record` in a child process, replaying `source` at its recorded pace."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.Popen([sys.executable, "-m", "core", "record", "--source", str(source), "--label", "wave",
                             "--out", str(out), "--countdown", "0"], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_ctrl_c_as_in_a_terminal)


def _ctrl_c_as_in_a_terminal():
    # A test run started in the background (a CI job) ignores SIGINT, and children inherit that: give the
    # child the default disposition so Python turns Ctrl-C into KeyboardInterrupt, as it does in a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_frames(out: Path, at_least: int, timeout: float = 60.0) -> int:
    """The frame count the recording's header declares, once it reaches `at_least`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(out.glob("*.skeleton"))
        if files:
            header = files[0].read_text().split("\n", 1)[0].strip()
            if header.isdigit() and int(header) >= at_least:
                return int(header)
        time.sleep(0.05)
    raise AssertionError(f"no recording with {at_least} frames in {out} after {timeout} s")


@pytest.mark.skipif(sys.platform == "win32", reason="signals to a child process are POSIX-only")
def test_kill_9_mid_recording_is_recovered_by_the_next_command(tmp_path, capsys):
    out = tmp_path / "clips"
    child = start_recording(write_long_source(tmp_path), out)
    try:
        flushed = wait_for_frames(out, 20)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)
    [row] = ClipFolder(out).entries()
    assert row.status == STATUS_RECORDING  # as the kill left it
    # The next command (another recording into the same folder) recovers it before recording.
    assert main(["record", "--source", str(write_long_source(tmp_path, 1.0)), "--label", "clap", "--out", str(out),
                 "--countdown", "0", "--fast"]) == 0
    assert f"recovered {row.file}" in capsys.readouterr().err
    rows = {e.label: e for e in ClipFolder(out).entries()}
    assert rows["wave"].status == rows["clap"].status == STATUS_OK
    assert rows["wave"].frames >= flushed and rows["clap"].frames == 30
    clip = read_ntu_skeleton(out / rows["wave"].file)  # a strict read: valid NTU file
    assert clip.num_frames == rows["wave"].frames
    np.testing.assert_allclose(clip.joints[:, 0], moving_body(1800)[:clip.num_frames], atol=1e-6)
    assert open_clip_folder(out)[1] == []


@pytest.mark.skipif(sys.platform == "win32", reason="signals to a child process are POSIX-only")
def test_ctrl_c_ends_the_clip_cleanly_and_keeps_it(tmp_path):
    out = tmp_path / "clips"
    child = start_recording(write_long_source(tmp_path), out)
    try:
        flushed = wait_for_frames(out, 15)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 0, stderr[-2000:]
    [row] = ClipFolder(out).entries()
    assert row.status == STATUS_OK and row.frames >= flushed and f"saved {out / row.file}" in stdout
    assert read_ntu_skeleton(out / row.file).num_frames == row.frames


def test_record_reports_bad_sources_and_arguments(tmp_path, capsys):
    assert main(["record", "--source", str(tmp_path / "missing.skeleton"), "--label", "wave",
                 "--out", str(tmp_path / "out"), "--countdown", "0"]) == 2
    assert "missing.skeleton" in capsys.readouterr().err
    assert main(["record", "--source", "x.npz", "--label", " ", "--out", str(tmp_path / "out")]) == 2
    assert "label name must be a non-empty string" in capsys.readouterr().err
