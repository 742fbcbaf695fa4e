"""Pretraining under torchrun (CPU, Gloo): two processes give one process's weights, a rank killed mid-epoch ends
the job naming it, and the run resumes from its last finished epoch. Every process runs on the loopback interface
(127.0.0.1, a free port); run as a script, this file is the worker torchrun starts."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from core.model.stgcn import STGCN, STGCNConfig
from core.training import distributed
from core.training.distributed import DistributedRunError, divide_batch
from core.training.pretrain import PretrainConfig, pretrain_encoder
from core.training.resume import STATE_FILE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SMALL = {"channels": (8, 8, 16), "strides": (1, 2, 1), "temporal_kernel": 3, "dropout": 0.0}  # no dropout: same draws
EQUAL_WEIGHTS = 1e-5  # float32 sums in another order; see test_two_processes_train_the_weights_of_one
EQUAL_OUTPUTS = 1e-5
needs_linux = pytest.mark.skipif(sys.platform != "linux", reason="loopback 'lo' and /proc: Linux")


def _data():
    """21 training clips (batches 8, 8, 5: the last splits 3 + 2 between two ranks), half with one body."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, size=(27, 3, 20, 25, 2)).astype(np.float32)
    x[::2, ..., 1] = 0
    y = np.arange(27) % 3
    x[y == 1, 1, :, 11, 0] += np.linspace(0, 1, 20, dtype=np.float32)
    return x[:21], y[:21], x[21:], y[21:]


def _pretrain(context, data=None):
    config = PretrainConfig(epochs=1, batch_size=8, seed=0, device="cpu", threads=1, augment=False)
    return pretrain_encoder(*(data or _data()), num_classes=3, config=config, encoder_config=STGCNConfig(**SMALL),
                            progress=False, distributed=context)


