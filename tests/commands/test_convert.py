"""`smie convert`: datasets and labelled videos -> clip folders of valid NTU files with readable labels."""

import numpy as np
import pytest
from io_fixtures import moving_body, write_msr_text, write_ntu_text

from core.cli import main
from core.clips.clip_folder import STATUS_OK, ClipFolder
from core.commands.convert import safe_file_name
from core.readers.kinect_v1 import read_msr_action3d
from core.readers.ntu import read_ntu_skeleton


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """A generated data root: 2 NTU samples with the NTU-120 name list, 2 MSR Action3D files (15 fps)."""
    root = tmp_path / "data"
    (root / "ntu_samples").mkdir(parents=True)
    (root / "text").mkdir()
    (root / "text" / "label_map_ntu120.txt").write_text("".join(f"ntu action {i}\n" for i in range(1, 121))
                                                        .replace("ntu action 11\n", "reading\n"))
    write_ntu_text(root / "ntu_samples" / "S001C001P001R001A011.skeleton", [[(7, j)] for j in moving_body(40)])
    write_ntu_text(root / "ntu_samples" / "S001C001P002R001A011.skeleton", [[(3, j)] for j in moving_body(35, 1)])
    (root / "msr_action3d").mkdir()
    (root / "msr_action3d" / "classes.txt").write_text("highArmWave\nhorizontal arm wave\n")
    write_msr_text(root / "msr_action3d" / "a01_s01_e01_skeleton3D.txt", moving_body(20, 2))
    write_msr_text(root / "msr_action3d" / "a02_s01_e01_skeleton3D.txt", moving_body(25, 3))
    monkeypatch.setenv("SMIE_DATA", str(root))
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    return root


def test_a_dataset_becomes_valid_ntu_files_with_readable_labels(data_root, tmp_path, capsys):
    out = tmp_path / "clips"
    assert main(["convert", "--dataset", "ntu_samples", "--out", str(out)]) == 0
    assert main(["convert", "--dataset", "msr_action3d", "--out", str(out)]) == 0
    assert "wrote 2 clips of 2 labels" in capsys.readouterr().out
    rows = {e.file: e for e in ClipFolder(out).entries()}
    assert {f: r.label for f, r in rows.items()} == {
        "S001C001P001R001A011.skeleton": "reading", "S001C001P002R001A011.skeleton": "reading",
        "a01_s01_e01_skeleton3D.skeleton": "high arm wave", "a02_s01_e01_skeleton3D.skeleton": "horizontal arm wave"}
    assert all(r.status == STATUS_OK and r.fps == 30.0 for r in rows.values())
    # NTU at 30 fps: copied frame for frame, NTU extras included.
    original = read_ntu_skeleton(data_root / "ntu_samples" / "S001C001P001R001A011.skeleton")
    written = read_ntu_skeleton(out / "S001C001P001R001A011.skeleton")
    np.testing.assert_allclose(written.joints, original.joints, atol=1e-6)
    np.testing.assert_allclose(written.extras["color_xy"], original.extras["color_xy"], atol=1e-4)
    assert written.extras["body_ids"] == [7] and rows["S001C001P001R001A011.skeleton"].frames == 40
    # MSR at 15 fps: resampled to 30, every other frame an original one.
    msr = read_ntu_skeleton(out / "a01_s01_e01_skeleton3D.skeleton")
    assert msr.num_frames == rows["a01_s01_e01_skeleton3D.skeleton"].frames == 39
    source = read_msr_action3d(data_root / "msr_action3d" / "a01_s01_e01_skeleton3D.txt")
    np.testing.assert_allclose(msr.joints[::2], source.joints, atol=1e-6)
    # Converting again replaces the rows instead of adding copies.
    assert main(["convert", "--dataset", "msr_action3d", "--out", str(out), "--limit", "1"]) == 0
    assert len(ClipFolder(out).entries()) == 4


def test_videos_without_a_person_or_file_are_listed_as_skipped(tmp_path, monkeypatch, capsys):
    import cv2

    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    videos = tmp_path / "videos"
    videos.mkdir()
    assert main(["convert", "--videos", str(videos), "--out", str(tmp_path / "out")]) == 2
    assert "no labels.csv" in capsys.readouterr().err
    writer = cv2.VideoWriter(str(videos / "blank.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 64))
    for _ in range(5):
        writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.release()
    (videos / "labels.csv").write_text("file,label\nblank.avi,wave\ngone.mp4,clap\n")
    assert main(["convert", "--videos", str(videos), "--out", str(tmp_path / "out")]) == 1
    text = capsys.readouterr().out
    assert "wrote 0 clips" in text and "skipped blank.avi: MediaPipe found no person" in text
    assert "skipped gone.mp4: video file not found" in text
    assert ClipFolder(tmp_path / "out").entries() == []


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["convert", "--videos", str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2
    assert "video folder not found" in capsys.readouterr().err
    assert main(["convert", "--dataset", "gtu", "--out", str(tmp_path / "out"), "--fps", "0"]) == 2


def test_safe_file_names():
    assert safe_file_name("joints_s01_e01#sit Down/ä") == "joints_s01_e01_sit_Down"
    assert safe_file_name("***") == "clip"


def test_real_utkinect_segments_are_resampled_from_their_timestamps(shared_data, tmp_path, capsys):
    out = tmp_path / "ut"
    assert main(["convert", "--dataset", "utkinect", "--out", str(out), "--limit", "3"]) == 0
    rows = ClipFolder(out).entries()
    assert [r.label for r in rows] == ["walk", "sit down", "stand up"]
    for row in rows:
        clip = read_ntu_skeleton(out / row.file)
        assert clip.num_frames == row.frames and row.fps == 30.0 and clip.valid.any()


def test_real_webcam_videos_become_a_clip_folder(shared_data, tmp_path, capsys):
    source = shared_data / "webcam_arms"
    videos = tmp_path / "videos"
    videos.mkdir()
    names = ["PS7A2P1T1.avi", "PS7A3P1T1.avi"]
    for name in names:
        (videos / name).symlink_to(source / name)
    labels = dict(line.split(",", 1) for line in (source / "labels.csv").read_text().splitlines()[1:])
    (videos / "labels.csv").write_text("file,label\n" + "".join(f"{n},{labels[n]}\n" for n in names))
    assert main(["convert", "--videos", str(videos), "--out", str(tmp_path / "out")]) == 0
    rows = ClipFolder(tmp_path / "out").entries()
    assert [(r.file, r.label) for r in rows] == [(n.replace(".avi", ".skeleton"), labels[n]) for n in names]
    for row in rows:
        clip = read_ntu_skeleton(tmp_path / "out" / row.file)
        assert clip.num_frames > 50 and clip.valid.any(axis=(1, 2)).mean() > 0.9  # a person in nearly every frame
