"""Attribute measurements: synthetic motions with a known side, direction, sense, posture order and travel, their
left/right mirrors, and real clips whose side or direction is known (UTD-MHAD, Bandai-Namco, webcam_arms)."""

import csv

import numpy as np
import pytest
from io_fixtures import WAVING, ramp, right_hand_swipe, still_body, waving_clip

from core.skeleton.attributes import (
    describe_measured,
    global_window,
    measure_attributes,
    mirror_window,
)
from core.skeleton.layouts import NTU25
from core.skeleton.preprocess import normalize_sequence
from core.training.augment import mirror

J = NTU25.index
RIGHT_HAND = [J[n] for n in WAVING]
LEFT_HAND = [J[n] for n in ("WristLeft", "HandLeft", "HandTipLeft", "ThumbLeft")]
RIGHT_FOOT = [J[n] for n in ("AnkleRight", "FootRight")]
UPPER = [j for j in range(25) if NTU25.joint_names[j] not in ("KneeLeft", "KneeRight", "AnkleLeft", "AnkleRight",
                                                                "FootLeft", "FootRight")]


def _measure(joints):
    joints = np.asarray(joints, np.float32)
    valid = np.ones(joints.shape[:3], bool)
    return measure_attributes(normalize_sequence(joints, valid), global_window(joints, valid))


def _circle(clockwise=True, frames=60):
    """The right hand draws a circle in front of the chest, clockwise as the performer sees it."""
    joints = still_body(frames)
    angle = np.linspace(0, 2 * np.pi, frames) * (-1 if clockwise else 1)
    for j in RIGHT_HAND:
        joints[:, 0, j, 0] = 0.2 + 0.2 * np.cos(angle)
        joints[:, 0, j, 1] = 0.3 + 0.2 * np.sin(angle)
        joints[:, 0, j, 2] = 2.6
    return joints


def test_a_right_hand_swipe_to_the_left_and_its_mirror():
    for to_left in (True, False):
        measured = _measure(right_hand_swipe(to_left))
        assert measured["side.arm"]["right"] > 0.8
        direction = measured["direction.right_hand"]
        assert (direction["left"] > direction["right"]) == to_left, direction
    joints = right_hand_swipe(True)
    valid = np.ones(joints.shape[:3], bool)
    x = normalize_sequence(joints.astype(np.float32), valid)
    raw = global_window(joints, valid)
    flipped = measure_attributes(mirror(x), mirror_window(raw))
    assert flipped["side.arm"]["left"] > 0.8
    assert flipped["direction.left_hand"]["right"] > flipped["direction.left_hand"]["left"]
    original = measure_attributes(x, raw)
    assert flipped["side.arm"]["left"] == pytest.approx(original["side.arm"]["right"], abs=1e-6)
    assert flipped["direction.left_hand"]["right"] == pytest.approx(original["direction.right_hand"]["left"], abs=1e-6)


def test_circle_sense_is_the_performers_view_and_flips_in_the_mirror():
    for clockwise in (True, False):
        rotation = _measure(_circle(clockwise))["rotation.right_hand"]
        assert (rotation["clockwise"] > rotation["counterclockwise"]) == clockwise, rotation
    joints = _circle(True)
    valid = np.ones(joints.shape[:3], bool)
    flipped = measure_attributes(mirror(normalize_sequence(joints.astype(np.float32), valid)),
                                 mirror_window(global_window(joints, valid)))
    assert flipped["rotation.left_hand"]["counterclockwise"] > 0.8


def test_sitting_down_and_standing_up_are_told_apart_by_the_pelvis():
    joints = still_body(60)
    drop = 0.35 * ramp(60, 0.2, 0.8)
    for j in UPPER + [J["KneeLeft"], J["KneeRight"]]:
        joints[:, 0, j, 1] -= drop
    for knee in (J["KneeLeft"], J["KneeRight"]):
        joints[:, 0, knee, 2] -= 1.2 * drop  # the thighs come forward, level
    down = _measure(joints)["posture"]
    up = _measure(joints[::-1])["posture"]
    assert down["stand_to_sit"] > 0.9 and up["sit_to_stand"] > 0.9
    assert _measure(still_body())["posture"]["none"] > 0.9


