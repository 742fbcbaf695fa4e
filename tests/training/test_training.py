"""Pretraining and head training end to end on a small synthetic problem that a real model can learn."""

import numpy as np
import pytest
import torch

from core.model.stgcn import STGCN, STGCNConfig
from core.training.augment import mirror
from core.training.pretrain import (
    PretrainConfig,
    classify,
    mirror_some,
    mirrorable_classes,
    pretrain_encoder,
)
from core.training.train_head import (
    METHODS,
    HeadTrainConfig,
    extract_features,
    score,
    train_head,
)
from core.training.training_data import TrainingArrays, pool, stratified_holdout


def _moving_arm_clips(num_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3, 50, 25, 2) clips of three classes: right hand moves along x, along y, or stays still."""
    rng = np.random.default_rng(seed)
    body = np.random.default_rng(99).normal(0, 0.3, size=(3, 1, 25))  # a fixed pose with body-sized spread
    clips, labels = [], []
    t = np.linspace(0, 2 * np.pi, 50)
    for label in range(3):
        for _ in range(num_per_class):
            x = np.zeros((3, 50, 25, 2), dtype=np.float32)  # second body absent
            x[..., 0] = body + rng.normal(0, 0.02, size=(3, 50, 25))
            if label < 2:
                x[label, :, 11, 0] += 0.4 * np.sin(t * rng.uniform(0.8, 1.2))
            clips.append(x)
            labels.append(label)
    return np.stack(clips), np.asarray(labels)


def test_stratified_holdout_keeps_every_class_on_both_sides():
    labels = np.repeat(np.arange(4), 10)
    train, validation = stratified_holdout(labels, 0.2, seed=0)
    assert set(train).isdisjoint(validation) and len(train) + len(validation) == 40
    assert set(labels[validation]) == set(labels[train]) == {0, 1, 2, 3}


def test_pool_merges_classes_by_name():
    def part(names, labels):
        n = len(labels)
        return TrainingArrays(np.zeros((n, 3, 50, 25, 2), np.float32), np.asarray(labels), names,
                              np.full(n, -1), np.asarray(["d"] * n), ["f"] * n)

    pooled = pool([part(["walk", "clap"], [0, 1]), part(["Walk", "jump"], [0, 1])])
    assert pooled.class_names == ["walk", "clap", "jump"]
    assert pooled.labels.tolist() == [0, 1, 0, 2]
    restricted = pooled.restrict_classes(["jump", "walk"])
    assert restricted.labels.tolist() == [1, 1, 0]


def test_pretraining_learns_a_separable_problem():
    torch.set_num_threads(1)
    x, y = _moving_arm_clips(8, seed=0)
    val_x, val_y = _moving_arm_clips(3, seed=1)
    encoder, history = pretrain_encoder(x, y, val_x, val_y, 3, PretrainConfig(epochs=6, batch_size=8, augment=False),
                                        progress=False)
    assert len(history) == 6 and history[-1]["loss"] < history[0]["loss"]
    assert (classify(encoder, val_x) == val_y).mean() >= 2 / 3


@pytest.mark.parametrize("method", METHODS)
def test_every_head_trains_and_scores(method):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    text = rng.normal(size=(3, 16)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    labels = np.repeat(np.arange(3), 20)
    features = (rng.normal(size=(60, 32)) + 5 * np.eye(3, 32)[labels]).astype(np.float32)
    masked = features * 0.5
    head, losses = train_head(features, masked, labels, text,
                              HeadTrainConfig(method=method, epochs=30, batch_size=16, learning_rate=1e-3),
                              progress=False)
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    scores = score(head, features, text)
    assert scores.shape == (60, 3)
    assert (scores.argmax(axis=1) == labels).mean() > 0.9


def test_extract_features_masks_keyframes():
    encoder = STGCN(STGCNConfig(num_classes=3)).eval()
    x, _ = _moving_arm_clips(2, seed=2)
    plain = extract_features(encoder, x, batch_size=4)
    masked = extract_features(encoder, x, batch_size=4, mask_keyframes="zero")
    assert plain.shape == masked.shape == (6, 256)
    assert not np.allclose(plain, masked)


def _head_on_two_phrasings(num_classes: int, epochs: int):
    """(head, features, labels, names, described): SMIE trained on separable features of num_classes classes,
    each class given as a name embedding and as a described one."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    names, described = rng.normal(size=(2, num_classes, 16)).astype(np.float32)
    labels = np.repeat(np.arange(num_classes), 20)
    features = (rng.normal(size=(len(labels), 32)) + 5 * np.eye(num_classes, 32)[labels]).astype(np.float32)
    head, _ = train_head(features, features * 0.5, labels, np.stack([names, described]),
                         HeadTrainConfig(method="smie", epochs=epochs, batch_size=16, learning_rate=1e-3),
                         progress=False)
    return head, features, labels, names, described


