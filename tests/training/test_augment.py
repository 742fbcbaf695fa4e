"""Augmentation of normalised batches: shapes, seeded determinism, mirroring, rigid rotation, absent bodies."""

import numpy as np
import pytest
import torch
from io_fixtures import moving_person

from core.cli import main
from core.skeleton.layouts import NTU25
from core.skeleton.preprocess import normalize_sequence
from core.training.augment import AugmentConfig, augment_batch, mirror

OFF = dict(yaw_deg=0.0, tilt_deg=0.0, scale=0.0, shear=0.0, crop_min=1.0, jitter_std=0.0,
           jitter_std_extremities=0.0, drop_prob=0.0)  # every step switched off


def only(**steps) -> AugmentConfig:
    return AugmentConfig(**{**OFF, **steps})


def normalised_batch(num_clips=4, second_body=True) -> torch.Tensor:
    """(N, 3, 50, 25, 2) normalised clips of a waving person, the second body present or absent."""
    clips = []
    for seed in range(num_clips):
        bodies = [moving_person(60, seed)] + ([moving_person(60, seed + 10, offset=(-0.5, 0.9, 3))] * second_body)
        joints = np.stack(bodies, axis=1)
        clips.append(normalize_sequence(joints, np.ones(joints.shape[:3], bool)))
    return torch.from_numpy(np.stack(clips))


def bone_lengths(x: torch.Tensor) -> torch.Tensor:
    children, parents = zip(*NTU25.edges)
    return (x[:, :, :, list(children)] - x[:, :, :, list(parents)]).norm(dim=1)


def test_shapes_dtype_and_input_untouched():
    x = normalised_batch()
    before = x.clone()
    out = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.isfinite(out).all()
    torch.testing.assert_close(x, before)
    assert (out - x).abs().mean() > 1e-3, "the default config changes the clips"
    assert (out - x).abs().mean() < 0.2, "but only a little (metres)"


def test_seeded_generator_repeats_a_batch():
    x = normalised_batch()
    first = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(7))
    again = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(7))
    other = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(8))
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.equal(first, other)


def test_everything_off_is_the_identity():
    x = normalised_batch()
    torch.testing.assert_close(augment_batch(x, only(), torch.Generator().manual_seed(0)), x)


def test_mirror_twice_is_identity_and_swaps_sides():
    x = normalised_batch()
    torch.testing.assert_close(mirror(mirror(x)), x, rtol=0, atol=0)
    mirrored = mirror(x)
    left, right = NTU25.index["HandLeft"], NTU25.index["HandRight"]
    torch.testing.assert_close(mirrored[:, 0, :, left], -x[:, 0, :, right])
    torch.testing.assert_close(mirrored[:, 1:, :, left], x[:, 1:, :, right])
    shoulders = mirrored[:, 0, :, 8, 0] - mirrored[:, 0, :, 4, 0]
    assert (shoulders > 0).all(), "a mirrored normalised clip still has its shoulder line on +x"
    single = x[0].numpy()
    np.testing.assert_array_equal(mirror(single), mirrored[0].numpy())


def test_rotation_keeps_bone_lengths_and_scale_does_not():
    x = normalised_batch()
    rotated = augment_batch(x, only(yaw_deg=30.0, tilt_deg=10.0), torch.Generator().manual_seed(1))
    assert (rotated - x).abs().max() > 1e-2
    torch.testing.assert_close(bone_lengths(rotated), bone_lengths(x), atol=1e-5, rtol=1e-5)
    scaled = augment_batch(x, only(scale=0.1), torch.Generator().manual_seed(1))
    ratio = bone_lengths(scaled)[..., 0].sum(dim=(1, 2)) / bone_lengths(x)[..., 0].sum(dim=(1, 2))
    assert ((ratio - 1).abs() > 1e-4).all() and ((ratio - 1).abs() <= 0.1 + 1e-5).all()


def test_absent_second_body_stays_zero():
    x = normalised_batch(second_body=False)
    assert not x[..., 1].any()
    for seed in range(3):
        out = augment_batch(x, AugmentConfig(yaw_deg=30.0), torch.Generator().manual_seed(seed))
        assert not out[..., 1].any()
    partial = normalised_batch()
    partial[:, :, :25, :, 1] = 0  # the second person arrives half-way
    out = augment_batch(partial, only(tilt_deg=10.0, scale=0.1, shear=0.1, jitter_std=0.01, drop_prob=1.0),
                        torch.Generator().manual_seed(0))
    assert not out[:, :, :25, :, 1].any() and (out[:, :, 25:, :, 1] != 0).all()


