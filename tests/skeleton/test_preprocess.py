"""Clip normalisation: invariances, shapes, zero-filled second body, filling of missing joints, clear errors."""

import json
from dataclasses import asdict

import numpy as np
import pytest
from io_fixtures import BASE_POSE, moving_person, rotate_y

from core.skeleton.clip import Clip
from core.skeleton.layouts import NTU25
from core.skeleton.preprocess import (
    NTU25_REST_OFFSETS,
    PreprocessConfig,
    PreprocessError,
    interpolate_frames_torch,
    normalize_clip,
    normalize_clips,
    normalize_sequence,
    resample_frames,
)


def two_person_clip(num_frames=64, source="synthetic.skeleton") -> Clip:
    joints = np.stack([moving_person(num_frames, 0), moving_person(num_frames, 1, offset=(-0.6, 0.9, 3.2))], 1)
    return Clip(joints=joints, valid=np.ones(joints.shape[:3], bool), source=source)


def test_output_shape_and_dtype_for_single_clip_and_batch():
    clip = two_person_clip()
    out = normalize_clip(clip)
    assert out.shape == (3, 50, 25, 2) and out.dtype == np.float32
    batch = normalize_clips([clip, two_person_clip(37)])
    assert batch.shape == (2, 3, 50, 25, 2) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[0], out)
    config = PreprocessConfig(num_frames=30)
    assert normalize_clip(clip, config).shape == (3, 30, 25, 2)


def test_centre_joint_at_origin_and_shoulders_along_plus_x():
    out = normalize_clip(two_person_clip())  # (C, T, V, M)
    np.testing.assert_allclose(out[:, :, 20, 0], 0, atol=1e-6)
    shoulder = out[:, :, 8, 0] - out[:, :, 4, 0]  # (3, T)
    assert (shoulder[0] > 0.3).all()
    np.testing.assert_allclose(shoulder[2], 0, atol=1e-5)
    assert (out[:, :, :, 1] != 0).any(), "the second body keeps its position relative to the first"


def test_translation_invariance():
    clip = two_person_clip()
    shift = np.random.default_rng(3).normal(size=(clip.num_frames, 1, 1, 3)).astype(np.float32)
    moved = clip.with_joints(clip.joints + shift, clip.valid)
    np.testing.assert_allclose(normalize_clip(moved), normalize_clip(clip), atol=1e-5)


def test_invariance_to_rotation_about_the_vertical_axis():
    clip = two_person_clip()
    reference = normalize_clip(clip)
    for angle in (0.7, -2.5, np.pi):
        turned = clip.with_joints(rotate_y(clip.joints, angle), clip.valid)
        np.testing.assert_allclose(normalize_clip(turned), reference, atol=1e-5)
    per_frame = np.linspace(-3, 3, clip.num_frames)[:, None, None]  # a different turn in every frame
    turned = clip.with_joints(rotate_y(clip.joints, per_frame), clip.valid)
    np.testing.assert_allclose(normalize_clip(turned), reference, atol=1e-5)


def test_second_body_zero_filled_when_absent():
    person = moving_person()[:, None]  # (T, 1, 25, 3)
    out = normalize_sequence(person, np.ones(person.shape[:3], bool))
    assert out.shape == (3, 50, 25, 2)
    assert not out[..., 1].any() and out[..., 0].any()

    clip = two_person_clip(60)
    joints, valid = clip.joints.copy(), clip.valid.copy()
    joints[:30, 1], valid[:30, 1] = 0, False  # the second person walks in half-way
    out = normalize_sequence(joints, valid)
    assert not out[:, :24, :, 1].any(), "absent second body is exactly zero"
    assert np.abs(out[:, 26:, :, 1]).sum(axis=(0, 2)).min() > 0.1


def test_frames_without_the_first_body_are_dropped():
    clip = two_person_clip(40)
    joints = np.insert(clip.joints, 20, 0.0, axis=0)  # 5 empty frames in the middle
    joints = np.insert(joints, 20, np.zeros((4, 2, 25, 3), np.float32), axis=0)
    valid = (joints != 0).any(axis=-1)
    np.testing.assert_allclose(normalize_sequence(joints, valid), normalize_clip(clip), atol=1e-6)