def _worker(out: Path) -> None:
    """Under torchrun: one epoch, weights and history written by rank 0; then each rank's message when rank 1's
    data differ."""
    context = distributed.start("cpu")
    encoder, history = _pretrain(context)
    if context.is_main:
        torch.save({"weights": encoder.state_dict(), "history": history}, out / "ddp.pt")
    other = list(_data())
    if context.rank == 1:
        other[0] = other[0] * 1.01
    try:
        _pretrain(context, other)
    except DistributedRunError as error:
        (out / f"differ{context.rank}.txt").write_text(str(error))
    distributed.stop(context)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _torchrun(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--nnodes", "1",
            "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), *arguments]


def _environment(cache: Path) -> dict:
    environment = {k: v for k, v in os.environ.items() if k not in distributed.TORCHRUN_VARIABLES}
    return dict(environment, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1", SMIE_CACHE=str(cache),
                PYTHONUNBUFFERED="1")


def test_the_global_batch_must_divide_among_the_processes():
    assert divide_batch(64, 2) == 32
    with pytest.raises(ValueError, match=r"--batch-size 64 is the global batch .* 3 processes .* e\.g\. 63 or 66"):
        divide_batch(64, 3)
    with pytest.raises(ValueError, match="multiple of 4"):
        divide_batch(2, 4)
    assert not distributed.launched_by_torchrun({"RANK": "0"})
    assert distributed.launched_by_torchrun({"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1"})


@needs_linux
def test_two_processes_train_the_weights_of_one(tmp_path):
    """Same global batches, each rank's loss its share of the batch mean, BatchNorm statistics all-reduced: the
    weights of one process within EQUAL_WEIGHTS, except the bias of a convolution that a BatchNorm follows (and
    that BatchNorm's running mean, which moves with it): BatchNorm subtracts that bias, its true gradient is 0,
    and Adam turns the rounding left in it into steps of up to the learning rate. The encoders' outputs agree."""
    run = subprocess.run(_torchrun(__file__, str(tmp_path)), capture_output=True, text=True, timeout=120,
                         cwd=PROJECT_ROOT, env=_environment(tmp_path / "cache"), check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    alone, alone_history = _pretrain(None)
    saved = torch.load(tmp_path / "ddp.pt", weights_only=True)
    for key in ("loss", "train_acc", "val_acc"):
        assert saved["history"][0][key] == pytest.approx(alone_history[0][key], abs=1e-6), key
    cancelled = {f"blocks.{i}.tcn.{k}" for i in range(3) for k in ("2.bias", "3.running_mean")}
    cancelled |= {f"blocks.{i}.gcn.conv.bias" for i in range(3)} | {f"blocks.{i}.residual.0.bias" for i in range(3)}
    cancelled |= {f"blocks.{i}.residual.1.running_mean" for i in range(3)}
    for name, value in alone.state_dict().items():
        tolerance = 2 * PretrainConfig().learning_rate if name in cancelled else EQUAL_WEIGHTS
        torch.testing.assert_close(saved["weights"][name], value, atol=tolerance, rtol=0, msg=name)
    other = STGCN(STGCNConfig(num_classes=3, **SMALL)).eval()
    other.load_state_dict(saved["weights"])
    clips = torch.from_numpy(np.concatenate(_data()[::2]))
    with torch.no_grad():
        torch.testing.assert_close(other(clips), alone.eval()(clips), atol=EQUAL_OUTPUTS, rtol=0)
    messages = {(tmp_path / f"differ{rank}.txt").read_text() for rank in (0, 1)}
    assert len(messages) == 1 and "differ between ranks" in messages.pop(), "every rank stops with one message"


def _arrays_dataset(folder: Path) -> str:
    from io_fixtures import moving_body

    data = np.zeros((24, 3, 40, 25, 2), np.float32)
    for i in range(len(data)):
        data[i, :, :30, :, 0] = moving_body(30, seed=i, wave=0.05 + 0.1 * (i % 3)).transpose(2, 0, 1)
    np.save(folder / "data.npy", data)
    (folder / "labels.txt").write_text("\n".join(str(i % 3) for i in range(len(data))))
    return f"arrays:ntu60:{folder / 'data.npy'}:{folder / 'labels.txt'}"


def _rank_pid(parent: int, rank: int) -> int | None:
    for entry in Path("/proc").iterdir():
        try:
            child = entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent
            if child and f"RANK={rank}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                return int(entry.name)
        except (OSError, IndexError, ValueError):
            continue
    return None


@needs_linux
def test_a_killed_rank_ends_the_job_by_name_and_the_run_resumes_from_its_last_epoch(tmp_path):
    out = tmp_path / "encoder"
    pretrain = ("-m", "core", "pretrain", "--datasets", _arrays_dataset(tmp_path), "--epochs", "2", "--batch-size",
                "8", "--temporal-kernel", "3", "--device", "cpu", "--out", str(out))
    environment = _environment(tmp_path / "cache")
    job = subprocess.Popen(_torchrun(*pretrain), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
                           env=environment)
    deadline = time.monotonic() + 60
    while not (out / STATE_FILE).is_file() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    victim = _rank_pid(job.pid, 1)
    assert victim is not None and (out / STATE_FILE).is_file(), job.communicate(timeout=30)[0]
    os.kill(victim, signal.SIGKILL)  # early in epoch 2 (an epoch takes about a second): epoch 1's state is saved
    output = job.communicate(timeout=60)[0]
    assert job.returncode != 0
    assert re.search(r"rank\s*:\s*1 \(local_rank: 1\)\s+exitcode\s*:\s*-9", output), output
    assert "rank 0 of 2" in output and "resume" in output, "the surviving rank says what happened"
    saved_epochs = len(torch.load(out / STATE_FILE, weights_only=True)["history"])
    assert saved_epochs == 1
    resumed = subprocess.run(_torchrun(*pretrain), capture_output=True, text=True, timeout=120,
                             cwd=PROJECT_ROOT, env=environment, check=False)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (f"resuming pretraining from {out} after epoch 1 of 2 (2 processes, as saved)"
            in resumed.stderr), resumed.stderr
    assert "encoder saved to" in resumed.stdout and "peak memory per rank" in resumed.stdout
    history = json.loads((out / "encoder.json").read_text())["history"]
    assert [record["epoch"] for record in history] == [1, 2] and not (out / STATE_FILE).exists()


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