def test_temporal_crop_takes_an_ordered_segment_of_at_least_crop_min():
    x = torch.zeros(8, 3, 50, 25, 1)
    x[:, 0] = torch.arange(50.0)[None, :, None, None]  # channel 0 is a time code
    out = augment_batch(x, only(crop_min=0.6), torch.Generator().manual_seed(3))
    codes = out[:, 0, :, 0, 0]
    assert (codes.diff(dim=1) > 0).all() and (codes >= 0).all() and (codes <= 49).all()
    span = codes[:, -1] - codes[:, 0]
    assert (span >= 0.6 * 49 - 1e-3).all() and (span < 49).any()


def test_dropped_joints_are_refilled_by_interpolation():
    x = torch.zeros(6, 3, 50, 25, 1)
    x[:, 0] = torch.linspace(0, 1, 50)[None, :, None, None] + torch.arange(25.0)[None, None, :, None]
    config = only(drop_prob=1.0, drop_joints=2)
    # A joint that moves linearly in time is refilled exactly: interpolation over the gap reproduces it.
    torch.testing.assert_close(augment_batch(x, config, torch.Generator().manual_seed(0)), x)
    wiggly = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    out = augment_batch(wiggly, config, torch.Generator().manual_seed(0))
    changed_joints = ((out - wiggly).abs() > 1e-6).any(dim=1).any(dim=1).sum(dim=1)  # (N, M)
    assert (changed_joints >= 1).all() and (changed_joints <= 2).all()


def test_jitter_is_larger_on_hands_and_feet():
    x = normalised_batch(num_clips=8)
    noise = augment_batch(x, only(jitter_std=0.01, jitter_std_extremities=0.02), torch.Generator().manual_seed(4)) - x
    body = noise[:, :, :, NTU25.index["SpineMid"]].std()
    hand = noise[:, :, :, NTU25.index["HandTipRight"]].std()
    assert body == pytest.approx(0.01, rel=0.1) and hand == pytest.approx(0.02, rel=0.1)


def test_hidden_legs_stand_where_normalisation_puts_legs_a_clip_never_shows():
    raw = moving_person(60, 3)[:, None]  # (T, 1, 25, 3)
    valid = np.ones(raw.shape[:3], bool)
    legs = [j for j, name in enumerate(NTU25.joint_names) if any(w in name for w in ("Knee", "Ankle", "Foot"))]
    webcam_valid = valid.copy()
    webcam_valid[:, :, legs] = False
    webcam_raw = raw.copy()
    webcam_raw[:, :, legs] = 0.0  # a joint map leaves unseen joints at zero
    seen_by_webcam = torch.from_numpy(normalize_sequence(webcam_raw, webcam_valid)[None])
    x = torch.from_numpy(normalize_sequence(raw, valid)[None])
    out = augment_batch(x, only(legs_unseen_prob=1.0), torch.Generator().manual_seed(0))
    # Normalisation fills in camera axes and then turns the body to face +z, so a person turned away from the
    # camera gets the rest legs turned too; heights and bone lengths do not depend on that turn.
    torch.testing.assert_close(out[:, 1, :, legs, 0], seen_by_webcam[:, 1, :, legs, 0], rtol=0, atol=0.005)
    parents = [NTU25.parents[j] for j in legs]
    lengths = (out[:, :, :, legs, 0] - out[:, :, :, parents, 0]).norm(dim=1)
    webcam_lengths = (seen_by_webcam[:, :, :, legs, 0] - seen_by_webcam[:, :, :, parents, 0]).norm(dim=1)
    torch.testing.assert_close(lengths, webcam_lengths, rtol=0, atol=0.001)
    upper = [j for j in range(25) if j not in legs]
    torch.testing.assert_close(out[:, :, :, upper], x[:, :, :, upper])
    assert (out[:, :, :, legs, 0] - x[:, :, :, legs, 0]).abs().max() > 0.05  # the walking legs were replaced
    assert not out[..., 1].any()  # the absent second body stays absent
    none = augment_batch(x, only(legs_unseen_prob=0.0), torch.Generator().manual_seed(0))
    torch.testing.assert_close(none, x)


def test_pretrain_refuses_a_share_of_clips_outside_0_to_1(capsys, tmp_path):
    for bad in ("1.5", "-0.1", "half"):
        with pytest.raises(SystemExit):
            main(["pretrain", "--datasets", "gtu", "--legs-unseen-prob", bad, "--out", str(tmp_path)])
        assert f"--legs-unseen-prob: must be a number from 0 to 1, got '{bad}'" in capsys.readouterr().err
