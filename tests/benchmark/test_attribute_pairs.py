"""Per-pair accuracy, the mirror test and the weight fit of the attribute term, on synthetic clips and scores,
and the bench-zsl switches for it."""

import dataclasses

import numpy as np
import pytest
from io_fixtures import class_arrays, right_hand_swipe

from core.benchmark.attribute_pairs import (
    ATTRIBUTE_METHOD,
    evaluate_with_term,
    fit_on_pseudo_unseen,
    mirror_test,
    pair_accuracy,
)
from core.benchmark.zsl_ablation import ablation_configs, row_label
from core.benchmark.zsl_runs import BenchConfig
from core.cli import build_parser
from core.model.attribute_term import WEIGHTED, AttributeWeights
from core.skeleton.attributes import global_window
from core.skeleton.preprocess import normalize_sequence
from core.training.attribute_fit import EpisodeGroup, fit_weights

NAMES = ["right arm swipe to the left", "right arm swipe to the right", "clapping"]


def _swipe(to_left: bool, seed: int, frames: int = 50):
    rng = np.random.default_rng(seed)
    joints = (right_hand_swipe(to_left, frames) + rng.normal(0, 0.005, (frames, 1, 25, 3))).astype(np.float32)
    valid = np.ones(joints.shape[:3], bool)
    return normalize_sequence(joints, valid), global_window(joints, valid)


def _clips(per_class: int = 4):
    x, raw, labels = [], [], []
    for label, to_left in ((0, True), (1, False)):
        for seed in range(per_class):
            clip, window = _swipe(to_left, seed + 10 * label)
            x.append(clip), raw.append(window), labels.append(label)
    return np.stack(x), np.stack(raw), np.asarray(labels)


class FlatScorer:
    """A model that cannot tell any two labels apart: every score 0."""

    def __call__(self, x, names):
        return np.zeros((len(x), len(names)))


def test_pair_accuracy_counts_each_pairs_clips_against_the_other_label():
    scores = np.array([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0], [1.0, 0.0, 5.0], [0.0, 0.0, 0.0]])
    result = pair_accuracy(scores, np.array([0, 1, 1, 2]), NAMES)
    assert result["pairs"] == [{"labels": NAMES[:2], "clips": 3, "accuracy": pytest.approx(2 / 3)}]
    assert result["mean"] == pytest.approx(2 / 3)
    assert pair_accuracy(scores, np.array([0, 1, 1, 2]), ["a", "b", "c"]) == {"pairs": [], "mean": None}


def test_the_term_splits_pairs_and_mirrored_clips_a_flat_model_cannot():
    x, raw, labels = _clips()
    weights = AttributeWeights({name: 1.0 for name in WEIGHTED})
    result = evaluate_with_term(FlatScorer(), weights, np.zeros((len(x), 3)), x, raw, labels, NAMES)
    assert result["pairs"]["mean"] == 1.0 and result["pairs_without"]["mean"] == 0.0
    assert result["top1"] == 1.0 and result["without"]["top1"] < 1.0
    mirrored = mirror_test(FlatScorer(), weights, x, raw, labels, NAMES)
    assert mirrored["accuracy"] == 1.0 and mirrored["without"] == 0.0
    assert [c["mirrored"] for c in mirrored["classes"]] == ["left arm swipe to the right", "left arm swipe to the left"]


def test_weights_fit_on_pseudo_unseen_clips_favour_what_tells_them_apart():
    x, raw, labels = _clips()
    weights, report = fit_on_pseudo_unseen(FlatScorer(), x, raw, labels, NAMES[:2], {"split": "test"})
    assert weights.weights["direction"] > 0 and weights.fitted_on["split"] == "test"
    assert set(report) == {"list", "opposite", "mirror"}
    assert report["opposite"]["top1_after"] == 1.0 and report["mirror"]["top1_after"] == 1.0


def test_an_attribute_the_fit_never_sees_keeps_the_shared_weight():
    rng = np.random.default_rng(0)
    features = np.zeros((200, 2, len(WEIGHTED)))
    side = WEIGHTED.index("side")
    features[:, 0, side], features[:, 1, side] = 1.0, -1.0
    scores = rng.normal(0, 1.0, (200, 2))
    truth = (rng.random(200) < 0.1).astype(int)  # the side is right 90 % of the time
    weights, _ = fit_weights([EpisodeGroup("g", scores, features, truth)], temperature=1.0)
    others = [weights.weights[name] for name in WEIGHTED if name != "side"]
    assert weights.weights["side"] > max(others) and np.ptp(others) < 1e-6
    assert others[0] == pytest.approx(weights.fitted_on["shared"], abs=1e-4)
    with pytest.raises(ValueError, match="no pseudo-unseen"):
        fit_weights([], temperature=1.0)


