"""Zero-shot splits and metrics on small hand-made inputs."""

import numpy as np
import pytest

from core import metrics
from core.readers.datasets import load_dataset
from core.readers.label_presets import readable_name
from core.training.experiment import choose_split, load_pooled, parse_datasets
from core.training.protocols import (
    UTD_COVER_CHECKED,
    UTD_COVERED_BY_POOL,
    Split,
    holdout_split,
    ntu_split,
    utd_mhad_split,
    utd_pool_datasets,
)


def test_split_seen_is_the_complement_of_unseen():
    split = Split("toy", ("a", "b", "c", "d"), (1, 3))
    assert split.seen == (0, 2) and split.seen_names == ["a", "c"] and split.unseen_names == ["b", "d"]
    with pytest.raises(ValueError, match="outside"):
        Split("bad", ("a", "b"), (2,))


def test_ntu_synse_split_and_holdout_by_name():
    names = [f"class {i}" for i in range(60)]
    split = ntu_split(names, "synse", "55/5")
    assert split.unseen == (10, 11, 19, 26, 56) and len(split.seen) == 55
    held = holdout_split(names, ["Class 3", "class 7"])
    assert held.unseen == (3, 7)
    with pytest.raises(ValueError, match="unknown class names"):
        holdout_split(names, ["jump"])


def test_utd_mhad_splits_partition_the_classes(shared_data):
    names = (shared_data / "utd_mhad" / "classes.txt").read_text().splitlines()
    for name, size in (("ru5", 5), ("ru9", 9), ("ru13", 13)):
        split = utd_mhad_split(names, name, shared_data / "utd_mhad" / "splits")
        assert len(split.unseen) == size and len(split.seen) == 27 - size


def test_topk_and_per_class_accuracy():
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [0.1, 0.8, 0.1]])
    labels = np.array([0, 1, 1])
    assert metrics.topk_accuracy(scores, labels, 1) == pytest.approx(2 / 3)
    assert metrics.topk_accuracy(scores, labels, 2) == 1.0
    predicted = scores.argmax(axis=1)
    np.testing.assert_allclose(metrics.per_class_accuracy(predicted, labels, 3), [1.0, 0.5, np.nan])
    assert metrics.confusion_matrix(predicted, labels, 3).tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]


def test_calibrated_stacking_moves_predictions_to_unseen_classes():
    seen_mask = np.array([True, False])
    scores = np.array([[0.6, 0.5], [0.9, 0.1]])
    labels = np.array([1, 0])
    plain = metrics.gzsl_metrics(scores, labels, seen_mask, gamma=0.0)
    assert plain["unseen"] == 0.0 and plain["seen"] == 1.0 and plain["harmonic"] == 0.0
    calibrated = metrics.gzsl_metrics(scores, labels, seen_mask, gamma=0.2)
    assert calibrated["unseen"] == 1.0 and calibrated["seen"] == 1.0 and calibrated["harmonic"] == 1.0


def test_gamma_tuned_on_seen_keeps_most_seen_accuracy():
    rng = np.random.default_rng(0)
    seen_mask = np.array([True, True, False])
    labels = rng.integers(0, 2, 100)
    scores = rng.normal(size=(100, 3))
    scores[np.arange(100), labels] += 1.0
    gamma = metrics.tune_gamma_on_seen(scores, labels, seen_mask, keep=0.9)
    assert gamma > 0
    base = metrics.topk_accuracy(scores, labels)
    assert metrics.topk_accuracy(metrics.calibrated_stacking(scores, seen_mask, gamma), labels) >= 0.9 * base


def test_fitted_temperature_matches_how_confident_the_scores_deserve_to_be():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 400)
    logits = rng.normal(size=(400, 4))
    logits[np.arange(400), labels] += 2.0
    # Unit-variance Gaussians 2 apart: the true posterior is softmax(2 * logits), i.e. temperature 1/2.
    for scale in (0.1, 1.0, 5.0):
        temperature = metrics.fit_temperature(logits * scale, labels)
        assert temperature == pytest.approx(scale / 2, rel=0.25), (scale, temperature)


