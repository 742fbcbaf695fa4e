"""GTU reader and class table on generated files (CRLF, 25 lines per frame)."""

import numpy as np
import pytest
from io_fixtures import moving_body, write_gtu_text

from core.errors import SkeletonFileError
from core.readers.gtu import read_gtu, read_gtu_classes


def test_reads_crlf_frames(tmp_path):
    body = moving_body(5)
    path = tmp_path / "movement7.txt"
    write_gtu_text(path, body)
    clip = read_gtu(path, label=2, class_names=["a", "b", "walk"])
    assert clip.joints.shape == (5, 1, 25, 3) and clip.valid.all()
    np.testing.assert_allclose(clip.joints[:, 0], body, atol=1e-5)
    assert (clip.label, clip.label_name, clip.fps, clip.subject) == (2, "walk", 30.0, None)


def test_bad_files(tmp_path):
    path = tmp_path / "movement1.txt"
    write_gtu_text(path, moving_body(2))
    lines = path.read_bytes().decode().split("\r\n")
    (tmp_path / "cut.txt").write_text("\r\n".join(lines[:30]))
    with pytest.raises(SkeletonFileError, match="whole number of 25-joint frames"):
        read_gtu(tmp_path / "cut.txt")
    lines[3] = "0.1 inf 2.0"
    (tmp_path / "inf.txt").write_text("\r\n".join(lines))
    with pytest.raises(SkeletonFileError, match="value 2 is 'inf'") as error:
        read_gtu(tmp_path / "inf.txt")
    assert error.value.line == 4
    (tmp_path / "empty.txt").write_text("\r\n\r\n")
    with pytest.raises(SkeletonFileError, match="empty file"):
        read_gtu(tmp_path / "empty.txt")


def test_classes_use_name_clear(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("1\t1\tOpening\tAcma\topen the arms\n2\t7\tLeft Handed Shaking\tSol\twave the right hand\n")
    assert read_gtu_classes(path) == {"1": "open the arms", "2": "wave the right hand"}
    path.write_text("1\t1\tOpening\n")
    with pytest.raises(SkeletonFileError, match="5 tab-separated columns"):
        read_gtu_classes(path)
