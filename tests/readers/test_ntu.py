"""NTU .skeleton reader and writer: generated files, body selection, truncated recordings, the real samples."""

import numpy as np
import pytest
from io_fixtures import moving_body, write_ntu_text

from core.errors import SkeletonFileError
from core.readers.ntu import read_ntu_skeleton
from core.readers.ntu_writer import NtuSkeletonWriter, write_ntu_skeleton
from core.skeleton.clip import Clip
from core.skeleton.layouts import NTU25

NAME = "S002C003P007R001A024.skeleton"


def test_reads_a_generated_file_with_metadata(tmp_path):
    body = moving_body(6)
    path = tmp_path / NAME
    write_ntu_text(path, [[(11, frame)] for frame in body], newline="\r\n")
    clip = read_ntu_skeleton(path, class_names=[f"class {i}" for i in range(60)])
    assert clip.joints.shape == (6, 1, 25, 3) and clip.joints.dtype == np.float32
    np.testing.assert_allclose(clip.joints[:, 0], body, atol=1e-6)
    assert clip.valid.all()  # trackingState 1 (inferred, the head here) still counts as observed
    assert clip.extras["tracking_state"][0, 0, 3] == 1
    assert (clip.label, clip.label_name, clip.subject, clip.view, clip.fps) == (23, "class 23", 7, "C003", 30.0)
    assert clip.extras["body_ids"] == [11]


def test_keeps_the_two_most_active_bodies_and_empty_frames(tmp_path):
    still = moving_body(8, seed=1, offset=(1.0, 0, 0), wave=0.0)
    waving = moving_body(8, seed=2, offset=(-1.0, 0, 0), wave=0.3)
    walking = moving_body(8, seed=3, wave=0.05) + np.linspace(0, 1, 8)[:, None, None].astype(np.float32)
    frames = [[(1, still[t]), (2, waving[t]), (3, walking[t])] for t in range(8)]
    frames[3] = []  # no body in frame 4
    frames[5] = [(2, waving[5])]
    path = tmp_path / "bodies.skeleton"
    write_ntu_text(path, frames)
    clip = read_ntu_skeleton(path)
    assert clip.extras["body_ids"] == [3, 2]  # most active first; the still body is dropped
    assert clip.num_bodies == 2 and clip.label is None
    assert not clip.valid[3].any() and (clip.joints[3] == 0).all()
    assert clip.valid[5, 1].all() and not clip.valid[5, 0].any()
    np.testing.assert_allclose(clip.joints[0, 1], waving[0], atol=1e-6)


def test_tracking_state_zero_is_invalid(tmp_path):
    path = tmp_path / "x.skeleton"
    write_ntu_text(path, [[(5, frame)] for frame in moving_body(3)])
    lines = path.read_text().splitlines()
    lines[5] = lines[5].rsplit(" ", 1)[0] + " 0"  # frame 1, joint 2 (SpineMid)
    path.write_text("\n".join(lines) + "\n")
    clip = read_ntu_skeleton(path)
    assert not clip.valid[0, 0, 1] and clip.valid[0, 0, 0] and clip.valid[1:].all()


def _two_body_clip(num_frames=7) -> Clip:
    joints = np.stack([moving_body(num_frames, seed=4), moving_body(num_frames, seed=5, offset=(0.8, 0, 0.3),
                                                                    wave=0.1)], axis=1)
    valid = np.ones(joints.shape[:3], bool)
    valid[2, 1] = False
    joints[2, 1] = 0  # second body absent in frame 3
    valid[4, 0, 7] = False  # one untracked joint, position kept
    return Clip(joints=joints, valid=valid)


def test_writer_round_trip(tmp_path):
    clip = _two_body_clip()
    write_ntu_skeleton(tmp_path / "w.skeleton", clip)
    back = read_ntu_skeleton(tmp_path / "w.skeleton")
    np.testing.assert_array_equal(back.joints, clip.joints)  # 9 significant digits: float32 is exact
    np.testing.assert_array_equal(back.valid, clip.valid)