def test_ntu_protocol_on_a_users_own_arrays(tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 10, 11, 19, 26, 56, 0, 1, 10])  # SynSE 55/5 holds out 10, 11, 19, 26, 56
    t = np.linspace(0, 1, 30)
    data = np.zeros((len(labels), 3, 40, 25, 2), np.float32)  # the last 10 frames are padding
    data[:, :, :30, :, 0] = rng.normal(0, 0.3, size=(len(labels), 3, 1, 25)) + t[None, None, :, None] * 0.1
    np.save(tmp_path / "data.npy", data)
    (tmp_path / "labels.txt").write_text("\n".join(map(str, labels)))
    spec = f"arrays:ntu60:{tmp_path / 'data.npy'}:{tmp_path / 'labels.txt'}"
    arrays = load_pooled(parse_datasets(spec))
    assert arrays.x.shape == (10, 3, 50, 25, 2) and len(arrays.class_names) == 7
    split = choose_split(arrays, "ntu60:synse:55/5", None)
    assert sorted(split.unseen_names) == sorted(["reading", "writing", "put on a hat/cap", "jump up",
                                                 "touch other person's pocket"])
    assert split.seen_names == ["drink water", "eat meal/snack"]
    with pytest.raises(ValueError, match="missing"):
        parse_datasets(f"arrays:ntu60:{tmp_path / 'nothing.npy'}:{tmp_path / 'labels.txt'}")
    with pytest.raises(ValueError, match="no NTU split"):
        choose_split(arrays, "ntu60:synse:1/2", None)
    with pytest.raises(ValueError, match="unknown protocol"):
        choose_split(arrays, "kinetics:synse:55/5", None)


def test_utd_pools_keep_to_the_datasets_its_cover_table_was_checked_against():
    registered = ("utd_mhad", *UTD_COVER_CHECKED, "a_new_dataset")
    assert utd_pool_datasets(registered) == list(UTD_COVER_CHECKED)


def test_calibration_metrics_on_hand_counted_cases():
    scores = np.log(np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]]))
    labels = np.array([0, 0, 1, 1])  # right at 0.9, 0.8 and 0.7; wrong at 0.6
    m = metrics.calibration_metrics(scores, labels)
    # bins: 0.9 alone (acc 1), 0.8 alone (acc 1), 0.7 alone (acc 1), 0.6 alone (acc 0)
    assert m["ece"] == pytest.approx((0.1 + 0.2 + 0.3 + 0.6) / 4)
    assert m["nll"] == pytest.approx(-np.mean(np.log([0.9, 0.8, 0.4, 0.7])))
    assert m["brier"] == pytest.approx(np.mean([2 * 0.1 ** 2, 2 * 0.2 ** 2, 2 * 0.6 ** 2, 2 * 0.3 ** 2]))
    assert m["auroc"] == 1.0 and m["selective_top1_50"] == 1.0
    assert m["mean_top_prob_wrong"] == pytest.approx(0.6)


def test_auroc_counts_ties_as_half_and_a_flat_softmax_ranks_nothing():
    assert metrics.confidence_auroc(np.array([0.5, 0.7]), np.array([True, False])) == 0.0
    assert metrics.confidence_auroc(np.array([0.5, 0.5]), np.array([True, False])) == 0.5
    flat = metrics.calibration_metrics(np.zeros((6, 3)), np.array([0, 1, 2, 0, 1, 2]))
    assert flat["ece"] == pytest.approx(0.0, abs=1e-9) and flat["auroc"] == 0.5  # calibrated at chance, useless


def test_reliability_bins_put_a_certain_answer_in_the_top_bin():
    rows = metrics.reliability_bins(np.array([[1.0, 0.0], [0.55, 0.45]]), np.array([0, 1]), bins=10)
    assert rows[9]["count"] == 1 and rows[9]["accuracy"] == 1.0
    assert rows[5]["count"] == 1 and rows[5]["accuracy"] == 0.0


def test_every_covering_class_of_the_utd_cover_table_is_a_real_class(shared_data):
    utd = {readable_name(n).lower() for n in load_dataset("utd_mhad", shared_data).class_names}
    pooled = {readable_name(n).lower() for name in UTD_COVER_CHECKED
              for n in load_dataset(name, shared_data).class_names}
    assert set(UTD_COVERED_BY_POOL) <= utd, set(UTD_COVERED_BY_POOL) - utd
    missing = {c for covering in UTD_COVERED_BY_POOL.values() for c in covering if c.lower() not in pooled}
    assert not missing, f"covering names that no pooled dataset has: {sorted(missing)}"
