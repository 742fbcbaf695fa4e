"""Pretraining throughput in one process and under torchrun (DDP, Gloo on the CPU); prints one JSON object.

    python benchmarks/bench_ddp.py [--clips 128] [--epochs 3] [--batch-size 32] [--processes 2]

Trains the default ST-GCN encoder (with augmentation, as `smie pretrain` does) on synthetic clips read memory-
mapped from a .npy, and reports clips per second of the training epochs after the first (warm-up) for: one
process with 1 thread, one process with every core, and N processes of 1 thread each (torchrun on 127.0.0.1).
It also counts the encoder's FLOPs per training clip and, from the measured per-clip cost, estimates on paper the
time of one NTU-120 pretraining epoch on 1 and 8 GPUs: every assumption is in the "estimate" entry."""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

NTU120_CLIPS = 114_480
# The seen-class training clips of one NTU-120 pretraining epoch: 110 of 120 classes (SynSE 110/10), less the
# 15% seen-class validation share.
NTU120_EPOCH_CLIPS = round(NTU120_CLIPS * 110 / 120 * 0.85)
GPU_EFFECTIVE_TFLOPS = 5.0  # assumed sustained FP32 rate of one data-centre GPU on this small-channel ST-GCN
STEP_FLOOR_MS = 3.0  # assumed least time of one training step on a GPU (kernel launches of ~10 blocks, all-reduce)
EIGHT_GPU_EFFICIENCY = 0.9  # assumed DDP scaling efficiency on 8 GPUs of one machine (NVLink)


def synthetic_clips(folder: Path, count: int) -> None:
    """folder/clips.npy: (count, 3, 50, 25, 2) random clips with one body, like most clips."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.lib.format.open_memmap(folder / "clips.npy", mode="w+", dtype=np.float32, shape=(count, 3, 50, 25, 2))
    x[..., 0] = rng.normal(0, 0.3, size=(count, 3, 50, 25)).astype(np.float32)
    x.flush()


def pretrain_once(folder: Path, epochs: int, batch_size: int, threads: int, context=None) -> list[dict]:
    import numpy as np

    from core.training.pretrain import PretrainConfig, pretrain_encoder
    from core.training.training_data import LazyRows

    clips = LazyRows([np.load(folder / "clips.npy", mmap_mode="r")])  # read memory-mapped, as smie pretrain does
    labels = np.arange(len(clips)) % 10
    config = PretrainConfig(epochs=epochs, batch_size=batch_size, threads=threads, device="cpu")
    _, history = pretrain_encoder(clips, labels, clips[:batch_size], labels[:batch_size], 10, config,
                                  progress=False, distributed=context)
    return history


def clips_per_second(history: list[dict], clips: int, batch_size: int) -> float:
    timed = history[1:] or history  # the first epoch warms up allocators and thread pools
    return (clips + batch_size) * len(timed) / sum(record["seconds"] for record in timed)  # + validation batch


def flops_per_training_clip() -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from core.model.stgcn import STGCN, STGCNConfig

    model = STGCN(STGCNConfig(num_classes=10))
    x = torch.zeros(8, 3, 50, 25, 2)
    x[..., 0] = torch.randn(8, 3, 50, 25)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    return counter.get_total_flops() / len(x)


def worker(folder: Path, epochs: int, batch_size: int) -> None:
    from core.training import distributed

    context = distributed.start("cpu")
    history = pretrain_once(folder, epochs, batch_size, 1, context)
    if context.is_main:
        (folder / "ddp.json").write_text(json.dumps(history))
    distributed.stop(context)


def run_processes(folder: Path, processes: int, epochs: int, batch_size: int) -> list[dict]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(processes), "--master-addr",
               "127.0.0.1", "--master-port", str(port), __file__, "--worker", str(folder), "--epochs", str(epochs),
               "--batch-size", str(batch_size)]
    subprocess.run(command, check=True, env=environment, capture_output=True)
    return json.loads((folder / "ddp.json").read_text())


def estimate(per_clip_cpu_s: float, flops: float) -> dict:
    gpu_per_clip_s = flops / (GPU_EFFECTIVE_TFLOPS * 1e12)
    steps = -(-NTU120_EPOCH_CLIPS // 64)  # the default global batch of 64

    def epoch_seconds(gpus: int, efficiency: float) -> float:
        compute = NTU120_EPOCH_CLIPS * gpu_per_clip_s / (gpus * efficiency)
        return max(compute, steps * STEP_FLOOR_MS / 1000)

    return {
        "what": "ON PAPER, not measured: one NTU-120 pretraining epoch (SynSE 110/10 seen classes, 85% of their "
                "clips) at the default global batch of 64",
        "epoch_clips": NTU120_EPOCH_CLIPS,
        "measured_cpu_seconds_per_clip": per_clip_cpu_s,
        "cpu_epoch_hours_at_measured_rate": NTU120_EPOCH_CLIPS * per_clip_cpu_s / 3600,
        "flops_per_training_clip": flops,
        "measured_cpu_gflops": flops / per_clip_cpu_s / 1e9,
        "assumed_gpu_effective_tflops": GPU_EFFECTIVE_TFLOPS,
        "assumed_step_floor_ms": STEP_FLOOR_MS,
        "assumed_8_gpu_efficiency": EIGHT_GPU_EFFICIENCY,
        "gpu_speedup_over_this_cpu": per_clip_cpu_s / gpu_per_clip_s,
        "epoch_minutes_1_gpu": epoch_seconds(1, 1.0) / 60,
        "epoch_minutes_8_gpus": epoch_seconds(8, EIGHT_GPU_EFFICIENCY) / 60,
        "note": "data reading is left out: an epoch reads about 2.7 GB of the memory-mapped cache",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.epochs, args.batch_size)
        return
    import torch

    load_before = os.getloadavg()[0]
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        synthetic_clips(folder, args.clips)
        for threads in sorted({1, os.cpu_count() or 1}):
            history = pretrain_once(folder, args.epochs, args.batch_size, threads)
            runs.append({"processes": 1, "threads_per_process": threads,
                         "clips_per_s": clips_per_second(history, args.clips, args.batch_size)})
        history = run_processes(folder, args.processes, args.epochs, args.batch_size)
        runs.append({"processes": args.processes, "threads_per_process": 1, "launcher": "torchrun, Gloo",
                     "clips_per_s": clips_per_second(history, args.clips, args.batch_size)})
    best_single = max(run["clips_per_s"] for run in runs if run["processes"] == 1)
    flops = flops_per_training_clip()
    print(json.dumps({
        "benchmark": "pretraining throughput, default ST-GCN, T=50, one body, augmentation on",
        "clips": args.clips, "epochs_timed": args.epochs - 1, "global_batch": args.batch_size,
        "cpu_cores": os.cpu_count(), "torch": torch.__version__, "gpu": torch.cuda.is_available(),
        "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
        "runs": runs, "speedup_of_processes_over_best_single": runs[-1]["clips_per_s"] / best_single,
        "estimate": estimate(1 / best_single, flops),
    }, indent=2))


if __name__ == "__main__":
    main()
