"""The pooled-classes table: every registered class has a meaning key, side stays in the key, overlaps are at least
as strict as the hand-written UTD-MHAD cover table, and bad rows are named."""

import re

import pytest

from core.readers.class_meaning import (
    POOLED_CLASSES_FILE,
    MeaningTableError,
    covering_classes,
    covers,
    meaning_key,
    pooled_table,
    read_meaning_table,
    same_meaning,
)
from core.readers.datasets import dataset_names, load_dataset
from core.readers.label_presets import load_preset
from core.training.protocols import UTD_COVER_CHECKED, UTD_COVERED_BY_POOL

PRESET_OF = {"ntu_samples": "ntu120"}  # the NTU samples use the NTU-120 names


@pytest.mark.parametrize("dataset", dataset_names())
def test_every_class_of_the_label_files_has_a_row(dataset):
    names = [label.name for label in load_preset(PRESET_OF.get(dataset, dataset))]
    missing = [name for name in names if (dataset, " ".join(name.lower().split())) not in pooled_table().keys]
    assert not missing, f"{dataset}: no row in {POOLED_CLASSES_FILE.name} for {missing}"


@pytest.mark.parametrize("dataset", dataset_names())
def test_every_class_of_the_registered_data_has_a_row(shared_data, dataset):
    for name in load_dataset(dataset).class_names:
        meaning_key(dataset, name)  # raw names too ("sitDown"): a KeyError names the class


def test_the_table_covers_every_pair_of_the_utd_mhad_cover_table():
    table = pooled_table()
    by_name: dict[str, list[str]] = {}
    for dataset, name in table.keys:
        by_name.setdefault(name, []).append(dataset)
    for utd_class, covering in UTD_COVERED_BY_POOL.items():
        for name in covering:
            datasets = [d for d in by_name.get(name.lower(), []) if d in UTD_COVER_CHECKED]
            assert datasets, f"{name!r} (covering {utd_class!r}) is no class of a pooled dataset"
            for dataset in datasets:
                assert covers((dataset, name), ("utd_mhad", utd_class)), (dataset, name, utd_class)


def _swap_sides(name: str) -> str:
    return re.sub(r"\b(left|right)\b", lambda m: "right" if m.group(1) == "left" else "left", name)


def test_classes_that_differ_in_side_or_direction_get_different_keys_that_overlap():
    table = pooled_table()
    pairs = [(key, (dataset, _swap_sides(name))) for key, (dataset, name) in
             ((k, pair) for pair, k in table.keys.items()) if (dataset, _swap_sides(name)) in table.keys
             and _swap_sides(name) != name]
    assert len(pairs) >= 20, "the registry has many left/right pairs"
    for key, mirrored in pairs:
        assert table.keys[mirrored] != key, f"{mirrored} shares the key {key!r} of its other side"
    assert not same_meaning(("gtu", "wave the left hand"), ("gtu", "wave the right hand"))
    assert covers(("gtu", "wave the left hand"), ("utd_mhad", "right hand wave")), "a mirrored wave teaches it"
    assert not same_meaning(("kinder_gator", "raise one hand"), ("kinder_gator", "raise the right hand"))
    assert covers(("kinder_gator", "raise one hand"), ("bandai_namco", "raise up the right hand"))
    assert not same_meaning(("utd_mhad", "right arm swipe to the left"), ("utd_mhad", "right arm swipe to the right"))


def test_the_same_action_named_differently_shares_one_key():
    assert same_meaning(("ntu_samples", "hand waving"), ("kinder_gator", "wave one hand"))
    assert same_meaning(("utkinect", "sitDown"), ("ntu_samples", "sitting down"))
    assert same_meaning(("msr_action3d", "draw circle"), ("kinder_gator", "draw a circle in the air"))
    assert not same_meaning(("msr_action3d", "draw circle"), ("utd_mhad", "right hand draw circle (clockwise)"))
    assert covers(("msr_action3d", "draw circle"), ("utd_mhad", "right hand draw circle (clockwise)"))
    assert not covers(("msr_action3d", "hammer"), ("msr_action3d", "golf swing"))


def test_covering_classes_lists_each_candidate_with_what_it_covers():
    found = covering_classes([("utd_mhad", "right hand wave"), ("utd_mhad", "tennis serve")],
                             [("gtu", "wave the left hand"), ("gtu", "crouch down"), ("msr_action3d", "tennis serve")])
    assert found == {("gtu", "wave the left hand"): [("utd_mhad", "right hand wave")],
                     ("msr_action3d", "tennis serve"): [("utd_mhad", "tennis serve")]}


GOOD_ROWS = "class\talpha\twave\twave\nclass\tbeta\twave the left hand\twave_left\n"


@pytest.mark.parametrize("bad_row, message", [
    ("class\tomega\tjump\tjump\n", "line 4: unknown dataset 'omega'"),
    ("class\talpha\tWave\twave\n", "line 4: alpha class 'Wave' listed twice (first on line 1)"),
    ("overlap\twave\twave_left,kick\n", "line 4: overlap names key(s) ['kick'] that no class row has"),
    ("overlap\twave\twave\n", "line 4: key 'wave' overlaps itself"),
    ("class\tbeta\twave\n", "line 4: expected 'class<TAB>dataset<TAB>name<TAB>key'"),
    ("class\tbeta\twave\twave_both\n", "line 4: beta class 'wave' has key 'wave_both', but alpha gives"),
])
def test_a_bad_row_is_an_error_naming_its_line(tmp_path, bad_row, message):
    path = tmp_path / "pooled.tsv"
    path.write_text(GOOD_ROWS + "# a comment\n" + bad_row, encoding="utf-8")
    with pytest.raises(MeaningTableError, match=re.escape(f"pooled.tsv {message}")):
        read_meaning_table(path, ["alpha", "beta"])


def test_overlaps_are_symmetric_and_an_unknown_class_is_named(tmp_path):
    path = tmp_path / "pooled.tsv"
    path.write_text(GOOD_ROWS + "overlap\twave_left\twave\twhy\n", encoding="utf-8")
    table = read_meaning_table(path, ["alpha", "beta"])
    assert covers(("alpha", "wave"), ("beta", "wave the left hand"), table)
    assert covers(("beta", "wave the left hand"), ("alpha", "wave"), table)
    with pytest.raises(KeyError, match="alpha: class 'jump' has no row"):
        table.meaning_key("alpha", "jump")
