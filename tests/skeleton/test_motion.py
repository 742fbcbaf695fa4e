"""Motion attention and keyframe masking on sequences whose keyframes are known by construction."""

import numpy as np
import pytest
import torch

from core.skeleton.motion import (
    keyframes,
    keyframes_torch,
    mask_keyframes,
    mask_keyframes_torch,
    motion_attention,
    motion_attention_torch,
)
from core.skeleton.preprocess import resample_frames


def still_clip(T=50, seed=0) -> np.ndarray:
    """(3, T, 25, 2): a random pose held still; the second body absent."""
    x = np.zeros((3, T, 25, 2), np.float32)
    x[:, :, :, 0] = np.random.default_rng(seed).normal(size=(3, 1, 25))
    return x


def burst_clip(start, stop, T=50, seed=0) -> np.ndarray:
    """A still clip whose frames start..stop-1 jump around strongly."""
    x = still_clip(T, seed)
    rng = np.random.default_rng(seed + 1)
    x[:, start:stop, :, 0] += rng.normal(scale=0.3, size=(3, stop - start, 25))
    return x


def test_keyframes_fall_inside_the_burst():
    x = burst_clip(20, 28)
    # Frames 19 and 28 also move (their neighbour jumps), so 10 frames carry motion; k=8 must come from them.
    found = keyframes(x, 8)
    assert found.shape == (8,) and found.min() >= 19 and found.max() <= 28, found
    found = keyframes(burst_clip(10, 40), 15)
    assert found.min() >= 9 and found.max() <= 40
    assert list(found) == sorted(found), "keyframes come in temporal order"


def test_attention_sums_to_one_and_peaks_in_the_burst():
    attention = motion_attention(burst_clip(20, 28))
    assert attention.shape == (50,)
    assert attention.sum() == pytest.approx(1.0, abs=1e-5)
    assert attention[:19].max() == 0 and attention[29:].max() == 0
    batch = torch.randn(4, 3, 50, 25, 2)
    rows = motion_attention_torch(batch)
    assert rows.shape == (4, 50)
    torch.testing.assert_close(rows.sum(dim=1), torch.ones(4))
    np.testing.assert_allclose(motion_attention(batch[1].numpy()), rows[1].numpy(), rtol=1e-5)


def test_attention_matches_forward_plus_backward_squared_differences():
    x = np.random.default_rng(5).normal(size=(3, 12, 25, 2)).astype(np.float32)
    motion = np.zeros(12)
    for t in range(12):
        if t + 1 < 12:
            motion[t] += ((x[:, t + 1] - x[:, t]) ** 2).mean()
        if t > 0:
            motion[t] += ((x[:, t] - x[:, t - 1]) ** 2).mean()
    np.testing.assert_allclose(motion_attention(x), motion / motion.sum(), rtol=1e-5)


def test_still_clip_gets_uniform_attention_without_nan():
    for x in (still_clip(), np.zeros((3, 50, 25, 2), np.float32)):
        attention = motion_attention(x)
        assert np.isfinite(attention).all()
        np.testing.assert_allclose(attention, np.full(50, 1 / 50), rtol=1e-6)
        assert len(set(keyframes(x, 15).tolist())) == 15


def test_zero_masking_removes_exactly_the_keyframes():
    x = burst_clip(10, 40, seed=3)
    keys = keyframes(x, 15)
    masked = mask_keyframes(x, 15)
    assert masked.shape == x.shape and masked.dtype == np.float32
    zeroed = np.flatnonzero(~masked[..., 0].any(axis=(0, 2)))
    np.testing.assert_array_equal(zeroed, keys)
    others = np.setdiff1d(np.arange(50), keys)
    np.testing.assert_array_equal(masked[:, others], x[:, others])
    batch = torch.from_numpy(np.stack([x, burst_clip(0, 20, seed=4)]))
    masked_batch = mask_keyframes_torch(batch, 15)
    torch.testing.assert_close(masked_batch[0], torch.from_numpy(masked))
    assert (masked_batch.abs().sum(dim=(1, 3, 4)) == 0).sum(dim=1).tolist() == [15, 15]


def test_drop_masking_even_matches_a_direct_computation():
    x = burst_clip(5, 25, seed=7)
    keys = keyframes(x, 15)
    others = np.setdiff1d(np.arange(50), keys)  # the 35 non-keyframes in temporal order
    kept = others[np.round(np.linspace(0, 34, 20)).astype(int)]
    expected = resample_frames(x[:, kept].transpose(1, 0, 2, 3), 50).transpose(1, 0, 2, 3)
    out = mask_keyframes(x, 15, method="drop", num_keep=20, sampling="even")
    assert out.shape == x.shape
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_drop_masking_random_is_seeded_and_keeps_only_non_keyframes():
    x = np.random.default_rng(0).normal(size=(3, 50, 25, 2)).astype(np.float32)
    x[1] = np.arange(50, dtype=np.float32)[:, None, None] * 1e-4  # a time code in channel 1, barely any motion
    batch = torch.from_numpy(np.stack([x, x]))
    first = mask_keyframes_torch(batch, method="drop", generator=torch.Generator().manual_seed(1))
    again = mask_keyframes_torch(batch, method="drop", generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(first, again)
    assert not torch.equal(first[0], first[1]), "each clip draws its own frames"
    keys = set(keyframes(x, 15).tolist())
    for clip in first:
        codes = clip[1, :, 0, 0].numpy() / 1e-4
        assert np.all(np.diff(codes) >= -1e-3), "frames stay in temporal order"
        assert round(codes[0]) not in keys and round(codes[-1]) not in keys


def test_bad_arguments_are_refused():
    x = torch.zeros(1, 3, 50, 25, 2)
    with pytest.raises(AssertionError, match="method"):
        mask_keyframes_torch(x, method="blur")
    with pytest.raises(AssertionError, match="num_keep"):
        mask_keyframes_torch(x, 15, method="drop", num_keep=36)
    with pytest.raises(AssertionError, match="num_keyframes"):
        keyframes_torch(x, 50)
