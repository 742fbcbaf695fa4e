"""Preprocessed (N, 3, T, 25, 2) arrays with labels: padding cut, absent bodies, label formats, bad input."""

import pickle

import numpy as np
import pytest
from io_fixtures import moving_body

from core.errors import SkeletonFileError
from core.readers.ntu_arrays import iter_ntu_arrays, read_labels, read_ntu_arrays


def _arrays(tmp_path):
    data = np.zeros((3, 3, 12, 25, 2), np.float32)
    data[0, :, :12, :, 0] = moving_body(12).transpose(2, 0, 1)
    data[1, :, :7, :, 0] = moving_body(7, seed=1).transpose(2, 0, 1)  # 5 padded frames at the end
    data[1, :, 2:5, :, 1] = moving_body(3, seed=2).transpose(2, 0, 1)  # second body in frames 3-5
    data[1, :, 3, :, 0] = 0.0  # first body missing in frame 4 (not padding: the second body is there)
    data[2, :, :4, :, 0] = moving_body(4, seed=3).transpose(2, 0, 1) - moving_body(4, seed=3)[:, 20].T[..., None]
    path = tmp_path / "x.npy"
    np.save(path, data)
    return path, data


def test_clips_cut_padding_and_mark_absent_bodies(tmp_path):
    path, data = _arrays(tmp_path)
    (tmp_path / "y.txt").write_text("4\n0\n59\n")
    clips = read_ntu_arrays(path, tmp_path / "y.txt", class_names=[f"c{i}" for i in range(60)])
    assert [c.num_frames for c in clips] == [12, 7, 4]
    assert [(c.label, c.label_name) for c in clips] == [(4, "c4"), (0, "c0"), (59, "c59")]
    np.testing.assert_array_equal(clips[1].joints, data[1, :, :7].transpose(1, 3, 2, 0))
    assert clips[1].valid[2:5, 1].all() and not clips[1].valid[:2, 1].any()
    assert not clips[1].valid[3, 0].any() and clips[1].valid[4, 0].all()
    # Centred data: SpineShoulder is exactly at the origin and still valid.
    assert (clips[2].joints[:, 0, 20] == 0).all() and clips[2].valid[:, 0, 20].all()
    assert clips[1].source.endswith("x.npy#1") and clips[1].extras["index"] == 1


def test_label_formats(tmp_path):
    np.save(tmp_path / "y.npy", np.array([4, 0, 59]))
    with open(tmp_path / "y.pkl", "wb") as handle:
        pickle.dump((["a", "b", "c"], [4, 0, 59]), handle)
    for name in ("y.npy", "y.pkl"):
        assert read_labels(tmp_path / name).tolist() == [4, 0, 59]


def test_bad_input(tmp_path):
    path, data = _arrays(tmp_path)
    (tmp_path / "two.txt").write_text("1\n2\n")
    with pytest.raises(SkeletonFileError, match="2 labels for 3 samples"):
        read_ntu_arrays(path, tmp_path / "two.txt")
    (tmp_path / "text.txt").write_text("1\nwalk\n2\n")
    with pytest.raises(SkeletonFileError, match="expected one integer") as error:
        read_labels(tmp_path / "text.txt")
    assert error.value.line == 2
    (tmp_path / "y.txt").write_text("1\n2\n3\n")
    data[2, 1, 1, 3, 0] = np.nan
    np.save(tmp_path / "nan.npy", data)
    clips = iter_ntu_arrays(tmp_path / "nan.npy", tmp_path / "y.txt")
    assert next(clips).num_frames == 12
    with pytest.raises(SkeletonFileError, match="sample 2 frame 1: non-finite"):
        list(clips)
    np.save(tmp_path / "shape.npy", np.zeros((2, 3, 10, 20, 2)))
    with pytest.raises(SkeletonFileError, match=r"\(N, 3, T, 25, M<=2\)"):
        read_ntu_arrays(tmp_path / "shape.npy", tmp_path / "y.txt")
    (tmp_path / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(SkeletonFileError, match="cannot read array"):
        read_ntu_arrays(tmp_path / "broken.npy", tmp_path / "y.txt")
