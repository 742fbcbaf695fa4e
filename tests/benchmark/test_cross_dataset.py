"""Cross-dataset zero-shot: the pool loses every class that covers one of the target's, the target's clips are all
scored against its own names, and `smie bench-zsl --dataset NAME` runs it end to end through the results store."""

import json

import numpy as np
import pytest
from io_fixtures import class_arrays, moving_body, write_gtu_text, write_msr_text, write_utd_mat

from core.benchmark.zsl_runs import seen_training_set
from core.cli import main
from core.readers.class_meaning import read_meaning_table
from core.training.protocols import CROSS_DATASET_SPLIT, cross_dataset_split
from core.training.training_data import pool

TABLE = """class\ttarget\twave the right hand\twave_right_hand
class\ttarget\tjump\tjump
class\tpool_a\twave the left hand\twave_left_hand
class\tpool_a\tcrouch\tcrouch
class\tpool_b\thand waving\twave_one_hand
class\tpool_b\thop on both feet\thop_both_feet
class\tpool_b\tclap\tclap
overlap\twave_right_hand\twave_left_hand,wave_one_hand\tthe other side or a free side
overlap\tjump\thop_both_feet\ta hop is a small jump
"""


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "pooled.tsv"
    path.write_text(TABLE, encoding="utf-8")
    return read_meaning_table(path, ["target", "pool_a", "pool_b"])


def test_no_class_that_covers_a_target_class_is_trained_on(table):
    target = class_arrays("target", ["wave the right hand", "jump"])
    pool_arrays = pool([class_arrays("pool_a", ["wave the left hand", "crouch"], 4),
                        class_arrays("pool_b", ["hand waving", "hop on both feet", "clap"], 5)])
    plan = cross_dataset_split("target", target, pool_arrays, table)
    assert plan.split.name == CROSS_DATASET_SPLIT
    assert plan.split.unseen_names == ["wave the right hand", "jump"], "every target class, by its own name"
    assert plan.left_out == {"wave the left hand": ["wave the right hand"], "hand waving": ["wave the right hand"],
                             "hop on both feet": ["jump"]}
    assert plan.left_out_clips == 4 + 5 + 5
    training, names = seen_training_set(plan.arrays, plan.split)
    assert names == ["crouch", "clap"] and sorted(set(training.datasets)) == ["pool_a", "pool_b"]
    assert len(training.labels) == 4 + 5
    test_rows = np.isin(plan.arrays.labels, plan.split.unseen)
    assert set(plan.arrays.datasets[test_rows]) == {"target"} and test_rows.sum() == 6


def test_a_target_class_without_clips_is_not_scored_and_a_pooled_class_without_a_row_is_named(table):
    target = class_arrays("target", ["wave the right hand", "jump"])
    target.labels[:] = 0  # no clip of "jump"
    plan = cross_dataset_split("target", target, class_arrays("pool_b", ["hop on both feet", "clap"]), table)
    assert plan.split.unseen_names == ["wave the right hand"] and plan.left_out == {}
    with pytest.raises(KeyError, match="pool_a: class 'swim' has no row"):
        cross_dataset_split("target", target, class_arrays("pool_a", ["swim"]), table)


def _write_data_root(root):
    """Three tiny registered datasets with real class names: UTD-MHAD, MSR Action3D and GTU, 4 clips a class."""
    (root / "utd_mhad").mkdir(parents=True)
    (root / "utd_mhad" / "classes.txt").write_text("right arm swipe to the left\nright arm swipe to the right\n"
                                                   "right hand wave\n")
    (root / "msr_action3d").mkdir()
    (root / "msr_action3d" / "classes.txt").write_text("high arm wave\nhorizontal arm wave\nhammer\n")
    (root / "gtu").mkdir()
    (root / "gtu" / "classes.txt").write_text("1\t1\tA\tA\topen and close the arms\n2\t7\tB\tB\twave the right hand\n"
                                              "3\t3\tC\tC\tcrouch down\n")
    for action in range(1, 4):
        (root / "gtu" / str(action)).mkdir()
        for take in range(1, 5):
            seed = 10 * action + take
            write_utd_mat(root / "utd_mhad" / f"a{action}_s{take}_t1_skeleton.mat", moving_body(40, seed=seed))
            write_msr_text(root / "msr_action3d" / f"a{action:02d}_s{take:02d}_e01_skeleton3D.txt",
                           moving_body(40, seed=seed + 100))
            write_gtu_text(root / "gtu" / str(action) / f"movement{take}.txt", moving_body(40, seed=seed + 200))


