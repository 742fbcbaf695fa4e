"""Label presets and descriptions: every class described, names match the datasets, near-duplicates distinct."""

import pytest

from core.readers.label_presets import (
    describe,
    labels_from_options,
    load_preset,
    lookup_key,
    preset_names,
    read_label_file,
    readable_name,
)
from core.readers.labels import MAX_LABEL_LENGTH, LabelSpec

EXPECTED_SIZES = {"ntu60": 60, "ntu120": 120, "pku_mmd": 51, "utd_mhad": 27, "msr_action3d": 20, "utkinect": 10,
                  "gtu": 14, "kinder_gator": 69, "msrc12": 12, "bandai_namco": 25, "hdm05": 11}


def test_every_preset_has_its_size_and_a_description_per_class():
    assert set(EXPECTED_SIZES) <= set(preset_names()), preset_names()
    for name, size in EXPECTED_SIZES.items():
        labels = load_preset(name)
        assert len(labels) == size, (name, len(labels))
        assert len({lookup_key(label.name) for label in labels}) == size, f"{name} repeats a class"
        undescribed = [label.name for label in labels if not label.description]
        assert not undescribed, f"{name}: no description for {undescribed}"
        for label in labels:
            words = label.description.split()
            assert 8 <= len(words) <= 60, f"{name}/{label.name}: description of {len(words)} words"


def test_descriptions_are_one_per_class_not_shared():
    seen = {}
    for name in EXPECTED_SIZES:
        for label in load_preset(name):
            other = seen.setdefault(label.description, lookup_key(label.name))
            # the same sentence may only serve the same class name in two presets (e.g. NTU-60 inside NTU-120)
            assert other == lookup_key(label.name), f"{label.name!r} and {other!r} share one description"


def test_ntu60_is_the_first_half_of_ntu120_and_pku_is_alphabetical():
    ntu120 = [label.name for label in load_preset("ntu120")]
    assert [label.name for label in load_preset("ntu60")] == ntu120[:60]
    pku = [label.name for label in load_preset("pku_mmd")]
    assert pku == sorted(pku), "PKU-MMD class indices follow alphabetical order"
    assert set(map(lookup_key, pku)) - set(map(lookup_key, ntu120)) == {
        "bow", "standing up", "put something inside pocket", "take out something from pocket"}


def test_presets_match_the_dataset_class_files(shared_data):
    def lines(path):
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    assert [label.name for label in load_preset("ntu120")] == lines(shared_data / "text" / "label_map_ntu120.txt")
    assert [label.name for label in load_preset("utd_mhad")] == lines(shared_data / "utd_mhad" / "classes.txt")
    assert [label.name for label in load_preset("msr_action3d")] == lines(shared_data / "msr_action3d" / "classes.txt")
    gtu = [line.split("\t")[4] for line in lines(shared_data / "gtu" / "classes.txt")]
    assert [label.name for label in load_preset("gtu")] == gtu
    utkinect = lines(shared_data / "utkinect" / "classes.txt")  # camelCase there ("sitDown"), words here
    assert [lookup_key(label.name) for label in load_preset("utkinect")] == [lookup_key(n) for n in utkinect]


def test_near_duplicates_are_told_apart():
    def text(name):
        description = describe(name)
        assert description, name
        return description.lower()

    assert "to the performer's left" in text("right arm swipe to the left")
    assert "out to the performer's right" in text("right arm swipe to the right")
    assert text("sit to stand").startswith("starting seated") and "ending standing" in text("sit to stand")
    assert text("stand to sit").startswith("starting standing") and "ending seated" in text("stand to sit")
    clockwise = text("right hand draw circle (clockwise)")
    counter = text("right hand draw circle (counter clockwise)")
    assert "clockwise from the performer's own view" in clockwise and "counter-clockwise from the camera" in clockwise
    assert "counter-clockwise from the performer's own view" in counter and "clockwise from the camera" in counter
    assert "right hand" in text("wave the right hand") and "left arm hangs still" in text("wave the right hand")
    assert "left hand" in text("wave the left hand") and "right arm hangs still" in text("wave the left hand")
    assert "standing on the left leg" in text("stretch the right leg")
    assert "standing on the right leg" in text("stretch the left leg")
    assert "thumb pointing up" in text("thumb up") and "thumb pointing down" in text("thumb down")


def test_describe_matches_names_loosely_and_returns_none_for_unknown():
    assert describe("sitDown") == describe("sit down") == describe("  SIT   Down ")
    assert describe("moonwalk backwards on the ceiling") is None


def test_unknown_preset_names_the_available_ones():
    with pytest.raises(ValueError, match="available: .*ntu60"):
        load_preset("ntu61")


def test_read_label_file_with_optional_descriptions(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("# my labels\nwave\n\nraise both arms\tboth arms go up over the head\n", encoding="utf-8")
    assert read_label_file(path) == [LabelSpec("wave"), LabelSpec("raise both arms", "both arms go up over the head")]
    path.write_text("wave\n\tno name here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"mine.txt:2: empty class name"):
        read_label_file(path)
    with pytest.raises(ValueError, match="cannot read"):
        read_label_file(tmp_path / "missing.txt")


def test_readable_name_splits_camel_case_only():
    assert readable_name("sitDown") == "sit down" and readable_name("clapHands") == "clap hands"
    assert readable_name("right hand wave") == "right hand wave" and readable_name("draw X") == "draw X"


def test_command_line_labels_over_the_length_limit_are_refused_by_name(tmp_path):
    long_name = "x" * (MAX_LABEL_LENGTH + 1)
    with pytest.raises(ValueError, match=f"--labels: label .* has {MAX_LABEL_LENGTH + 1} characters; .* at most 120"):
        labels_from_options(labels_text=f"wave,{long_name}")
    label_file = tmp_path / "labels.txt"
    label_file.write_text(f"wave\n{long_name}\n")
    with pytest.raises(ValueError, match=r"--labels-file .*labels.txt: label"):
        labels_from_options(labels_file=label_file)
    assert [label.name for label in read_label_file(label_file)] == ["wave", long_name], "the reader itself keeps all"
    assert len(labels_from_options(labels_text="x" * MAX_LABEL_LENGTH)) == 1