def test_lying_down_reads_stand_to_lie():
    joints = still_body(60)
    fall = ramp(60, 0.2, 0.8)
    pelvis = joints[0, 0, J["SpineBase"]].copy()
    for j in range(25):
        offset = joints[0, 0, j] - pelvis
        angle = fall * np.pi / 2  # the body tips back onto the floor about the pelvis
        joints[:, 0, j, 1] = pelvis[1] - 0.8 * fall + offset[1] * np.cos(angle)
        joints[:, 0, j, 2] = pelvis[2] + offset[1] * np.sin(angle) + offset[2]
    assert max(_measure(joints)["posture"], key=_measure(joints)["posture"].get) == "stand_to_lie"


def _turning(degrees, frames=60, walk=(0.0, 0.0)):
    """The standing body turned about its pelvis by `degrees` to its left over the clip (negative: right), the
    pelvis moved by walk (x, z) metres in camera axes."""
    joints = still_body(frames)
    pelvis = joints[0, 0, J["SpineBase"]].copy()
    for t in range(frames):
        phi = np.radians(degrees) * t / (frames - 1)
        offset = joints[t, 0] - pelvis
        x, z = offset[:, 0], offset[:, 2]
        joints[t, 0, :, 0] = pelvis[0] + x * np.cos(phi) + z * np.sin(phi) + walk[0] * t / (frames - 1)
        joints[t, 0, :, 2] = pelvis[2] - x * np.sin(phi) + z * np.cos(phi) + walk[1] * t / (frames - 1)
    return joints


def test_turning_and_travel_come_from_the_global_window():
    assert _measure(_turning(90))["turn"]["left"] > 0.9
    assert _measure(_turning(-90))["turn"]["right"] > 0.9
    assert _measure(_turning(0))["turn"]["none"] > 0.9
    assert _measure(_turning(0, walk=(0.0, -2.0)))["travel"]["forward"] > 0.9  # towards the sensor it faces
    assert _measure(_turning(0, walk=(0.0, 2.0)))["travel"]["backward"] > 0.9
    assert _measure(_turning(0, walk=(1.5, 0.0)))["travel"]["right"] > 0.9  # +x is the performer's right
    assert _measure(_turning(0))["travel"]["in_place"] > 0.9
    joints = _turning(90).astype(np.float32)
    assert "turn" not in measure_attributes(normalize_sequence(joints, np.ones(joints.shape[:3], bool)))


def test_lean_side_and_both_hands():
    joints = still_body(60)
    pelvis = joints[0, 0, J["SpineBase"]].copy()
    tilt = np.radians(25) * ramp(60, 0.2, 0.6)
    for j in UPPER:
        offset = joints[0, 0, j] - pelvis
        joints[:, 0, j, 0] = pelvis[0] + offset[0] * np.cos(tilt) + offset[1] * np.sin(tilt)
        joints[:, 0, j, 1] = pelvis[1] - offset[0] * np.sin(tilt) + offset[1] * np.cos(tilt)
    assert _measure(joints)["lean"]["right"] > 0.8
    both = still_body(60)
    rise = ramp(60, 0.1, 0.5)
    for j in RIGHT_HAND + LEFT_HAND:
        both[:, 0, j, 1] += 1.0 * rise
    measured = _measure(both)
    assert measured["side.arm"]["both"] > 0.8 and measured["direction.both_hands"]["up"] > 0.5


def test_a_forward_kick_with_the_right_leg():
    joints = still_body(60)
    kick = np.minimum(ramp(60, 0.2, 0.45), 1 - ramp(60, 0.55, 0.8))
    for j in RIGHT_FOOT:
        joints[:, 0, j, 1] += 0.5 * kick
        joints[:, 0, j, 2] -= 0.6 * kick
    joints[:, 0, J["KneeRight"], 2] -= 0.3 * kick
    measured = _measure(joints)
    assert measured["side.leg"]["right"] > 0.8 and measured["limb"]["leg"] > 0.5
    direction = measured["direction.right_foot"]
    assert direction["forward"] > direction["backward"] and direction["forward"] > direction["sideways"]


def test_waving_repeats_and_a_single_raise_does_not():
    clip = waving_clip(seconds=3.0)
    waving = measure_attributes(normalize_sequence(clip.joints, clip.valid), global_window(clip.joints, clip.valid))
    assert waving["repetition.right_hand"]["repeated"] > 0.8
    assert describe_measured(waving)["side"] == "right"
    once = still_body(60)
    rise = np.minimum(ramp(60, 0.1, 0.4), 1 - ramp(60, 0.6, 0.9))
    for j in RIGHT_HAND:
        once[:, 0, j, 1] += 0.8 * rise
    assert _measure(once)["repetition.right_hand"]["once"] > 0.7


