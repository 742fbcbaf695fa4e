"""Attributes read from label text: the real label lists, the rotation and "left over" traps, opposite and
mirrored forms, and pairs of labels that differ only in attribute words."""

import re

import pytest

from core.readers.label_attributes import (
    ATTRIBUTES,
    attribute_free_text,
    attribute_pairs,
    mirrored_label,
    opposite_forms,
    opposite_label,
    parse_label_attributes,
)
from core.readers.label_presets import load_preset, preset_names

P = parse_label_attributes

UTD_EXPECTED = {
    "right arm swipe to the left": {"side": "right", "limb": "arm", "direction": "left"},
    "right arm swipe to the right": {"side": "right", "limb": "arm", "direction": "right"},
    "right hand wave": {"side": "right", "limb": "arm"},
    "two hand front clap": {"side": "both", "limb": "arm"},
    "right hand draw circle (clockwise)": {"side": "right", "limb": "arm", "rotation": "clockwise"},
    "right hand draw circle (counter clockwise)": {"side": "right", "limb": "arm", "rotation": "counterclockwise"},
    "basketball shoot": {},
    "baseball swing from right": {},
    "tennis serve": {},
    "sit to stand": {"posture": "sit_to_stand"},
    "stand to sit": {"posture": "stand_to_sit"},
    "forward lunge (left foot forward)": {"side": "left", "limb": "leg", "direction": "forward"},
    "jogging in place": {"travel": "in_place"},
    "bowling (right hand)": {"side": "right", "limb": "arm"},
}
OTHER_EXPECTED = {  # Bandai-Namco, HDM05, GTU, Kinder-Gator, MSR Action3D, MSRC-12, NTU, webcam_arms
    "walk turning left": {"turn": "left"},
    "walk forward and to the right": {"travel": "right"},
    "walk backwards": {"travel": "backward"},
    "raise up both hands": {"side": "both", "limb": "arm", "direction": "up"},
    "raise up the left hand": {"side": "left", "limb": "arm", "direction": "up"},
    "wave goodbye with the right hand": {"side": "right", "limb": "arm"},
    "jog in a circle to the left, right foot first": {"turn": "left", "limb": "leg"},
    "kick forward with the left leg": {"side": "left", "limb": "leg", "direction": "forward"},
    "lie down on the floor": {"posture": "stand_to_lie"},
    "rotate both arms backward": {"side": "both", "limb": "arm", "rotation": "backward"},
    "hop once on both legs": {"side": "both", "limb": "leg", "repetition": "once"},
    "touch the right knee with the left elbow": {},  # two sides, two limbs: nothing certain
    "take eight side steps to the right and left": {},
    "bend the waist sideways to the right and left": {},
    "stretch the left leg": {"side": "left", "limb": "leg"},
    "lean to the left with the hands on the hips": {"lean": "left"},
    "lift the right leg out to the side": {"side": "right", "limb": "leg", "direction": "sideways"},
    "raise the left arm out to the side": {"side": "left", "limb": "arm", "direction": "sideways"},
    "side kick": {"limb": "leg", "direction": "sideways"},
    "push right": {"direction": "right"},
    "sitting down": {"posture": "stand_to_sit"},
    "standing up (from sitting position)": {"posture": "sit_to_stand"},
    "sit down on a chair and stand up": {},  # both orders in one label
    "raise both arms sideways over the head": {"side": "both", "limb": "arm", "direction": "sideways"},
    "raise both arms forward over the head": {"side": "both", "limb": "arm", "direction": "forward"},
    "drink water": {},
}


@pytest.mark.parametrize("name, expected", list(UTD_EXPECTED.items()) + list(OTHER_EXPECTED.items()))
def test_labels_of_the_datasets_parse_to_their_attributes(name, expected):
    assert P(name) == expected


def _all_preset_names():
    return [label.name for preset in preset_names() for label in load_preset(preset)]


def test_every_preset_label_parses_into_the_vocabulary():
    names = _all_preset_names()
    assert len(names) > 300
    for name in names:
        for attribute, value in P(name).items():
            assert value in ATTRIBUTES[attribute].values, (name, attribute, value)


@pytest.mark.parametrize("text", ["draw a circle counter clockwise", "draw a circle counter-clockwise",
                                  "draw a circle counterclockwise", "draw a circle anticlockwise",
                                  "draw a circle anti-clockwise", "Right Hand Draw Circle (Counter Clockwise)",
                                  "turn the wheel CCW"])
def test_counter_clockwise_and_anticlockwise_never_read_as_clockwise(text):
    assert P(text)["rotation"] == "counterclockwise"
    assert P(text.lower().replace("counter", "").replace("anti", "").replace("ccw", "clockwise").replace("-", ""))[
        "rotation"] == "clockwise"


