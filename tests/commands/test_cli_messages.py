"""What `smie` says and how it exits, run as a user runs it (a subprocess): absent camera, damaged videos, a quiet
terminal by default, -v/-vv, one form of label options, eval-clips checks before loading anything."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from io_fixtures import cut_bytes, write_video

from core.commands import reason_without_path
from core.commands.bench_pipeline import save_random_model
from core.live.recognizer import Recognizer
from core.live.sources.replay import save_recording

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LABELS = "wave hand,clap,jump"
THIRD_PARTY_CHATTER = re.compile(r"^[IW]\d{4} |XNNPACK|absl::InitializeLog|Loading weights|VIDEOIO|\[ WARN:|"
                                 r"\[ERROR:|@ 0x", re.MULTILINE)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def text_cache(model_dir):
    """Embeds the labels the subprocesses use once, into the on-disk cache they read."""
    recognizer = Recognizer.load(model_dir, "cpu")
    for labels in (LABELS, "clap hands", "Clap  Hands,clap hands", "wave"):
        recognizer.set_labels(labels.split(","))
    return recognizer


def smie(*args, timeout=120) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(PROJECT_ROOT))
    for name in ("OPENCV_LOG_LEVEL", "GLOG_minloglevel", "TRANSFORMERS_VERBOSITY", "HF_HUB_DISABLE_PROGRESS_BARS"):
        env.pop(name, None)  # the command must quieten these itself
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=PROJECT_ROOT)


def test_absent_camera_ends_a_headless_run_within_ten_seconds(model_dir, text_cache):
    start = time.monotonic()
    done = smie("run", "--source", 97, "--model", model_dir, "--labels", LABELS)
    elapsed = time.monotonic() - start
    assert done.returncode == 1, done.stderr
    assert "smie run: camera 97 not found" in done.stderr
    assert elapsed < 10, f"gave up after {elapsed:.1f} s"
    assert done.stderr.count("camera 97") == 1, f"said once, not per retry:\n{done.stderr}"
    assert not THIRD_PARTY_CHATTER.search(done.stderr), done.stderr


def test_truncated_avi_is_named_damaged_with_its_readable_frames(model_dir, text_cache, tmp_path):
    cut = cut_bytes(write_video(tmp_path / "clip.avi"))
    done = smie("run", "--source", cut, "--model", model_dir, "--labels", LABELS, "--fast")
    assert done.returncode == 1, done.stderr
    assert re.search(r"cut_clip.avi is damaged or truncated: only \d+ of its 60 frames could be read", done.stderr), \
        done.stderr
    assert done.stderr.count("cut_clip.avi") == 1, f"one message, the path once:\n{done.stderr}"
    assert not THIRD_PARTY_CHATTER.search(done.stderr), done.stderr


def test_truncated_mp4_is_named_damaged_not_an_unsupported_codec(model_dir, text_cache, tmp_path):
    cut = cut_bytes(write_video(tmp_path / "clip.mp4", fourcc="mp4v"))
    done = smie("run", "--source", cut, "--model", model_dir, "--labels", LABELS, "--fast")
    assert done.returncode == 1, done.stderr
    assert "cut_clip.mp4 is damaged or truncated" in done.stderr and "unsupported codec" not in done.stderr
    assert done.stderr.count("cut_clip.mp4") == 1, done.stderr


def test_terminal_is_quiet_by_default_and_says_more_with_v_and_vv(model_dir, text_cache, tmp_path):
    video = write_video(tmp_path / "grey.avi", frames=45)
    quiet = smie("run", "--source", video, "--model", model_dir, "--labels", LABELS, "--fast")
    assert quiet.returncode == 0 and quiet.stdout.strip(), quiet.stderr
    assert quiet.stderr == "", f"nothing but results by default:\n{quiet.stderr}"
    info = smie("-v", "run", "--source", video, "--model", model_dir, "--labels", LABELS, "--fast")
    assert "INFO core.commands.run: running 3 labels" in info.stderr and "DEBUG" not in info.stderr
    assert not THIRD_PARTY_CHATTER.search(info.stderr), info.stderr
    debug = smie("run", "-vv", "--source", video, "--model", model_dir, "--labels", LABELS, "--fast")
    assert "INFO core.commands.run" in debug.stderr, debug.stderr[-2000:]
    assert THIRD_PARTY_CHATTER.search(debug.stderr), "-vv lets MediaPipe's own output through"


def test_duplicate_labels_are_reported_sensibly(model_dir, text_cache, tmp_path):
    video = write_video(tmp_path / "grey.avi", frames=45)
    done = smie("-v", "run", "--source", video, "--model", model_dir, "--labels",
                "clap hands,Clap  Hands,clap hands", "--fast")
    assert done.returncode == 0, done.stderr
    assert "label 'clap hands' is listed twice; kept once" in done.stderr, done.stderr
    assert "label 'Clap Hands' is another spelling of 'clap hands'; kept the first" in done.stderr
    assert "into 'clap hands'" not in done.stderr


def test_label_options_take_one_form_and_name_the_mistake(tmp_path):
    spaced = smie("run", "--source", 0, "--labels", "wave", "clap", "jump")
    assert spaced.returncode == 2
    assert "unrecognized arguments: clap jump" in spaced.stderr and '--labels "A,B,C"' in spaced.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert "holds no label" in smie("run", "--source", tmp_path / "x.npz", "--labels-file", empty).stderr
    unknown = smie("run", "--source", tmp_path / "x.npz", "--preset", "nope")
    assert unknown.returncode == 2 and "unknown label preset 'nope'" in unknown.stderr and "ntu60" in unknown.stderr
    both = smie("eval-clips", tmp_path, "--labels", "a,b", "--preset", "ntu60")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_eval_clips_checks_the_folder_before_loading_the_model(tmp_path):
    start = time.monotonic()
    done = smie("-v", "eval-clips", tmp_path / "missing", "--model", tmp_path / "no-model")
    assert done.returncode == 2 and f"clip folder not found: {tmp_path / 'missing'}" in done.stderr
    assert "no model" not in done.stderr and "loaded" not in done.stderr, done.stderr
    assert time.monotonic() - start < 5


def test_eval_clips_names_a_damaged_video_once(model_dir, text_cache, tmp_path):
    cut = cut_bytes(write_video(tmp_path / "clip.avi"))
    (tmp_path / "clip.avi").unlink()
    (tmp_path / "labels.csv").write_text(f"file,label\n{cut.name},clap\n")
    done = smie("eval-clips", tmp_path, "--model", model_dir, "--labels", LABELS)
    assert done.returncode == 1, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("skipped"))
    assert re.fullmatch(r"\s*skipped cut_clip.avi: video is damaged or truncated: only \d+ of its 60 frames could "
                        r"be read", line), line
    assert not THIRD_PARTY_CHATTER.search(done.stderr), done.stderr


def test_skip_reasons_drop_the_path_the_line_already_names():
    assert reason_without_path("video /clips/a.avi is damaged or truncated: only 3 of its 60 frames could be read",
                               "a.avi") == "video is damaged or truncated: only 3 of its 60 frames could be read"
    assert reason_without_path("cannot read video /x/a.mp4: not a video", "a.mp4") == "cannot read video: not a video"
    assert reason_without_path("/x/b.skeleton:12: bad field", "b.skeleton") == "/x/b.skeleton:12: bad field"


def test_eval_clips_prints_the_warnings_of_its_result(model_dir, text_cache, tmp_path):
    T = 60
    joints = np.repeat(np.random.default_rng(0).normal(0, 0.2, (1, 1, 25, 3)).astype(np.float32), T, axis=0)
    joints[..., 2] += 3.0
    joints[:, 0, 4, 0], joints[:, 0, 8, 0] = -0.2, 0.2  # shoulders apart, so the facing rotation is defined
    save_recording(tmp_path / "one.npz", joints, np.ones((T, 1, 25), bool), np.arange(T) / 30.0, fps=30.0)
    (tmp_path / "labels.csv").write_text("file,label\none.npz,clap\n")
    done = smie("eval-clips", tmp_path, "--model", model_dir, "--labels", LABELS)
    assert done.returncode == 0, done.stderr
    assert "  warning: top-5 is trivial with 5 or fewer candidate labels (here 3)" in done.stdout, done.stdout
    assert "(top-5 of 5 or fewer labels is always 100%)" not in done.stdout, "said once"