def test_incremental_writer_survives_a_crash(tmp_path):
    clip = _two_body_clip(5)
    path = tmp_path / "recording.skeleton"
    writer = NtuSkeletonWriter(path)
    for t in range(5):
        writer.append(clip.joints[t], clip.valid[t])
    assert read_ntu_skeleton(path).num_frames == 5  # readable while still open: the count is kept current
    # Simulate a kill mid-frame: a half-written sixth frame after the flushed ones.
    with open(path, "a") as handle:
        handle.write("2\n1 0 0 0 0 0 0 0 0 2\n25\n0.1 0.2")
    with pytest.raises(SkeletonFileError, match="after the 5 declared frames"):
        read_ntu_skeleton(path)
    recovered = read_ntu_skeleton(path, allow_truncated=True)
    np.testing.assert_array_equal(recovered.joints, clip.joints)
    np.testing.assert_array_equal(recovered.valid, clip.valid)


def test_unfinished_header_needs_allow_truncated(tmp_path):
    path = tmp_path / "killed.skeleton"
    write_ntu_text(path, [[(1, frame)] for frame in moving_body(4)])
    lines = path.read_text().splitlines()
    lines[0] = "0"
    path.write_text("\n".join(lines[:-3]) + "\n")  # header never fixed, last frame cut
    with pytest.raises(SkeletonFileError, match="allow_truncated"):
        read_ntu_skeleton(path)
    assert read_ntu_skeleton(path, allow_truncated=True).num_frames == 3


def test_real_samples_read_and_round_trip(shared_data, tmp_path):
    names = (shared_data / "text" / "label_map_ntu120.txt").read_text().splitlines()
    files = sorted((shared_data / "ntu_samples").glob("*.skeleton"))
    assert len(files) == 12
    for path in files:
        clip = read_ntu_skeleton(path, class_names=names)
        declared = int(path.read_text().split()[0])
        assert clip.num_frames == declared and clip.label == int(path.stem[-3:]) - 1
        assert clip.label_name == names[clip.label]
        write_ntu_skeleton(tmp_path / path.name, clip)
        back = read_ntu_skeleton(tmp_path / path.name, class_names=names)
        np.testing.assert_array_equal(back.joints, clip.joints)
        np.testing.assert_array_equal(back.valid, clip.valid)
        np.testing.assert_array_equal(back.extras["color_xy"], clip.extras["color_xy"])
        assert back.extras["body_ids"] == clip.extras["body_ids"] and back.label == clip.label
    two_body = {p.stem[-4:] for p in files if read_ntu_skeleton(p).num_bodies == 2}
    assert two_body == {"A050", "A058", "A054", "A055", "A056", "A057"}


def test_real_samples_axes(shared_data):
    """NTU camera axes: X to the sensor's left, Y up, Z away, a right-handed frame with anatomical labels.

    Measured: colorX and depthX rise with camera X (correlation +0.94 to +0.999 over the 12 files), i.e. the Kinect
    v2 colour and depth images are mirrored (their x also grows to the sensor's left), not the opposite sign one
    would expect from an unmirrored camera. What pins X down is the body: facing the sensor the right shoulder has
    the larger X, and (right x up) . foot direction < 0, which holds only in a right-handed frame.
    """
    for path in sorted((shared_data / "ntu_samples").glob("*.skeleton")):
        clip = read_ntu_skeleton(path)
        ok = clip.valid
        x, color_x = clip.joints[..., 0][ok], clip.extras["color_xy"][..., 0][ok]
        assert np.corrcoef(x, color_x)[0, 1] > 0.9, path.name
        first = clip.joints[:, 0][clip.valid[:, 0].all(axis=1)]
        j = NTU25.index
        right = first[:, j["ShoulderRight"]] - first[:, j["ShoulderLeft"]]
        up = first[:, j["Head"]] - first[:, j["SpineBase"]]
        feet = first[:, j["FootLeft"]] - first[:, j["AnkleLeft"]] + first[:, j["FootRight"]] - first[:, j["AnkleRight"]]
        assert (np.einsum("fc,fc->f", np.cross(right, up), feet) < 0).mean() > 0.85, path.name
        facing = feet[:, 2] < 0  # toes toward the sensor
        if facing.mean() > 0.5:
            assert np.median(right[facing, 0]) > 0, path.name
        assert (up[:, 1] > 0).all() and (first[..., 2] > 0).all()