def test_missing_joints_are_interpolated_over_time():
    # Still body; the right wrist moves linearly, so interpolation across a gap recovers it exactly.
    T = 50
    joints = np.repeat(BASE_POSE[None, None], T, axis=0).copy()
    wrist = NTU25.index["WristRight"]
    joints[:, 0, wrist, 1] += np.linspace(0, 0.4, T)
    reference = normalize_sequence(joints, np.ones(joints.shape[:3], bool))
    holed, valid = joints.copy(), np.ones(joints.shape[:3], bool)
    holed[10:21, 0, wrist], valid[10:21, 0, wrist] = 0, False  # lost for 11 frames
    holed[45:, 0, wrist], valid[45:, 0, wrist] = 0, False  # and at the end: the last valid value is held
    out = normalize_sequence(holed, valid)
    np.testing.assert_allclose(out[:, :45], reference[:, :45], atol=1e-5)
    assert (np.abs(out[:, 10:21, wrist, 0]).sum(axis=0) > 0.1).all(), "gap not left at zero"
    np.testing.assert_allclose(out[:, 45:, wrist, 0], reference[:, 44:45, wrist, 0].repeat(5, 1), atol=1e-5)


def test_joint_never_valid_stands_at_its_rest_offset_from_the_parent_and_synthesised_joints_are_kept():
    joints = moving_person()[:, None].copy()
    valid = np.ones(joints.shape[:3], bool)
    tip, hand = NTU25.index["HandTipRight"], NTU25.index["HandRight"]
    joints[:, 0, tip], valid[:, 0, tip] = 0, False  # never observed, no position
    neck = NTU25.index["Neck"]
    valid[:, 0, neck] = False  # never observed but placed by a mapper: its positions stay
    out = normalize_sequence(joints, valid)
    offset = NTU25_REST_OFFSETS[tip]  # the rotation about the vertical keeps its length and its height
    np.testing.assert_allclose(out[1, :, tip, 0] - out[1, :, hand, 0], offset[1], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(out[:, :, tip, 0] - out[:, :, hand, 0], axis=0),
                               np.linalg.norm(offset), atol=1e-5)
    reference = normalize_sequence(moving_person()[:, None], np.ones(valid.shape, bool))
    np.testing.assert_allclose(out[:, :, neck, 0], reference[:, :, neck, 0], atol=1e-5)


def test_rarely_seen_legs_are_replaced_by_rest_pose_legs():
    joints = moving_person()[:, None].copy()
    valid = np.ones(joints.shape[:3], bool)
    knee, hip, ankle = NTU25.index["KneeLeft"], NTU25.index["HipLeft"], NTU25.index["AnkleLeft"]
    valid[:, 0, ankle] = False
    joints[:, 0, ankle] = 0
    valid[5:, 0, knee] = False  # glimpsed in a few frames only, below min_joint_coverage
    out = normalize_sequence(joints, valid)
    np.testing.assert_allclose(out[1, :, knee, 0] - out[1, :, hip, 0], NTU25_REST_OFFSETS[knee][1], atol=1e-5)
    np.testing.assert_allclose(out[1, :, ankle, 0] - out[1, :, knee, 0], NTU25_REST_OFFSETS[ankle][1], atol=1e-5)
    kept = normalize_sequence(joints, valid, PreprocessConfig(min_joint_coverage=0.0))
    assert not np.allclose(kept[1, :, knee, 0] - kept[1, :, hip, 0], NTU25_REST_OFFSETS[knee][1], atol=1e-3)


def test_fewer_than_two_valid_frames_raise_a_clear_error():
    clip = two_person_clip(10, source="S001C001P001R001A001.skeleton")
    joints = clip.joints.copy()
    joints[1:, 0] = 0
    valid = (joints != 0).any(axis=-1)
    with pytest.raises(PreprocessError, match=r"S001C001P001R001A001\.skeleton: 1 of 10 frames"):
        normalize_clip(clip.with_joints(joints, valid))
    with pytest.raises(PreprocessError, match="NaN"):
        normalize_sequence(np.full((5, 1, 25, 3), np.nan, np.float32), np.ones((5, 1, 25), bool))
    with pytest.raises(PreprocessError, match=r"\(T, M, 25, 3\)"):
        normalize_sequence(np.zeros((5, 25, 3), np.float32), np.ones((5, 25), bool))


def test_resampling_keeps_end_frames_and_matches_the_torch_version():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(7, 2, 3)).astype(np.float32)
    y = resample_frames(x, 50)
    np.testing.assert_array_equal(y[[0, -1]], x[[0, -1]])
    np.testing.assert_array_equal(resample_frames(x, 7), x)
    batch = torch.from_numpy(x.transpose(2, 0, 1)[None, :, :, :, None].copy())  # (1, C=3, T=7, V=2, M=1)
    positions = torch.linspace(0, 6, 50)[None]
    got = interpolate_frames_torch(batch, positions)[0, :, :, :, 0].numpy().transpose(1, 2, 0)
    np.testing.assert_allclose(got, y, atol=1e-6)


def test_config_round_trips_through_json_for_checkpoints():
    config = PreprocessConfig(num_frames=64, align_shoulders=False)
    assert PreprocessConfig(**json.loads(json.dumps(asdict(config)))) == config