def test_head_learns_every_phrasing_it_is_given():
    head, features, labels, names, described = _head_on_two_phrasings(3, epochs=40)
    for text in (names, described):
        assert (score(head, features, text).argmax(axis=1) == labels).mean() > 0.9


def test_head_ranks_described_labels_against_undescribed_ones():
    """A user's list mixes preset labels (with descriptions) and typed ones (names only): scores across the two
    phrasings must be comparable, so training draws a phrasing per class, not one per batch."""
    head, features, labels, names, described = _head_on_two_phrasings(4, epochs=60)
    for mix in ([0, 1, 0, 1], [1, 0, 0, 1], [1, 1, 1, 0]):
        text = np.stack([(names, described)[k][c] for c, k in enumerate(mix)])
        assert (score(head, features, text).argmax(axis=1) == labels).mean() > 0.9, mix


def test_mirroring_keeps_labels_true():
    names = ["wave the right hand", "clap", "draw circle (counter clockwise)", "Left kick", "jump"]
    assert mirrorable_classes(names).tolist() == [False, True, False, False, True]
    x = torch.from_numpy(_moving_arm_clips(4, seed=2)[0])
    may = torch.tensor([True, False] * 6)
    out = mirror_some(x, may, torch.Generator().manual_seed(0))
    flipped = [i for i in range(12) if not torch.equal(out[i], x[i])]
    assert flipped and set(flipped) <= {i for i in range(12) if may[i]}
    for i in flipped:
        assert torch.equal(out[i], mirror(x[i:i + 1])[0])
    with pytest.raises(ValueError, match="class names"):
        pretrain_encoder(x.numpy(), np.zeros(12, np.int64), x.numpy()[:2], np.zeros(2, np.int64), 1,
                         PretrainConfig(epochs=1, mirror=True), progress=False)


def test_cached_clips_come_back_memory_mapped_and_subsets_read_only_their_rows(tmp_path, monkeypatch):
    from io_fixtures import moving_body

    from core.training.training_data import LazyRows, load_arrays

    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    data = np.zeros((6, 3, 40, 25, 2), np.float32)
    for i in range(6):
        data[i, :, :30, :, 0] = moving_body(30, seed=i).transpose(2, 0, 1)
    np.save(tmp_path / "x.npy", data)
    (tmp_path / "y.txt").write_text("0\n1\n2\n0\n1\n2\n")
    name = f"arrays:ntu60:{tmp_path / 'x.npy'}:{tmp_path / 'y.txt'}"
    arrays = load_arrays(name)
    assert isinstance(arrays.x, LazyRows) and arrays.x.shape == (6, 3, 50, 25, 2)
    full = np.asarray(arrays.x)
    assert isinstance(arrays.x.bases[0], np.memmap)
    again = load_arrays(name)  # from the cache
    np.testing.assert_array_equal(np.asarray(again.x), full)
    part = arrays.subset(np.array([4, 1]))
    assert isinstance(part.x, LazyRows) and part.labels.tolist() == [1, 1]
    np.testing.assert_array_equal(part.x[np.array([1, 0])], full[[1, 4]])
    np.testing.assert_array_equal(part.x[1], full[1])
    assert isinstance(part.x[:1], LazyRows) and len(part.x[:1]) == 1
    pooled = pool([part, arrays.subset(np.array([0]))])
    assert isinstance(pooled.x, LazyRows) and len(pooled.x) == 3
    np.testing.assert_array_equal(np.asarray(pooled.x), full[[4, 1, 0]])
    np.testing.assert_array_equal(pooled.x[::2], full[[4, 0]])
