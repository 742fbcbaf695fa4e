"""Joint maps into NTU-25: tables, axes (MediaPipe and Azure facing the camera), validity, fitted constants."""

import numpy as np
import pytest
from io_fixtures import STANDING_POSE, to_source_order

from core.readers.datasets import load_dataset
from core.readers.joint_map_calibration import (
    fit_kinect_v2,
    kinect_v2_frames,
    length_ratio,
    mediapipe_video_landmarks,
)
from core.skeleton import joint_maps
from core.skeleton.joint_maps import (
    SOURCE_JOINT_NAMES,
    direct_map,
    real_joint_mask,
    to_ntu25,
)
from core.skeleton.layouts import NTU25

J = NTU25.index
SOURCES = tuple(SOURCE_JOINT_NAMES)


@pytest.mark.parametrize("source", SOURCES)
def test_tables_are_consistent(source):
    names = SOURCE_JOINT_NAMES[source]
    assert len(set(names)) == len(names), "duplicate joint names"
    table = joint_maps._compiled(source)
    assert table.weights.shape == (25, len(names))
    # Every NTU joint is an affine combination of source joints, so the map commutes with translation.
    np.testing.assert_allclose(table.weights.sum(axis=1), 1.0, atol=1e-12)
    if table.fallback_weights is not None:
        np.testing.assert_allclose(table.fallback_weights.sum(axis=1), 1.0, atol=1e-12)
    assert real_joint_mask(source).sum() == len(direct_map(source))