def test_bench_zsl_switches_the_attribute_row_off_and_the_ablation_has_it():
    args = build_parser().parse_args(["bench-zsl", "--no-attributes"])
    assert args.no_attributes and "smie_attributes" in args.methods
    rows = ablation_configs(BenchConfig(), ("base", "attributes", "negatives"))
    assert rows[1][1].methods == (ATTRIBUTE_METHOD,)
    assert row_label(rows[1][0], ATTRIBUTE_METHOD) == rows[1][0]
    evaluate = build_parser().parse_args(["eval", "--model", "m", "--no-attributes"])
    assert evaluate.no_attributes
    calibrate = build_parser().parse_args(["calibrate", "--model", "m", "--from", "s", "--attributes"])
    assert calibrate.attributes


def test_run_split_adds_the_attribute_row_with_its_own_pseudo_unseen_fit(tmp_path, monkeypatch):
    """One-epoch encoders on random clips: the row has top-1 with and without the term, pairs, the mirror test
    and the weights; the fit's second encoder is cached beside the first."""
    from core.benchmark.zsl_bench import run_split
    from core.model.text import TextEncoder
    from core.training.protocols import Split
    from core.training.training_data import TrainingArrays

    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    names = ["walking in place", "two hand push", "right hand wave", "squat (two arms stretch out)",
             "right arm swipe to the left", "right arm swipe to the right", "cross arms in the chest"]
    labels = np.repeat(np.arange(len(names)), 3)
    x = np.random.default_rng(0).normal(size=(len(labels), 3, 50, 25, 2)).astype(np.float32)
    arrays = TrainingArrays(x, labels, names, np.full(len(labels), -1), np.asarray(["synthetic"] * len(labels)),
                            [f"clip{i}" for i in range(len(labels))])
    config = BenchConfig(methods=(ATTRIBUTE_METHOD,), pretrain={"epochs": 1, "device": "cpu"},
                         head={"epochs": 1, "device": "cpu"})
    result = run_split(arrays, Split("t", tuple(names), (4, 5)), 0, config, TextEncoder(), progress=False)
    row = result["methods"][ATTRIBUTE_METHOD]
    assert set(result["methods"]) == {ATTRIBUTE_METHOD}
    assert 0 <= row["top1"] <= 1 and row["n"] == 6 and 0 <= row["without"]["top1"] <= 1
    assert [p["labels"] for p in row["pairs"]["pairs"]] == [names[4:6]]
    assert row["mirror"]["clips"] == 6 and set(row["weights"]["weights"]) == set(WEIGHTED)
    assert row["weights"]["fitted_on"]["split"] == "t-inner0"
    assert len(list((tmp_path / "encoders").iterdir())) == 2
    calibration = row["calibration"]  # the final scores at the seen-class and the pseudo-unseen temperature
    assert calibration["before"]["n"] == calibration["after"]["n"] == 6
    assert calibration["before"]["temperature"] > 0 and calibration["after"]["temperature"] > 0
    assert 0 <= calibration["after"]["ece"] <= 1 and calibration["pseudo_unseen_list_size"] == 2
    gzsl = row["gzsl"]  # today's seen-fitted stacking against the bias fitted on the second encoder's classes
    assert set(gzsl) == {"before", "uncorrected", "after", "bias"}
    assert all(0 <= gzsl[key]["harmonic"] <= 1 for key in ("before", "uncorrected", "after"))


def test_bench_calibration_fits_the_temperature_on_pseudo_unseen_lists_of_the_split_size():
    from core.benchmark.zsl_calibration import bench_calibration

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 6, 600)
    # pseudo-unseen and unseen scores alike: the true label ahead by 1 on average, noise 1; a seen-class
    # temperature of 0.05 makes them far too sure
    def scores(labels, classes):
        out = rng.normal(size=(len(labels), classes))
        out[np.arange(len(labels)), labels] += 1.0
        return out

    pseudo = scores(truth, 6)
    unseen_truth = rng.integers(0, 4, 300)
    result = bench_calibration(scores(unseen_truth, 4), unseen_truth, pseudo, truth, 0.05, seed=0)
    assert result["pseudo_unseen_list_size"] == 4 and result["before"]["temperature"] == 0.05
    assert 0.5 < result["after"]["temperature"] < 2.0
    assert result["after"]["ece"] < 0.1 < result["before"]["ece"]


