"""Bone and motion streams on numpy clips and torch batches."""

import numpy as np
import pytest
import torch

from core.model.streams import bones, motion, stream
from core.skeleton.layouts import NTU25


def random_clip(seed=0) -> np.ndarray:
    """(3, T=6, 25, 2) with the second body absent in the last two frames."""
    x = np.random.default_rng(seed).normal(size=(3, 6, 25, 2)).astype(np.float32)
    x[:, 4:, :, 1] = 0
    return x


def test_bones_are_joint_minus_parent_with_a_zero_root():
    x = random_clip()
    b = bones(x)
    assert b.shape == x.shape and b.dtype == x.dtype
    root = NTU25.parents.index(-1)
    assert not b[:, :, root].any()
    for joint, parent in enumerate(NTU25.parents):
        if parent >= 0:
            np.testing.assert_array_equal(b[:, :, joint], x[:, :, joint] - x[:, :, parent])
    assert not b[:, 4:, :, 1].any(), "an absent body has no bones"
    # Bones are translation invariant: shifting every joint changes nothing but the (zero) root bone.
    np.testing.assert_allclose(bones(x + np.float32(2.5)), b, atol=1e-5)


def test_motion_is_the_next_frame_minus_this_one_with_the_last_frame_zero():
    x = random_clip(1)
    m = motion(x)
    np.testing.assert_array_equal(m[:, :-1], x[:, 1:] - x[:, :-1])
    assert not m[:, -1].any()


def test_torch_batches_match_numpy():
    batch = np.stack([random_clip(2), random_clip(3)])
    tensor = torch.from_numpy(batch)
    for name in ("joint", "bone", "motion"):
        got = stream(tensor, name)
        assert isinstance(got, torch.Tensor) and got.shape == tensor.shape
        np.testing.assert_allclose(got.numpy(), stream(batch, name), atol=1e-6)
        np.testing.assert_allclose(got[1].numpy(), stream(batch[1], name), atol=1e-6)
    with pytest.raises(ValueError, match="unknown input stream 'velocity'"):
        stream(batch, "velocity")