def test_real_joint_masks():
    assert real_joint_mask("ntu25").all() and real_joint_mask("azure32").all()
    kinect_v1 = {NTU25.joint_names[j] for j in np.flatnonzero(~real_joint_mask("utd_mhad20"))}
    assert kinect_v1 == {"SpineMid", "Neck", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight"}
    mediapipe = {NTU25.joint_names[j] for j in np.flatnonzero(~real_joint_mask("mediapipe33"))}
    assert mediapipe == {"SpineBase", "SpineMid", "Neck", "Head", "SpineShoulder", "HandLeft", "HandRight",
                         "HipLeft", "HipRight", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight"}


def test_ntu25_is_identity_and_translation_commutes():
    out, valid = to_ntu25(STANDING_POSE, "ntu25")
    np.testing.assert_array_equal(out, STANDING_POSE)
    assert valid.all() and out.dtype == np.float32
    source = to_source_order(STANDING_POSE, "kinect_v1_sdk20")
    shift = np.array([0.3, -0.2, 1.0], np.float32)
    moved, _ = to_ntu25(source + shift, "kinect_v1_sdk20")
    np.testing.assert_allclose(moved, to_ntu25(source, "kinect_v1_sdk20")[0] + shift, atol=1e-5)


@pytest.mark.parametrize("source", ["utd_mhad20", "msr_action3d20", "kinect_v1_sdk20"])
def test_kinect_v1_orders_round_trip_direct_joints(source):
    out, valid = to_ntu25(to_source_order(STANDING_POSE, source), source)
    real = real_joint_mask(source)
    np.testing.assert_allclose(out[real], STANDING_POSE[real], atol=1e-6)
    assert valid.all()
    assert out[J["Neck"], 1] > out[J["SpineShoulder"], 1] and out[J["Neck"], 1] < out[J["Head"], 1]


def test_batch_shapes_confidence_and_non_finite():
    poses = np.repeat(to_source_order(STANDING_POSE, "kinect_v1_sdk20")[None, None], 3, axis=1)  # (1, 3, 20, 3)
    confidence = np.ones((1, 3, 20))
    confidence[0, 1, SOURCE_JOINT_NAMES["kinect_v1_sdk20"].index("head")] = 0.2
    poses[0, 2, SOURCE_JOINT_NAMES["kinect_v1_sdk20"].index("left_hand")] = np.nan
    out, valid = to_ntu25(poses, "kinect_v1_sdk20", confidence)
    assert out.shape == (1, 3, 25, 3) and valid.shape == (1, 3, 25)
    assert valid[0, 0].all()
    # A low-confidence head invalidates Head and the Neck built from it, nothing else.
    assert set(np.flatnonzero(~valid[0, 1])) == {J["Head"], J["Neck"]}
    # A NaN hand invalidates the hand and the tip/thumb extrapolated from it; invalid joints are zeros.
    assert set(np.flatnonzero(~valid[0, 2])) == {J["HandLeft"], J["HandTipLeft"], J["ThumbLeft"]}
    assert np.isfinite(out).all() and (out[0, 2, ~valid[0, 2]] == 0).all()
    with pytest.raises(ValueError, match="mediapipe33"):
        to_ntu25(np.zeros((20, 3)), "mediapipe33")
    with pytest.raises(ValueError, match="unknown joint source"):
        to_ntu25(np.zeros((20, 3)), "kinect_v3")


def _mediapipe_person_left_arm_raised() -> np.ndarray:
    """MediaPipe world landmarks (33, 3) of a person facing the camera with their LEFT arm raised overhead.

    MediaPipe convention: metres, hip-centred, x to the image's right, y down, z away from the camera. Facing the
    camera, the person's left side appears on the image's right, so left landmarks (odd indices 11, 13, ...) have
    x > 0. The raised left arm's wrist is above the head: y more negative than the ears.
    """
    world = np.zeros((33, 3))
    names = SOURCE_JOINT_NAMES["mediapipe33"]
    put = lambda name, xyz: world.__setitem__(names.index(name), xyz)  # noqa: E731
    for side, sign in (("left", 1.0), ("right", -1.0)):
        put(f"{side}_shoulder", (0.18 * sign, -0.5, 0.0))
        put(f"{side}_hip", (0.1 * sign, 0.0, 0.0))
        put(f"{side}_knee", (0.1 * sign, 0.45, 0.0))
        put(f"{side}_ankle", (0.1 * sign, 0.85, 0.05))
        put(f"{side}_heel", (0.1 * sign, 0.88, 0.08))
        put(f"{side}_foot_index", (0.1 * sign, 0.9, -0.08))
        put(f"{side}_ear", (0.07 * sign, -0.68, 0.02))
        for part in ("eye_inner", "eye", "eye_outer"):
            put(f"{side}_{part}", (0.03 * sign, -0.72, -0.08))
        put(f"mouth_{side}", (0.025 * sign, -0.64, -0.09))
    put("nose", (0.0, -0.69, -0.1))
    put("right_elbow", (-0.22, -0.23, 0.0))
    put("right_wrist", (-0.24, 0.0, 0.0))
    put("left_elbow", (0.25, -0.78, 0.0))  # the raised arm
    put("left_wrist", (0.28, -1.02, 0.0))
    for side, wrist_y, sign in (("left", -1.02, 1.0), ("right", 0.0, -1.0)):
        up = -1.0 if side == "left" else 1.0  # fingers point up on the raised arm, down on the other
        put(f"{side}_index", (0.27 * sign, wrist_y + 0.08 * up, 0.0))
        put(f"{side}_pinky", (0.3 * sign, wrist_y + 0.07 * up, 0.0))
        put(f"{side}_thumb", (0.26 * sign, wrist_y + 0.03 * up, -0.02))
    return world


def test_mediapipe_axes_person_facing_camera_left_arm_raised():
    out, valid = to_ntu25(_mediapipe_person_left_arm_raised(), "mediapipe33", np.ones(33))
    assert valid.all()
    # NTU X grows to the sensor's left = the right of a person facing it.
    assert out[J["ShoulderRight"], 0] > out[J["ShoulderLeft"], 0]
    assert out[J["ShoulderLeft"], 0] < 0 and out[J["HandLeft"], 0] < 0
    # Y up: the raised LEFT hand is above the head, the right hand below the shoulders; feet lowest.
    assert out[J["HandLeft"], 1] > out[J["Head"], 1] > out[J["Neck"], 1] > out[J["SpineShoulder"], 1]
    assert out[J["HandRight"], 1] < out[J["ShoulderRight"], 1]
    assert out[J["FootLeft"], 1] < out[J["KneeLeft"], 1] < out[J["SpineBase"], 1]
    assert out[J["HandTipLeft"], 1] > out[J["HandLeft"], 1] > out[J["WristLeft"], 1]
    # Z away from the camera: the toes point toward it, so FootLeft is nearer (smaller Z) than the ankle.
    assert out[J["FootLeft"], 2] < out[J["AnkleLeft"], 2]
    # A rotation, not a mirror: the body's chirality matches a real Kinect v2 skeleton (see test_datasets).
    right = out[J["ShoulderRight"]] - out[J["ShoulderLeft"]]
    up = out[J["SpineShoulder"]] - out[J["SpineBase"]]
    assert np.dot(np.cross(right, up), out[J["FootLeft"]] - out[J["AnkleLeft"]]) < 0


def test_mediapipe_shrug_moves_neither_head_nor_spine_and_hips_come_in():
    """Shoulders riding up (as MediaPipe's do when the arms go over the head) leave head and spine where Kinect's
    stay; the hips are drawn in to Kinect's hip width."""
    still = _mediapipe_person_left_arm_raised()
    shrug = still.copy()
    names = SOURCE_JOINT_NAMES["mediapipe33"]
    for side in ("left", "right"):
        shrug[names.index(f"{side}_shoulder"), 1] -= 0.06  # MediaPipe y points down: 6 cm up
    (before, after), valid = to_ntu25(np.stack([still, shrug]), "mediapipe33", np.ones((2, 33)))
    assert valid.all()
    np.testing.assert_allclose(after[J["Head"]], before[J["Head"]], atol=1e-6)
    for joint in ("Neck", "SpineShoulder", "SpineMid", "SpineBase"):  # SpineBase sits 1.3 % below the hip line
        np.testing.assert_allclose(after[J[joint]], before[J[joint]], atol=0.001, err_msg=joint)
    assert after[J["ShoulderLeft"], 1] - before[J["ShoulderLeft"], 1] == pytest.approx(0.06, abs=1e-6)
    source_width = np.linalg.norm(still[names.index("left_hip")] - still[names.index("right_hip")])
    ntu_width = np.linalg.norm(before[J["HipLeft"]] - before[J["HipRight"]])
    assert ntu_width == pytest.approx(joint_maps.HIP_ON_MID_HIPS_TO_HIP * source_width, rel=1e-5)


def test_mediapipe_without_hips_in_view_keeps_head_and_spine_shoulder_from_the_shoulders():
    """A desk webcam sees no hips: head, SpineShoulder and neck come from shoulders and ears (FALLBACK), the joints
    that need the hips are invalid; with hips in view the hip-based rules win."""
    world = _mediapipe_person_left_arm_raised()
    names = SOURCE_JOINT_NAMES["mediapipe33"]
    visibility = np.ones(33)
    hidden = [names.index(n) for n in names if n.split("_", 1)[-1] in ("hip", "knee", "ankle", "heel", "foot_index")]
    visibility[hidden] = 0.1
    desk, desk_valid = to_ntu25(world, "mediapipe33", visibility)
    full, full_valid = to_ntu25(world, "mediapipe33", np.ones(33))
    assert full_valid.all()
    for joint in ("Head", "SpineShoulder", "Neck", "ShoulderLeft", "HandTipRight"):
        assert desk_valid[J[joint]], joint
    for joint in ("SpineBase", "SpineMid", "HipLeft", "KneeRight"):
        assert not desk_valid[J[joint]] and not desk[J[joint]].any(), joint
    mid_shoulders = world[[names.index("left_shoulder"), names.index("right_shoulder")]].mean(0)
    mid_ears = world[[names.index("left_ear"), names.index("right_ear")]].mean(0)
    expected_head = (mid_shoulders + joint_maps.HEAD_ON_SHOULDERS_TO_EARS * (mid_ears - mid_shoulders)) * (-1, -1, 1)
    np.testing.assert_allclose(desk[J["Head"]], expected_head, atol=1e-6)
    assert not np.allclose(full[J["Head"]], desk[J["Head"]], atol=1e-4)  # the hip-based rule is the one used
    assert desk[J["Head"], 1] > desk[J["Neck"], 1] > desk[J["SpineShoulder"], 1]


def test_azure_axes_millimetres_person_facing_camera():
    names = SOURCE_JOINT_NAMES["azure32"]
    joints_mm = np.zeros((32, 3))
    joints_mm[:, 2] = 2000.0
    # Azure: x to the camera's right, y down. Facing the camera, the person's left is on the camera's right.
    joints_mm[names.index("SHOULDER_LEFT")] = (180, -450, 2000)
    joints_mm[names.index("SHOULDER_RIGHT")] = (-180, -450, 2000)
    joints_mm[names.index("HAND_LEFT")] = (260, -950, 1990)  # left hand raised
    joints_mm[names.index("HEAD")] = (0, -700, 2000)
    joints_mm[names.index("PELVIS")] = (0, 0, 2000)
    out, valid = to_ntu25(joints_mm, "azure32", confidence=np.full(32, 2))
    assert valid.all()
    assert out[J["ShoulderRight"], 0] == pytest.approx(0.18) and out[J["ShoulderLeft"], 0] == pytest.approx(-0.18)
    assert out[J["HandLeft"], 1] > out[J["Head"], 1] > out[J["SpineBase"], 1]
    assert out[J["Head"], 2] == pytest.approx(2.0)
    _, valid = to_ntu25(joints_mm, "azure32", confidence=np.zeros(32))  # confidence level NONE
    assert not valid.any()


def test_kinect_v1_synthesis_reproduces_real_kinect_v2_joints(shared_data):
    """Drop the joints Kinect v1 lacks from real NTU/GTU skeletons and rebuild them: errors stay small."""
    real = np.concatenate([clip.joints[:, 0][clip.valid[:, 0].all(axis=1)]
                           for name in ("ntu_samples", "gtu") for clip in load_dataset(name, shared_data).clips])
    rebuilt, _ = to_ntu25(to_source_order(real, "utd_mhad20"), "utd_mhad20")
    error = {name: float(np.median(np.linalg.norm(rebuilt[:, J[name]] - real[:, J[name]], axis=-1)))
             for name in ("SpineMid", "Neck", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight")}
    assert error["SpineMid"] < 0.01 and error["Neck"] < 0.03, error
    assert max(error.values()) < 0.06, error  # hand tips and thumbs: Kinect v2's own noise is about this size


def test_fitted_constants_match_the_table(shared_data):
    """Refit the Kinect v2 ratios on the real data: the constants in core.skeleton.joint_maps are those fits."""
    fits = [fit_kinect_v2(*frames) for frames in kinect_v2_frames(shared_data).values()]
    for key in fits[0]:
        if hasattr(joint_maps, key):
            assert np.mean([fit[key] for fit in fits]) == pytest.approx(getattr(joint_maps, key), abs=0.0015), key


@pytest.mark.slow
def test_mediapipe_on_real_video_matches_kinect_proportions_and_sides(shared_data):
    """MediaPipe on two webcam_arms clips (about 6 s): the mapped skeleton has Kinect v2 proportions, and in
    "wave the right hand" (the subject's right hand, on the image's left) NTU's HandRight is the one that moves."""
    videos = [shared_data / "webcam_arms" / name for name in ("PS7A2P1T1.avi", "PS7A1P1T1.avi")]
    wave_world, wave_visibility = mediapipe_video_landmarks(videos[:1])
    out, valid = to_ntu25(wave_world, "mediapipe33", wave_visibility)
    upper_body = [J[n] for n in ("ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft", "ShoulderRight", "ElbowRight",
                                 "WristRight", "HandRight", "Head", "SpineShoulder", "SpineBase")]
    assert len(out) > 50 and valid[:, upper_body].mean() > 0.9  # the legs leave the picture in these clips
    motion = {side: out[:, J[f"Hand{side}"]].std(axis=0).sum() for side in ("Left", "Right")}
    assert motion["Right"] > 3 * motion["Left"], motion
    assert (out[:, J["ShoulderRight"], 0] > out[:, J["ShoulderLeft"], 0]).mean() > 0.95
    assert (out[:, J["Head"], 1] > out[:, J["SpineShoulder"], 1]).all()
    assert (out[:, J["SpineShoulder"], 1] > out[:, J["SpineBase"], 1]).all()
    world, visibility = mediapipe_video_landmarks(videos[1:])
    raise_out, raise_valid = to_ntu25(world, "mediapipe33", visibility)
    # Arms raised sideways over the head: the head keeps its distance from SpineShoulder, as on Kinect v2 (GTU
    # 0.017 std / mean); built on the shoulder line it varied 0.134.
    keep = raise_valid[:, J["Head"]] & raise_valid[:, J["SpineShoulder"]]
    head = np.linalg.norm(raise_out[keep, J["Head"]] - raise_out[keep, J["SpineShoulder"]], axis=-1)
    assert keep.sum() > 50 and head.std() / head.mean() < 0.05, head.std() / head.mean()
    assert raise_out[keep, J["WristLeft"], 1].max() > raise_out[keep, J["Head"], 1].max()  # the arms did go up
    world, visibility = mediapipe_video_landmarks(videos[1:])
    out, valid = to_ntu25(np.concatenate([wave_world, world]), "mediapipe33",
                          np.concatenate([wave_visibility, visibility]))
    shoulders = (J["ShoulderLeft"], J["ShoulderRight"])
    kinect_v2 = {"Head": 0.764, "Hand": 0.275, "HandTip": 0.570, "Thumb": 0.364}  # joint_map_calibration, NTU+GTU
    mapped = {"Head": length_ratio(out, valid, (J["Head"],), shoulders, *shoulders)}
    for part in ("Hand", "HandTip", "Thumb"):
        mapped[part] = np.mean([length_ratio(out, valid, (J[f"{part}{s}"],), (J[f"Wrist{s}"],), J[f"Elbow{s}"],
                                             J[f"Wrist{s}"]) for s in ("Left", "Right")])
    for part, expected in kinect_v2.items():
        assert mapped[part] == pytest.approx(expected, rel=0.3), (part, mapped)
