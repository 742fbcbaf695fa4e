"""Class- and dataset-balanced draws in pretraining and head training: every class (or dataset) gets the same
share of an epoch."""

import dataclasses

import numpy as np
import pytest
import torch

from core.benchmark.results_store import settings_key
from core.benchmark.zsl_runs import BenchConfig, encoder_cache_key
from core.model.stgcn import STGCNConfig
from core.training.pretrain import (
    PretrainConfig,
    balanced_draw_weights,
    batch_rows,
    pretrain_encoder,
)
from core.training.train_head import HeadTrainConfig, train_head

# An imbalanced pool: class 0 has 90 clips (a big mocap set's class), classes 1 and 2 have 10 each.
LABELS = np.array([0] * 90 + [1] * 10 + [2] * 10)
DATASETS = np.array(["bandai_namco"] * 90 + ["utd_mhad"] * 15 + ["hdm05"] * 5)


def _shares(rows: np.ndarray, groups: np.ndarray) -> dict:
    names, counts = np.unique(groups[rows], return_counts=True)
    return dict(zip(names.tolist(), (counts / counts.sum()).tolist()))


def test_without_balance_every_clip_is_drawn_once_an_epoch():
    assert balanced_draw_weights("", LABELS, DATASETS) is None
    rows = np.concatenate(list(batch_rows(len(LABELS), 16, np.random.default_rng(0))))
    assert sorted(rows.tolist()) == list(range(len(LABELS)))


@pytest.mark.parametrize("balance, groups", [("classes", LABELS), ("datasets", DATASETS)])
def test_balanced_weights_give_each_group_the_same_share(balance, groups):
    weights = balanced_draw_weights(balance, LABELS, DATASETS)
    assert weights.shape == LABELS.shape and weights.sum() == pytest.approx(1.0)
    for group in np.unique(groups):
        assert weights[groups == group].sum() == pytest.approx(1 / len(np.unique(groups)))
        assert np.ptp(weights[groups == group]) == pytest.approx(0.0), "clips of one group are drawn alike"


def test_an_epoch_of_balanced_draws_is_as_long_and_shares_out_evenly():
    weights = balanced_draw_weights("classes", LABELS, None)
    rng = np.random.default_rng(0)
    epochs = [np.concatenate(list(batch_rows(len(LABELS), 16, rng, weights))) for _ in range(200)]
    assert all(len(rows) == len(LABELS) for rows in epochs), "an epoch keeps its length, so do the schedule's steps"
    shares = _shares(np.concatenate(epochs), LABELS)
    assert all(abs(share - 1 / 3) < 0.02 for share in shares.values()), shares
    unbalanced = _shares(np.arange(len(LABELS)), LABELS)
    assert unbalanced[0] > 0.8, "the fixture's first class would take most of an unbalanced epoch"


def test_bad_balance_settings_are_refused_with_the_value():
    with pytest.raises(ValueError, match="'sensors'"):
        balanced_draw_weights("sensors", LABELS, DATASETS)
    with pytest.raises(ValueError, match="dataset of each training clip"):
        balanced_draw_weights("datasets", LABELS, None)


def test_pretraining_with_dataset_balance_trains_and_needs_the_datasets():
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3, 20, 25, 2)).astype(np.float32)
    y = np.array([0] * 8 + [1] * 4)
    small = {"channels": (8, 8), "strides": (1, 1), "temporal_kernel": 3}
    config = PretrainConfig(epochs=2, batch_size=4, augment=False, balance="datasets")
    with pytest.raises(ValueError, match="dataset of each training clip"):
        pretrain_encoder(x, y, x[:2], y[:2], 2, config, STGCNConfig(**small), progress=False)
    _, history = pretrain_encoder(x, y, x[:2], y[:2], 2, config, STGCNConfig(**small), progress=False,
                                  train_datasets=np.array(["a"] * 10 + ["b"] * 2))
    assert len(history) == 2 and all(np.isfinite(r["loss"]) for r in history)


def test_balance_is_its_own_benchmark_run_and_leaves_earlier_keys_alone():
    config = BenchConfig(pool_seen=True, pretrain={"epochs": 15})
    balanced = dataclasses.replace(config, pretrain={"epochs": 15, "balance": "classes"})
    assert settings_key(balanced, "smie") != settings_key(config, "smie")
    names = ["walk", "clap"]
    plain_key = encoder_cache_key("ru5", 0, names, PretrainConfig(seed=0), "861", {})
    assert plain_key == encoder_cache_key("ru5", 0, names, PretrainConfig(seed=0, balance=""), "861", {})
    assert plain_key != encoder_cache_key("ru5", 0, names, PretrainConfig(seed=0, balance="classes"), "861", {})


def test_a_head_trains_on_class_balanced_draws_and_refuses_other_modes():
    rng = np.random.default_rng(0)
    text = rng.normal(size=(3, 16)).astype(np.float32)
    features = (rng.normal(size=(len(LABELS), 32)) + 5 * np.eye(3, 32)[LABELS]).astype(np.float32)
    config = HeadTrainConfig(method="devise", epochs=3, batch_size=16, balance="classes", device="cpu")
    head, history = train_head(features, None, LABELS, text, config, progress=False)
    assert len(history) == 3 and all(np.isfinite(history))
    with pytest.raises(ValueError, match="head balance 'datasets'"):
        train_head(features, None, LABELS, text, dataclasses.replace(config, balance="datasets"), progress=False)
