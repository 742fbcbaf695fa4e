"""`smie pretrain --holdout-draw`: a drawn share of the classes held out, closed under the cover relation, so the
second model `smie calibrate` reads trains on nothing that teaches one of its pseudo-unseen classes."""

import pytest
from io_fixtures import class_arrays

from core.readers.class_meaning import covers, read_meaning_table
from core.training.experiment import choose_split
from core.training.protocols import class_dataset_pairs, drawn_holdout
from core.training.training_data import pool

# a chain: wave right ~ wave one hand ~ wave left ~ wave both; jump ~ hop; crouch, clap, sit, swim stand alone
TABLE = """class\ta\twave the right hand\twave_right
class\ta\tjump\tjump
class\ta\tcrouch\tcrouch
class\ta\tsit\tsit
class\tb\thand waving\twave_one
class\tb\thop\thop
class\tb\tclap\tclap
class\tb\twave the left hand\twave_left
class\tb\twave both hands\twave_both
class\tb\tswim\tswim
overlap\twave_right\twave_one
overlap\twave_one\twave_left
overlap\twave_left\twave_both
overlap\tjump\thop
"""


def _arrays(dataset: str, names: list[str]):
    return class_arrays(dataset, names, per_class=2, frames=8)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "pooled.tsv"
    path.write_text(TABLE, encoding="utf-8")
    return read_meaning_table(path, ["a", "b"])


@pytest.fixture
def arrays():
    return pool([_arrays("a", ["wave the right hand", "jump", "crouch", "sit"]),
                 _arrays("b", ["hand waving", "hop", "clap", "wave the left hand", "wave both hands", "swim"])])


@pytest.mark.parametrize("seed", range(8))
def test_no_class_left_seen_covers_a_held_out_one(arrays, table, seed):
    held = drawn_holdout(arrays, 0.2, seed, table)
    seen = [n for n in arrays.class_names if n not in held]
    assert held and seen
    assert held == [n for n in arrays.class_names if n in held], "in the arrays' class order"
    pairs = class_dataset_pairs(arrays)
    for h in held:
        for s in seen:
            assert not any(covers(p, q, table) for p in pairs[s] for q in pairs[h]), (h, s)


def test_a_drawn_wave_takes_the_whole_chain_of_waves_and_nothing_else(arrays, table):
    waves = {"wave the right hand", "hand waving", "wave the left hand", "wave both hands"}
    seeds = [s for s in range(40) if "wave the left hand" in drawn_holdout(arrays, 0.1, s, table)]
    assert seeds, "some seed draws a wave"
    for seed in seeds:  # 0.1 of 10 classes draws one: its chain comes along, transitively
        assert set(drawn_holdout(arrays, 0.1, seed, table)) == waves


def test_a_class_pooled_from_two_datasets_is_checked_in_each():
    arrays = pool([_arrays("a", ["wave", "jump"]), _arrays("b", ["wave"])])
    assert class_dataset_pairs(arrays) == {"wave": [("a", "wave"), ("b", "wave")], "jump": [("a", "jump")]}


def test_the_same_seed_draws_the_same_classes(arrays, table):
    assert drawn_holdout(arrays, 0.3, 5, table) == drawn_holdout(arrays, 0.3, 5, table)


def test_bad_fractions_are_refused_naming_the_value(arrays, table):
    for fraction in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match=f"holdout fraction {fraction}"):
            drawn_holdout(arrays, fraction, 0, table)


def test_holding_out_everything_is_refused(table):
    chain = pool([_arrays("a", ["wave the right hand"]), _arrays("b", ["hand waving", "wave the left hand"])])
    with pytest.raises(ValueError, match="leaves none seen"):
        drawn_holdout(chain, 0.3, 0, table)


def test_only_one_way_of_choosing_unseen_classes_at_a_time(arrays):
    with pytest.raises(ValueError, match="--holdout and --holdout-draw"):
        choose_split(arrays, None, "jump", 0.2)
    with pytest.raises(ValueError, match="--protocol and --holdout-draw"):
        choose_split(arrays, "utd_mhad:ru5", None, 0.2)


def test_the_shipped_table_decides_for_registered_datasets():
    arrays = pool([_arrays("utd_mhad", ["right hand wave", "two hand front clap", "jogging in place", "sit to stand"]),
                   _arrays("msr_action3d", ["high arm wave", "hand clap", "jogging"])])
    split = choose_split(arrays, None, None, 0.4, seed=0)
    assert split.name == "holdout-draw-0.4-seed0"
    held = set(split.unseen_names)
    groups = ({"right hand wave", "high arm wave"}, {"two hand front clap", "hand clap"},
              {"jogging in place", "jogging"})
    for group in groups:
        assert group <= held or not group & held, f"{group} split across seen and unseen"
