"""Kinect v1 readers on generated files: UTD-MHAD .mat, MSR Action3D .txt, UTKinect sequences and labels."""

import numpy as np
import pytest
from io_fixtures import moving_body, write_msr_text, write_utd_mat, write_utkinect_text

from core.errors import SkeletonFileError
from core.readers.kinect_v1 import (
    read_msr_action3d,
    read_utd_mhad,
    read_utkinect,
    read_utkinect_labels,
    read_utkinect_sequence,
)
from core.skeleton.joint_maps import real_joint_mask

REAL = real_joint_mask("kinect_v1_sdk20")


def test_utd_mhad(tmp_path):
    body = moving_body(9)
    path = tmp_path / "a12_s3_t2_skeleton.mat"
    write_utd_mat(path, body)
    clip = read_utd_mhad(path, class_names=[f"c{i}" for i in range(27)])
    assert clip.joints.shape == (9, 1, 25, 3) and clip.valid.all()
    np.testing.assert_allclose(clip.joints[:, 0][:, REAL], body[:, REAL], atol=1e-6)
    assert (clip.label, clip.label_name, clip.subject, clip.extras["trial"], clip.fps) == (11, "c11", 3, 2, 30.0)
    assert clip.extras["source_layout"] == "utd_mhad20"


def test_utd_mhad_bad_content(tmp_path):
    import scipy.io

    single = tmp_path / "a1_s1_t1_skeleton.mat"
    scipy.io.savemat(single, {"d_skel": np.ones((20, 3))})  # one frame: MATLAB drops the trailing 1
    assert read_utd_mhad(single).num_frames == 1
    for name, content, match in (("wrong.mat", {"skel": np.ones((20, 3, 4))}, "no variable d_skel"),
                                 ("joints.mat", {"d_skel": np.ones((18, 3, 4))}, "20 x 3 x T"),
                                 ("nan.mat", {"d_skel": np.full((20, 3, 4), np.nan)}, "non-finite"),
                                 ("zeros.mat", {"d_skel": np.zeros((20, 3, 4))}, "all 4 frames are empty")):
        scipy.io.savemat(tmp_path / name, content)
        with pytest.raises(SkeletonFileError, match=match) as error:
            read_utd_mhad(tmp_path / name)
        assert error.value.path == tmp_path / name
    (tmp_path / "text.mat").write_text("not a mat file")
    with pytest.raises(SkeletonFileError, match="cannot read .mat"):
        read_utd_mhad(tmp_path / "text.mat")


def test_msr_action3d_empty_frames_and_bad_files(tmp_path):
    body = moving_body(6)
    path = tmp_path / "a07_s04_e01_skeleton3D.txt"
    write_msr_text(path, body, empty_frames=(0, 4))
    clip = read_msr_action3d(path)
    assert (clip.label, clip.subject, clip.extras["execution"], clip.fps) == (6, 4, 1, 15.0)
    assert clip.num_frames == 6 and not clip.valid[[0, 4]].any() and clip.valid[[1, 2, 3, 5]].all()
    assert (clip.joints[0] == 0).all() and clip.extras["confidence"].shape == (6, 20)
    np.testing.assert_allclose(clip.joints[1, 0][REAL], body[1][REAL], atol=1e-5)
    write_msr_text(tmp_path / "zeros.txt", body, empty_frames=range(6))
    with pytest.raises(SkeletonFileError, match="all 6 frames are empty"):
        read_msr_action3d(tmp_path / "zeros.txt")
    lines = path.read_text().splitlines()
    (tmp_path / "cut.txt").write_text("\n".join(lines[:-7]) + "\n")
    with pytest.raises(SkeletonFileError, match="whole number of 20-joint frames"):
        read_msr_action3d(tmp_path / "cut.txt")
    lines[25] = "0.1 0.2 abc 1.0"
    (tmp_path / "text.txt").write_text("\n".join(lines))
    with pytest.raises(SkeletonFileError, match="not a number") as error:
        read_msr_action3d(tmp_path / "text.txt")
    assert error.value.line == 26


LABELS = """s01_e01
walk: 10 20
sitDown: 24 40
carry: NaN NaN
throw: 100 120
"""


def test_utkinect_segments(tmp_path):
    labels = tmp_path / "actionLabel.txt"
    labels.write_text(LABELS)
    segments = read_utkinect_labels(labels)["s01_e01"]
    assert [(s.action, s.start, s.end) for s in segments] == [
        ("walk", 10, 20), ("sitDown", 24, 40), ("carry", None, None), ("throw", 100, 120)]
    numbers = [10, 12, 12, 14, 18, 20, 26, 30, 36, 40, 60]  # frame 12 recorded twice
    body = moving_body(len(numbers))
    path = tmp_path / "joints_s01_e01.txt"
    write_utkinect_text(path, numbers, body)
    names = ["walk", "sitDown", "standUp", "pickUp", "carry", "throw"]
    clips, skipped = read_utkinect(path, segments, names)
    assert [c.label_name for c in clips] == ["walk", "sitDown"] and [c.label for c in clips] == [0, 1]
    assert [s for s, _ in skipped] == [f"{path}#carry", f"{path}#throw"]
    assert "NaN" in skipped[0][1] and "no recorded frame" in skipped[1][1]
    walk = clips[0]
    assert list(walk.extras["frame_numbers"]) == [10, 12, 14, 18, 20]  # the duplicate kept once
    np.testing.assert_allclose(walk.joints[1, 0][REAL], body[1][REAL], atol=1e-5)  # the first of the two 12s
    assert walk.fps == pytest.approx(4 / (10 / 30)) and walk.subject == 1
    assert walk.source.endswith("joints_s01_e01.txt#walk")


def test_utkinect_bad_label_lines(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("walk: 1 2\n")
    with pytest.raises(SkeletonFileError, match="before any sequence"):
        read_utkinect_labels(path)
    path.write_text("s01_e01\nwalk: 1 two\n")
    with pytest.raises(SkeletonFileError, match="start end") as error:
        read_utkinect_labels(path)
    assert error.value.line == 2
    path.write_text("s01_e01\nwalk: 9 2\n")
    with pytest.raises(SkeletonFileError, match="bad frame range"):
        read_utkinect_labels(path)


@pytest.mark.parametrize("frame", ["2.5", "-3", "18446744073709551616"])
def test_utkinect_frame_numbers_that_are_not_64_bit_counts_are_named(tmp_path, frame):
    path = tmp_path / "joints_s01_e01.txt"
    write_utkinect_text(path, [10, 12, 14], moving_body(3))
    lines = path.read_text().splitlines()
    lines[1] = frame + lines[1][len("12"):]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SkeletonFileError, match="is not a non-negative 64-bit integer") as error:
        read_utkinect_sequence(path)
    assert error.value.line == 2 and error.value.field == "frame_number"
