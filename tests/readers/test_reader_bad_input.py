"""Mutated and truncated skeleton files: every reader either returns a sane clip or raises SkeletonFileError."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_fixtures import (
    moving_body,
    mutate,
    write_gtu_text,
    write_msr_text,
    write_ntu_text,
    write_utd_mat,
    write_utkinect_text,
)

from core.errors import SkeletonFileError
from core.paths import data_root
from core.readers.gtu import read_gtu
from core.readers.kinect_v1 import (
    read_msr_action3d,
    read_utd_mhad,
    read_utkinect,
    read_utkinect_labels,
)
from core.readers.ntu import read_ntu_skeleton
from core.skeleton.clip import Clip

BAD_TOKENS = ["nan", "NaN", "inf", "-inf", "abc", "", "1e999", "-1", "0", "3", "99", "26", "2.5.1", "0x1F",
              "\x00", "\u03a9", "1,5", "   ", "18446744073709551616"]


def _check(read, path, mutated: bytes):
    path.write_bytes(mutated)
    try:
        result = read(path)
    except SkeletonFileError as error:
        assert error.path is not None and str(error).startswith(str(error.path))
        return
    clips = result if isinstance(result, list) else [result]
    for clip in clips:
        assert isinstance(clip, Clip) and clip.num_frames > 0
        assert np.isfinite(clip.joints).all()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("bad_input")


@pytest.fixture(scope="module")
def ntu_originals(workdir):
    """A generated two-body file (always) plus two real NTU files when the data is here."""
    path = workdir / "generated.skeleton"
    a, b = moving_body(3, seed=1), moving_body(3, seed=2, offset=(0.7, 0, 0))
    write_ntu_text(path, [[(1, a[t]), (2, b[t])] for t in range(3)])
    originals = [path.read_bytes()]
    real = data_root() / "ntu_samples"
    for name in ("S003C001P015R001A034.skeleton", "S017C003P020R002A054.skeleton"):
        if (real / name).is_file():
            originals.append((real / name).read_bytes())
    return originals


fuzz = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(data=st.data())
def test_ntu_reader_only_raises_skeleton_file_error(data, ntu_originals, workdir):
    original = data.draw(st.sampled_from(ntu_originals))
    mutated = mutate(data, original, BAD_TOKENS)
    _check(read_ntu_skeleton, workdir / "mutated.skeleton", mutated)
    _check(lambda p: read_ntu_skeleton(p, allow_truncated=True), workdir / "mutated.skeleton", mutated)


def test_ntu_real_files_truncated_everywhere(shared_data, workdir):
    """Every cut of a real file at a line boundary: strict mode refuses it, allow_truncated keeps whole frames."""
    original = (shared_data / "ntu_samples" / "S017C003P020R002A054.skeleton").read_bytes()
    lines = original.split(b"\n")
    full = read_ntu_skeleton(shared_data / "ntu_samples" / "S017C003P020R002A054.skeleton")
    path = workdir / "cut.skeleton"
    for keep in range(1, len(lines) - 1, 37):
        path.write_bytes(b"\n".join(lines[:keep]) + b"\n")
        with pytest.raises(SkeletonFileError):
            read_ntu_skeleton(path)
        try:
            clip = read_ntu_skeleton(path, allow_truncated=True)
        except SkeletonFileError as error:
            assert "no complete frame" in error.problem or "file ends early" in error.problem
            continue
        # Bodies are ranked by activity, which a shorter file can reorder: match them by id.
        slots = [full.extras["body_ids"].index(body_id) for body_id in clip.extras["body_ids"]]
        np.testing.assert_array_equal(clip.joints, full.joints[:clip.num_frames, slots])


@pytest.fixture(scope="module")
def text_originals(workdir):
    """Generated MSR, GTU and UTKinect files and their readers."""
    body = moving_body(4)
    write_msr_text(workdir / "msr.txt", body)
    write_gtu_text(workdir / "gtu.txt", body)
    write_utkinect_text(workdir / "joints_s01_e01.txt", [5, 6, 8, 9], body)
    (workdir / "labels.txt").write_text("s01_e01\nwalk: 5 9\n")
    segments = read_utkinect_labels(workdir / "labels.txt")["s01_e01"]
    return [
        ((workdir / "msr.txt").read_bytes(), read_msr_action3d),
        ((workdir / "gtu.txt").read_bytes(), read_gtu),
        ((workdir / "joints_s01_e01.txt").read_bytes(), lambda p: read_utkinect(p, segments)[0]),
        (b"s01_e01\nwalk: 5 9\nsitDown: 10 20\n", read_utkinect_labels),
    ]


@fuzz
@given(data=st.data())
def test_text_readers_only_raise_skeleton_file_error(data, text_originals, workdir):
    original, read = data.draw(st.sampled_from(text_originals))
    path = workdir / "mutated.txt"
    path.write_bytes(mutate(data, original, BAD_TOKENS))
    try:
        read(path)
    except SkeletonFileError:
        pass


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_utd_mat_reader_only_raises_skeleton_file_error(data, workdir):
    path = workdir / "a1_s1_t1_skeleton.mat"
    write_utd_mat(path, moving_body(3))
    _check(read_utd_mhad, workdir / "mutated.mat", mutate(data, path.read_bytes(), BAD_TOKENS))


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\x00\x01\x02", b"\xff\xfe\xfa", b"3\n", b"1\n1\n"])
def test_degenerate_files_name_the_file(content, workdir):
    path = workdir / "degenerate.skeleton"
    path.write_bytes(content)
    for read in (read_ntu_skeleton, read_msr_action3d, read_gtu):
        with pytest.raises(SkeletonFileError) as error:
            read(path)
        assert str(error.value).startswith(str(path))
    with pytest.raises(SkeletonFileError, match="cannot read"):
        read_ntu_skeleton(workdir / "missing.skeleton")


def test_a_number_beyond_float32_is_named_not_read_as_infinite(tmp_path):
    body = moving_body(3)
    write_gtu_text(tmp_path / "gtu.txt", body)
    lines = (tmp_path / "gtu.txt").read_text().splitlines()
    lines[4] = "0.21E87334 0.5 3.0"  # parses as infinity in float64
    (tmp_path / "gtu.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(SkeletonFileError, match=r"gtu.txt:5: .*not a finite number"):
        read_gtu(tmp_path / "gtu.txt")
    lines[4] = "1e39 0.5 3.0"  # finite in float64, infinite in the float32 clips store
    (tmp_path / "gtu.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(SkeletonFileError, match=r"gtu.txt:5: .*not a finite number"):
        read_gtu(tmp_path / "gtu.txt")
