"""Skeleton domain-gap statistics: bone lengths, noise per axis, presence; `smie data domain-gap`."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from io_fixtures import STANDING_POSE

from core.benchmark.domain_gap import (
    SkeletonSequence,
    bone_lengths,
    noise_residuals,
    source_statistics,
)
from core.live.sources.replay import save_recording
from core.readers.datasets import dataset_names, joint_source
from core.skeleton.joint_maps import SOURCE_JOINT_NAMES
from core.skeleton.layouts import NTU25

J = NTU25.index


def swaying_body(frames: int, fps: float = 30.0, noise_mm=(0.0, 0.0, 0.0), seed: int = 0) -> SkeletonSequence:
    """A rigid standing body swaying slowly sideways (0.5 Hz, 10 cm), with white noise of the given deviations."""
    t = np.arange(frames) / fps
    joints = np.repeat(STANDING_POSE[None], frames, axis=0).astype(np.float64)
    joints[..., 0] += 0.1 * np.sin(2 * np.pi * 0.5 * t)[:, None]
    joints += np.random.default_rng(seed).normal(size=joints.shape) * np.asarray(noise_mm) / 1000
    return SkeletonSequence(joints.astype(np.float32), np.ones((frames, 25), bool), fps)


def test_rigid_body_bone_lengths_are_exact_and_steady():
    lengths = bone_lengths(swaying_body(60))
    expected = np.linalg.norm(STANDING_POSE[J["ShoulderLeft"]] - STANDING_POSE[J["ShoulderRight"]])
    np.testing.assert_allclose(lengths["shoulder width"], expected, rtol=1e-5)
    assert len(lengths["upper arm"]) == 120  # both sides pooled
    stats = source_statistics([swaying_body(60)])
    assert stats["bone_length_variation"]["forearm"] == pytest.approx(0.0, abs=1e-5)
    assert all(value < 0.05 for value in stats["noise_mm"].values())  # smooth motion leaves no residual


def test_noise_is_recovered_per_axis_despite_motion():
    stats = source_statistics([swaying_body(600, noise_mm=(2.0, 4.0, 12.0), seed=seed) for seed in range(3)])
    assert stats["noise_mm"]["x"] == pytest.approx(2.0, rel=0.1)
    assert stats["noise_mm"]["y"] == pytest.approx(4.0, rel=0.1)
    assert stats["noise_mm"]["z"] == pytest.approx(12.0, rel=0.1)


def test_invalid_frames_count_as_absent_and_break_noise_windows():
    body = swaying_body(40)
    body.valid[::2, J["KneeLeft"]] = False
    body.valid[20, J["Head"]] = False
    stats = source_statistics([body], synthesised_joints=11)
    assert stats["presence"]["legs"] == 0.5 and stats["presence"]["head"] == pytest.approx(39 / 40)
    assert stats["synthesised_joints"] == 11
    assert len(noise_residuals(body, ["Head"])) == 36 - 5  # 5-frame windows that include frame 20 are left out


def test_noise_is_measured_at_the_native_rate_and_not_below_25_fps():
    stats = source_statistics([swaying_body(300, fps=29.97, noise_mm=(3.0, 3.0, 3.0))])
    assert stats["noise_mm"]["z"] == pytest.approx(3.0, rel=0.15) and stats["fps_median"] == 29.97
    slow = source_statistics([swaying_body(300, fps=15.0, noise_mm=(3.0, 3.0, 3.0))])
    assert slow["noise_mm"] == {"x": None, "y": None, "z": None}  # a 5-frame fit spans too much motion there
    assert slow["bone_length_m"]["forearm"] is not None and slow["frames"] == 300


def test_no_tracks_is_an_error():
    with pytest.raises(ValueError, match="no skeleton sequences"):
        source_statistics([])


def _smie(args, data_root):
    env = dict(os.environ, SMIE_DATA=str(data_root), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "core", "data", "domain-gap", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_command_measures_a_folder_of_recordings(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    for seed in range(2):
        body = swaying_body(90, noise_mm=(1.0, 1.0, 8.0), seed=seed)
        save_recording(folder / f"take{seed}.npz", body.joints[:, None], body.valid[:, None],
                       np.arange(90) / 30.0, fps=30.0)
    (folder / "notes.txt").write_text("not a clip")
    result = _smie(["--clips", str(folder), "--json"], tmp_path / "no-data-here")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)[str(folder)]
    assert stats["tracks"] == 2 and stats["frames"] == 180 and stats["synthesised_joints"] is None
    assert stats["noise_mm"]["z"] == pytest.approx(8.0, rel=0.25) and stats["noise_mm"]["x"] < 2.0
    table = _smie(["--clips", str(folder)], tmp_path / "no-data-here")
    assert table.returncode == 0 and "noise x/y/z mm" in table.stdout and str(folder)[-32:] in table.stdout


def test_command_refuses_bad_input_by_name(tmp_path):
    missing = _smie(["--clips", str(tmp_path / "nowhere")], tmp_path)
    assert missing.returncode == 2 and "not a folder" in missing.stderr and "nowhere" in missing.stderr
    nothing = _smie([], tmp_path)
    assert nothing.returncode == 2 and "no datasets under" in nothing.stderr
    unknown = _smie(["--dataset", "kinetics"], tmp_path)
    assert unknown.returncode == 2 and "unknown dataset(s) kinetics" in unknown.stderr
    (tmp_path / "empty").mkdir()
    empty = _smie(["--clips", str(tmp_path / "empty")], tmp_path)
    assert empty.returncode == 2 and "no usable clip files" in empty.stderr


def test_kinect_datasets_match_where_the_webcam_map_was_fitted(shared_data):
    """GTU (Kinect v2) and UTD-MHAD (Kinect v1): hip width, head length and its steadiness in the range the
    MediaPipe joint map now gives (webcam_arms: 0.150 m, 0.224 m, 0.011)."""
    result = _smie(["--dataset", "gtu", "--dataset", "utd_mhad", "--json"], shared_data)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for name in ("gtu", "utd_mhad"):
        assert 0.13 < report[name]["bone_length_m"]["hip width"] < 0.17
        assert 0.17 < report[name]["bone_length_m"]["neck and head"] < 0.24
        assert report[name]["bone_length_variation"]["neck and head"] < 0.05
    assert report["gtu"]["synthesised_joints"] == 0 and report["utd_mhad"]["synthesised_joints"] == 6


def test_every_dataset_names_the_joint_layout_of_its_files():
    assert {joint_source(name) for name in dataset_names()} <= set(SOURCE_JOINT_NAMES)
