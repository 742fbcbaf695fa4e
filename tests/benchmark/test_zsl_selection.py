"""Honest text-mode selection: pseudo-unseen classes come from the seen ones only and decide the mode."""

import numpy as np
import pytest

from core.benchmark.zsl_bench import run_split
from core.benchmark.zsl_runs import BenchConfig
from core.benchmark.zsl_selection import pseudo_unseen_split, select_text_mode
from core.model.text import TextEncoder
from core.training.class_text import TEXT_MODES
from core.training.protocols import Split
from core.training.training_data import TrainingArrays

NAMES = ["walking in place", "two hand push", "right hand wave", "squat (two arms stretch out)", "jogging in place",
         "arm curl (two arms)", "tennis serve", "sit to stand"]


def _arrays(per_class: int = 4) -> TrainingArrays:
    labels = np.repeat(np.arange(len(NAMES)), per_class)
    x = np.random.default_rng(0).normal(size=(len(labels), 3, 50, 25, 2)).astype(np.float32)
    return TrainingArrays(x, labels, list(NAMES), np.full(len(labels), -1), np.asarray(["d"] * len(labels)),
                          [f"clip{i}" for i in range(len(labels))])


def test_pseudo_unseen_classes_are_a_seeded_part_of_the_seen_ones():
    split = Split("s", tuple(NAMES), (0, 1))  # 6 seen classes
    inner = pseudo_unseen_split(split, seed=3)
    assert inner.class_names == tuple(split.seen_names) and len(inner.unseen) == 2  # round(0.3 * 6), at least 2
    assert not set(inner.unseen_names) & set(split.unseen_names)
    assert pseudo_unseen_split(split, seed=3) == inner
    assert len({pseudo_unseen_split(split, seed=s).unseen for s in range(10)}) > 1, "the seed draws the classes"
    assert len(pseudo_unseen_split(Split("big", tuple(f"c{i}" for i in range(30)), (0,)), 0).unseen) == 9
    with pytest.raises(ValueError, match="3 seen classes are too few"):
        pseudo_unseen_split(Split("tiny", ("a", "b", "c", "d"), (0,)), 0)


def test_selection_trains_on_seen_classes_only_and_reports_its_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    split = Split("s", tuple(NAMES), (0, 1))
    config = BenchConfig(methods=("smie",), pretrain={"epochs": 1, "device": "cpu"},
                         head={"epochs": 1, "device": "cpu"}, select_text=True)
    mode, table = select_text_mode(_arrays(), split, 0, config, TextEncoder(), progress=False)
    assert mode in TEXT_MODES and set(table["top1"]) == set(TEXT_MODES)
    assert table["top1"][mode] == max(table["top1"].values())
    assert not set(table["pseudo_unseen"]) & set(split.unseen_names)
    result = run_split(_arrays(), split, 0, config, TextEncoder(), progress=False)
    assert result["text_selection"] == {"pseudo_unseen": table["pseudo_unseen"], "top1": table["top1"]}
    assert config.select_text and config.text == "names", "the caller's config is left as it was"
    assert len(list((tmp_path / "encoders").iterdir())) == 2, "one inner encoder (cached for every mode), one outer"
    with pytest.raises(ValueError, match="does not pool other datasets"):
        select_text_mode(_arrays(), split, 0, BenchConfig(pool_seen=True), TextEncoder(), progress=False)