def test_counter_clockwise_in_every_label_list_reads_counterclockwise(shared_data):
    names = _all_preset_names() + (shared_data / "utd_mhad" / "classes.txt").read_text().splitlines()
    for name in names:
        if re.search(r"(counter|anti)[\s-]?clockwise", name, re.IGNORECASE):
            assert P(name)["rotation"] == "counterclockwise", name


@pytest.mark.parametrize("text", ["eat the leftovers", "put the left over food away", "pick up what is left over",
                                  "he has left the room", "all right, stand still", "sit down right away"])
def test_left_and_right_that_name_no_side_give_no_side(text):
    attributes = P(text)
    assert "side" not in attributes and attributes.get("direction") not in ("left", "right"), attributes


def test_a_label_naming_nothing_gets_no_attributes(shared_data):
    for name in ("drink water", "tennis serve", "basketball shoot", "clapping", "jump", "reading", "golf swing"):
        assert P(name) == {}, name
    ntu = (shared_data / "text" / "label_map_ntu120.txt").read_text(encoding="utf-8").splitlines()
    named = [n for n in ntu if P(n)]
    assert 20 < len(named) < 80, named  # most NTU names name a limb at most


def test_descriptions_fill_in_only_side_limb_and_rotation():
    assert P("salute", "The right hand snaps up to the forehead, then drops to the side.") == {
        "side": "right", "limb": "arm"}
    assert P("wave the left hand", "The right arm hangs still.")["side"] == "left"  # the name wins


def test_mirrored_labels_swap_sides_and_rotation_sense():
    assert mirrored_label("right hand draw circle (clockwise)") == "left hand draw circle (counter clockwise)"
    assert mirrored_label("right hand draw circle (counter clockwise)") == "left hand draw circle (clockwise)"
    assert mirrored_label("Right arm swipe to the left") == "Left arm swipe to the right"
    assert mirrored_label("wave the left hand") == "wave the right hand"
    assert mirrored_label("eat the leftovers") == "eat the leftovers"
    assert mirrored_label("put the left over food away with the right hand") == \
        "put the left over food away with the left hand"
    assert mirrored_label("sit to stand") == "sit to stand"


def test_opposite_forms_parse_to_the_opposite_value_and_change_nothing_else():
    assert opposite_label("sit to stand", "posture") == "stand to sit"
    assert opposite_label("sitting down", "posture") == "standing up"
    assert opposite_label("right arm swipe to the left", "direction") == "right arm swipe to the right"
    assert opposite_label("right arm swipe to the left", "side") == "left arm swipe to the left"
    assert opposite_label("raise up both hands", "side") is None  # "both" has no opposite
    flips = {"left": "right", "right": "left", "clockwise": "counterclockwise", "counterclockwise": "clockwise",
             "forward": "backward", "backward": "forward", "sit_to_stand": "stand_to_sit",
             "stand_to_sit": "sit_to_stand", "stand_to_lie": "lie_to_stand", "lie_to_stand": "stand_to_lie"}
    for name in _all_preset_names() + list(UTD_EXPECTED) + list(OTHER_EXPECTED):
        before = P(name)
        for attribute, flipped in opposite_forms(name).items():
            after = P(flipped)
            assert after.get(attribute) == flips[before[attribute]], (name, flipped, after)
            assert {k: v for k, v in after.items() if k != attribute} == \
                {k: v for k, v in before.items() if k != attribute}, (name, flipped)


def test_pairs_that_differ_only_in_attribute_words_on_utd_mhad(shared_data):
    names = (shared_data / "utd_mhad" / "classes.txt").read_text().splitlines()
    pairs = {(names[i], names[j]) for i, j in attribute_pairs(names)}
    assert pairs == {("right arm swipe to the left", "right arm swipe to the right"),
                     ("right hand draw circle (clockwise)", "right hand draw circle (counter clockwise)"),
                     ("sit to stand", "stand to sit")}
    assert attribute_free_text("right arm swipe to the left") == attribute_free_text("right arm swipe to the right")


def test_pairs_on_bandai_namco_and_webcam_names():
    names = [label.name for label in load_preset("bandai_namco")]
    pairs = {frozenset((names[i], names[j])) for i, j in attribute_pairs(names)}
    assert frozenset(("wave the left hand", "wave the right hand")) in pairs
    assert frozenset(("raise up the left hand", "raise up both hands")) in pairs
    assert frozenset(("walk turning left", "walk turning right")) in pairs
    assert frozenset(("walk", "run")) not in pairs
    webcam = ["raise both arms sideways over the head", "raise both arms forward over the head", "wave the right hand"]
    assert attribute_pairs(webcam) == [(0, 1)]


def test_the_parser_stays_light():
    import subprocess
    import sys

    code = "import sys, core.readers.label_attributes; print('numpy' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