def test_bench_calibration_fits_on_lists_of_the_split_size_from_all_the_second_models_classes():
    from core.benchmark.zsl_calibration import bench_calibration

    rng = np.random.default_rng(2)

    def scores(labels, classes, lead):
        out = rng.normal(size=(len(labels), classes))
        out[np.arange(len(labels)), labels] += lead
        return out

    # two pseudo-unseen classes only, but the second model has 10: lists of the split's 8 labels can be drawn
    pseudo_truth = rng.integers(0, 2, 400)
    inner_truth = np.concatenate([rng.integers(0, 8, 200), 8 + pseudo_truth])
    inner = {"scores": scores(inner_truth, 10, 1.0), "truth": inner_truth, "seen_mask": np.arange(10) < 8}
    unseen_truth = rng.integers(0, 8, 400)
    result = bench_calibration(scores(unseen_truth, 8, 1.0), unseen_truth, inner["scores"][200:, 8:],
                               pseudo_truth, 0.05, seed=0, inner=inner)
    assert result["list_size"] == 8 and result["pseudo_unseen_list_size"] == 2
    assert result["after"]["ece"] < 0.1 < result["before"]["ece"]
    # the temperature smie calibrate would fit for 8 labels from the pseudo-unseen clips' rows of all 10 classes
    from core.training.calibration import fit_unseen_temperatures
    expected = fit_unseen_temperatures(inner["scores"][200:], inner_truth[200:], 10, 0.05, sizes=(8,), seed=0)
    assert result["after"]["temperature"] == pytest.approx(expected.temperatures[8])
    assert "temperature" in result["after_pseudo_unseen_lists"]


def test_gzsl_bias_fitted_on_the_second_encoders_classes_lifts_the_harmonic_mean():
    from core.benchmark.zsl_calibration import gzsl_before_after

    rng = np.random.default_rng(1)

    def split_scores(seen: int, unseen: int, clips: int):
        """Seen classes' scores inflated by 3: every unseen clip goes to a seen label unless corrected."""
        truth = rng.integers(0, seen + unseen, clips)
        scores = rng.normal(size=(clips, seen + unseen))
        scores[np.arange(clips), truth] += 2.0
        scores[:, :seen] += 3.0
        return {"scores": scores, "truth": truth, "seen_mask": np.arange(seen + unseen) < seen}

    result = gzsl_before_after(split_scores(12, 5, 800), split_scores(9, 4, 800), seed=0)
    assert result["bias"] > 1.0
    assert result["after"]["harmonic"] > result["uncorrected"]["harmonic"] + 0.2


def test_a_pooled_runs_attribute_row_fits_on_a_pooled_second_encoder(tmp_path, monkeypatch):
    """The second encoder of a pooled run pools too, less every pooled class covering one of the split's unseen
    classes or one of its own pseudo-unseen ones."""
    from core.benchmark.zsl_bench import run_split
    from core.benchmark.zsl_selection import pseudo_unseen_split
    from core.model.text import TextEncoder
    from core.training.protocols import Split

    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    names = ["walking in place", "two hand push", "right hand wave", "squat (two arms stretch out)",
             "right arm swipe to the left", "right arm swipe to the right", "cross arms in the chest"]
    arrays = class_arrays("utd_mhad", names, seed=0)
    # covers the unseen swipes / covers the squat / covers nothing of UTD-MHAD
    pool_arrays = class_arrays("pool", ["horizontal arm wave", "duck", "draw a square in the air"], seed=1)
    split = Split("t", tuple(names), (4, 5))
    config = BenchConfig(methods=(ATTRIBUTE_METHOD,), pool_seen=True, pretrain={"epochs": 1, "device": "cpu"},
                         head={"epochs": 1, "device": "cpu"})
    with pytest.raises(ValueError, match="pool_arrays"):
        run_split(arrays, split, 0, config, TextEncoder(), progress=False)
    row = run_split(arrays, split, 0, config, TextEncoder(), progress=False,
                    pool_arrays=pool_arrays)["methods"][ATTRIBUTE_METHOD]
    pseudo = pseudo_unseen_split(split, 0).unseen_names
    kept_pool = 1 + ("squat (two arms stretch out)" not in pseudo)
    assert row["second_encoder"]["pooled"] and row["second_encoder"]["seen_classes"] == 5 - len(pseudo) + kept_pool
    alone = dataclasses.replace(config, pool_seen=False)
    row = run_split(arrays, split, 0, alone, TextEncoder(), progress=False)["methods"][ATTRIBUTE_METHOD]
    assert not row["second_encoder"]["pooled"] and row["second_encoder"]["seen_classes"] == 5 - len(pseudo)