def test_every_measurement_is_a_distribution_and_a_short_window_has_none():
    for values in _measure(right_hand_swipe()).values():
        assert sum(values.values()) == pytest.approx(1.0) and min(values.values()) >= 0
    joints = np.zeros((3, 1, 25, 3), np.float32)
    assert global_window(joints, np.zeros((3, 1, 25), bool)) is None


# ---- real clips ------------------------------------------------------------------------------------------

def _dataset_measures(name, classes):
    from core.readers.datasets import load_dataset

    dataset = load_dataset(name)
    out = {}
    for clip in dataset.clips:
        label = dataset.class_names[clip.label]
        if label in classes:
            out.setdefault(label, []).append(measure_attributes(normalize_sequence(clip.joints, clip.valid),
                                                                global_window(clip.joints, clip.valid)))
    return out


def _share(measures, key, value, other):
    return np.mean([m[key][value] > m[key][other] for m in measures])


def test_utd_mhad_swipes_circles_and_posture_order(shared_data):
    got = _dataset_measures("utd_mhad", {"right arm swipe to the left", "right arm swipe to the right",
                                         "right hand draw circle (clockwise)",
                                         "right hand draw circle (counter clockwise)", "sit to stand",
                                         "stand to sit"})
    assert _share(got["right arm swipe to the left"], "direction.right_hand", "left", "right") >= 0.95
    assert _share(got["right arm swipe to the right"], "direction.right_hand", "right", "left") >= 0.95
    assert _share(got["right hand draw circle (clockwise)"], "rotation.right_hand", "clockwise",
                  "counterclockwise") >= 0.95
    assert _share(got["right hand draw circle (counter clockwise)"], "rotation.right_hand", "counterclockwise",
                  "clockwise") >= 0.95
    assert _share(got["sit to stand"], "posture", "sit_to_stand", "stand_to_sit") >= 0.95
    assert _share(got["stand to sit"], "posture", "stand_to_sit", "sit_to_stand") >= 0.95
    for label, measures in got.items():
        if label.startswith("right"):
            assert _share(measures, "side.arm", "right", "left") >= 0.95, label


def test_bandai_namco_sides_and_turns(shared_data):
    classes = {"raise up the left hand": "left", "raise up the right hand": "right", "raise up both hands": "both",
               "wave the left hand": "left", "wave the right hand": "right", "wave both hands": "both"}
    got = _dataset_measures("bandai_namco", set(classes) | {"walk turning left", "walk turning right"})
    for label, side in classes.items():
        best = [max(m["side.arm"], key=m["side.arm"].get) for m in got[label]]
        assert np.mean([b == side for b in best]) >= 0.95, label
    assert _share(got["walk turning left"], "turn", "left", "right") >= 0.95
    assert _share(got["walk turning right"], "turn", "right", "left") >= 0.95


@pytest.mark.slow
def test_webcam_arms_sideways_forward_and_the_right_hand(shared_data):
    pytest.importorskip("mediapipe")
    from core.clips.video_pose import video_skeleton

    folder = shared_data / "webcam_arms"
    rows = list(csv.DictReader((folder / "labels.csv").open()))
    results = {}
    for row in rows:
        skeleton = video_skeleton(folder / row["file"])
        keep = skeleton.valid.any(axis=(1, 2))
        joints, valid = skeleton.joints[keep], skeleton.valid[keep]
        results.setdefault(row["label"], []).append(
            measure_attributes(normalize_sequence(joints, valid), global_window(joints, valid)))
    sideways = results["raise both arms sideways over the head"]
    forward = results["raise both arms forward over the head"]
    assert _share(sideways, "direction.both_hands", "sideways", "forward") >= 7 / 9
    assert _share(forward, "direction.both_hands", "forward", "sideways") >= 7 / 9
    assert _share(results["wave the right hand"], "side.arm", "right", "left") == 1.0
    for measures in (sideways, forward):
        assert np.mean([max(m["side.arm"], key=m["side.arm"].get) == "both" for m in measures]) >= 8 / 9
