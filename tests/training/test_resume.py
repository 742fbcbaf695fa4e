"""Pretraining stopped after an epoch resumes from its saved state and ends exactly as an uninterrupted run."""

import numpy as np
import pytest
import torch

from core.model.stgcn import STGCNConfig
from core.training.pretrain import PretrainConfig, pretrain_encoder
from core.training.resume import STATE_FILE

EPOCHS = 4


def _data(count: int = 24):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, size=(count, 3, 20, 25, 2)).astype(np.float32)
    x[..., 1] = 0  # one body
    y = np.arange(count) % 3
    x[y == 1, 1, :, 11, 0] += np.linspace(0, 1, 20, dtype=np.float32)  # class 1 raises the right hand
    return x[:18], y[:18], x[18:], y[18:]


def _train(checkpoint_dir=None, on_epoch_end=None, seed: int = 0):
    config = PretrainConfig(epochs=EPOCHS, batch_size=6, seed=seed, device="cpu", threads=1)
    small = STGCNConfig(channels=(8, 8, 16), strides=(1, 2, 1), temporal_kernel=3)
    return pretrain_encoder(*_data(), num_classes=3, config=config, encoder_config=small, progress=False,
                            checkpoint_dir=checkpoint_dir, on_epoch_end=on_epoch_end)


def _stop_after(epochs: int):
    def check(record):
        if record["epoch"] == epochs:
            raise KeyboardInterrupt  # what a user's Ctrl-C does mid-run
    return check


def test_a_stopped_run_resumes_from_its_last_epoch_and_ends_as_an_uninterrupted_one(tmp_path):
    reference, reference_history = _train()
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, on_epoch_end=_stop_after(2))
    assert (tmp_path / STATE_FILE).is_file()
    epochs_run = []
    resumed, history = _train(tmp_path, on_epoch_end=lambda record: epochs_run.append(record["epoch"]))
    assert epochs_run == [3, 4], "only the epochs after the saved one run again"
    assert [r["loss"] for r in history] == [r["loss"] for r in reference_history]
    for name, value in reference.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, msg=f"{name} differs after resuming")
    assert not (tmp_path / STATE_FILE).exists(), "a finished run leaves no state to resume"


def test_the_state_of_another_run_is_refused_by_name(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, on_epoch_end=_stop_after(1))
    with pytest.raises(ValueError, match=f"{STATE_FILE}: training state of another run"):
        _train(tmp_path, seed=1)


def test_a_damaged_state_file_is_named(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, on_epoch_end=_stop_after(1))
    path = tmp_path / STATE_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=f"{STATE_FILE}: unreadable training state"):
        _train(tmp_path)


def test_a_state_from_before_world_sizes_were_saved_still_resumes(tmp_path):
    from core.training.resume import load_state, rank_generators, world_size_warning

    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, on_epoch_end=_stop_after(1))
    path = tmp_path / STATE_FILE
    saved = torch.load(path, weights_only=True)
    assert saved["world_size"] == 1 and saved["rank_generators"] is None
    del saved["world_size"], saved["rank_generators"]  # the layout one-process runs wrote until now
    torch.save(saved, path)
    state = load_state(tmp_path, saved["fingerprint"])
    assert state.world_size == 1 and world_size_warning(state, 1) is None
    assert rank_generators(state, 0, 1)[0] is state.torch_generator and rank_generators(state, 1, 2) is None
    assert "sample order each rank sees" in world_size_warning(state, 2)
    state.world_size, state.rank_generators = 2, [("g0", "r0"), ("g1", "r1")]
    assert rank_generators(state, 1, 2) == ("g1", "r1") and rank_generators(state, 1, 3) is None
    epochs_run = []
    _train(tmp_path, on_epoch_end=lambda record: epochs_run.append(record["epoch"]))
    assert epochs_run == [2, 3, 4]