@pytest.mark.slow
def test_bench_zsl_on_another_dataset_trains_on_what_covers_none_of_it_and_stores_the_results(
        tmp_path, monkeypatch, capsys):
    _write_data_root(tmp_path / "data")
    monkeypatch.setenv("SMIE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    out, results = tmp_path / "cross.json", tmp_path / "results"
    command = ["bench-zsl", "--dataset", "msr_action3d", "--methods", "smie,devise", "--no-attributes",
               "--pretrain-epochs", "1", "--head-epochs", "1", "--device", "cpu", "--no-progress",
               "--json", str(out), "--results", str(results)]
    assert main(command) == 0
    printed = capsys.readouterr().out
    assert "cross-dataset on msr_action3d: 3 classes, 12 clips" in printed
    assert "left out of training: 4 classes, 16 clips" in printed
    assert "right arm swipe to the left (utd_mhad; 4 clips) covers horizontal arm wave" in printed
    assert "wave the right hand (gtu; 4 clips) covers high arm wave" in printed
    assert "kept for training: 2 classes, 8 clips" in printed
    summary = json.loads(out.read_text())
    assert set(summary) == {"smie", "devise"}
    assert all(len(summary[m][CROSS_DATASET_SPLIT]["runs"]) == 1 for m in summary)
    details = json.loads(out.with_suffix(".details.json").read_text())
    assert details[f"{CROSS_DATASET_SPLIT}/seed0"]["seen_classes"] == 2
    assert details[f"{CROSS_DATASET_SPLIT}/seed0"]["methods"]["smie"]["n"] == 12
    stored = sorted(p.relative_to(results).parts[:3] + (p.name.split("-")[0],) for p in results.rglob("*.json"))
    assert stored == [("msr_action3d", CROSS_DATASET_SPLIT, "seed0", m) for m in ("devise", "smie")]
    (tmp_path / "cache" / "encoders").rename(tmp_path / "encoders-moved")
    assert main(command) == 0 and json.loads(out.read_text()) == summary
    assert not (tmp_path / "cache" / "encoders").exists(), "the stored results were read back, nothing trained"


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "ntu60"], "argument --dataset: invalid choice: 'ntu60'"),
    (["--dataset", "gtu", "--splits", "ru5"], "--splits: gtu has no built-in splits"),
    (["--dataset", "gtu", "--pooled"], "--pooled tests on UTD-MHAD classes; give --dataset utd_mhad"),
    (["--dataset", "msr_action3d", "--pool-seen"], "--pool-seen cannot be combined with the cross-dataset protocol"),
    (["--cross-dataset", "--ablation"], ("--ablation cannot be combined with the cross-dataset protocol (--dataset "
                                        "utd_mhad --cross-dataset)")),
])
def test_a_bad_target_or_combination_is_refused_before_reading_any_data(argv, message, capsys, monkeypatch,
                                                                        tmp_path):
    monkeypatch.setenv("SMIE_DATA", str(tmp_path / "nowhere"))
    try:
        code = main(["bench-zsl", *argv])
    except SystemExit as stop:  # argparse refuses an unknown choice itself
        code = stop.code
    captured = capsys.readouterr()
    assert code == 2 and message in captured.out + captured.err
