"""Training in several processes under torchrun: process group, rank helpers, the global-batch sampler, BatchNorm
synchronised across ranks, and failure agreement (every rank stops with the same message).

Nothing here runs unless torchrun started the process (WORLD_SIZE, RANK and LOCAL_RANK are set): the one-process
path of pretraining and head training never touches torch.distributed.

The sampler: every rank draws the same permutation (the run's seed), cuts it into the global batches one process
would train on, and takes its contiguous share of each (per-rank batch = global / world size). Each rank's loss
is its share of the global batch mean, so DDP's averaged gradient is the one-process gradient of the whole batch.
Augmentation and dropout draw from per-rank seeds (rank 0 keeps the run's seed): a run is reproducible for a given
world size. BatchNorm statistics are those of the whole global batch: torch's SyncBatchNorm on CUDA; on the CPU,
where torch's SyncBatchNorm refuses to run, AllReduceBatchNorm all-reduces each layer's sums (forward and backward)."""

import logging
import os
import signal
import sys
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.modules.batchnorm import _BatchNorm

log = logging.getLogger(__name__)

TORCHRUN_VARIABLES = ("WORLD_SIZE", "RANK", "LOCAL_RANK")
# Waits for another rank's own work (rank 0 building the parse cache of a large dataset) use this timeout, not
# the process group's: a first parse of NTU-120 takes far longer than NCCL's 10 minutes.
WAIT_TIMEOUT = timedelta(hours=6)


class DistributedRunError(RuntimeError):
    """A failure every rank agreed on: each raises it with the same message."""


class StoppedByLauncher(BaseException):
    """SIGTERM from torchrun: another rank failed (torchrun stops the others) or the job was stopped."""


def launched_by_torchrun(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    return all(name in environ for name in TORCHRUN_VARIABLES)


def divide_batch(global_batch: int, world_size: int, option: str = "--batch-size") -> int:
    """The per-rank batch; ValueError with what to pick instead when global_batch does not divide."""
    if global_batch < world_size or global_batch % world_size:
        lower = max(world_size, global_batch // world_size * world_size)
        raise ValueError(f"{option} {global_batch} is the global batch and must divide evenly among the "
                         f"{world_size} processes torchrun started (--nproc-per-node x --nnodes): pick a multiple "
                         f"of {world_size}, e.g. {lower} or {lower + world_size}")
    return global_batch // world_size


@dataclass
class Distributed:
    """One rank of a torchrun job, after start()."""

    rank: int
    local_rank: int
    world_size: int
    device: torch.device
    backend: str  # "nccl" on CUDA, "gloo" on the CPU
    control: object  # a Gloo group for flags, objects and long waits (never the GPU's stream)
    norms: object  # the group AllReduceBatchNorm reduces on: its own, so its order never mixes with DDP's buckets

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def speaks(self) -> bool:
        """Prints messages: local rank 0, so every machine's console says why its processes stopped."""
        return self.local_rank == 0

    # -- the sampler ------------------------------------------------------------------------------------------
    def share(self, rows: np.ndarray) -> np.ndarray:
        """This rank's contiguous share of a global batch (shares differ by at most one row)."""
        return np.array_split(rows, self.world_size)[self.rank]

    def block(self, count: int) -> slice:
        """This rank's contiguous block of count rows (validation, feature extraction)."""
        bounds = np.linspace(0, count, self.world_size + 1).round().astype(int)
        return slice(int(bounds[self.rank]), int(bounds[self.rank + 1]))

    def batches_per_epoch(self, count: int, batch_size: int, least_per_rank: int = 1) -> int:
        """Global batches trained per epoch: a last batch too small to give each rank least_per_rank rows is
        skipped by every rank."""
        full, rest = divmod(count, batch_size)
        return full + (rest >= least_per_rank * self.world_size)

    def rank_seed(self, seed: int) -> int:
        """Rank 0 keeps the run's seed; every other rank gets its own, derived from (seed, rank)."""
        return seed if self.rank == 0 else int(np.random.SeedSequence([seed, self.rank]).generate_state(1)[0])

    # -- models -----------------------------------------------------------------------------------------------
    def sync_batchnorm(self, model: torch.nn.Module) -> torch.nn.Module:
        """Every BatchNorm normalised by the statistics of the whole global batch (in place)."""
        if self.device.type == "cuda":
            return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return convert_batchnorm(model, self.norms)

    def wrap(self, model: torch.nn.Module, find_unused_parameters: bool = False):
        """DistributedDataParallel around model (its parameters are broadcast from rank 0)."""
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids,
                                                         find_unused_parameters=find_unused_parameters)

    # -- agreement --------------------------------------------------------------------------------------------
    def agree(self, error: BaseException | None, what: str) -> None:
        """Every rank calls this: when any rank brings an error, every rank raises DistributedRunError with the
        same message, naming the (first) failed rank. One small all-reduce when nothing failed."""
        flag = torch.tensor([0 if error is None else 1], dtype=torch.int64)
        dist.all_reduce(flag, group=self.control)
        if not int(flag):
            return
        messages = [None] * self.world_size
        dist.all_gather_object(messages, None if error is None else f"{type(error).__name__}: {error}",
                               group=self.control)
        failed = [rank for rank, message in enumerate(messages) if message is not None]
        more = f" (also rank {', '.join(map(str, failed[1:]))})" if len(failed) > 1 else ""
        raise DistributedRunError(f"rank {failed[0]} of {self.world_size} failed while {what}: "
                                  f"{messages[failed[0]]}{more}") from error

    def agreed(self, what: str) -> "_Agreed":
        """with ctx.agreed("saving the training state"): ... -- an exception on any rank stops every rank."""
        return _Agreed(self, what)

    def same_everywhere(self, value: str, what: str) -> None:
        """DistributedRunError on every rank unless every rank has the same value (e.g. a data fingerprint)."""
        values = self.all_gather(value)
        differing = [rank for rank, other in enumerate(values) if other != values[0]]
        if differing:
            raise DistributedRunError(f"the {what} differ between ranks: rank 0 has {values[0]}, rank "
                                      f"{differing[0]} has {values[differing[0]]}; every machine needs the same "
                                      "files, datasets and settings")

    def from_main(self, compute, what: str):
        """compute() on rank 0, its result (or its error, on every rank) everywhere."""
        result, error = None, None
        if self.is_main:
            try:
                result = compute()
            except Exception as failure:  # noqa: BLE001 -- re-raised below on every rank, with the same message
                error = failure
        self.agree(error, what)
        box = [result]
        dist.broadcast_object_list(box, src=0, group=self.control)
        return box[0]

    def main_first(self, compute, what: str):
        """compute() on rank 0 first (it builds the caches), then on each machine's local rank 0 (a cache on a
        disk of its own), then on the other ranks, which find the caches built. Others wait up to WAIT_TIMEOUT."""
        result, error = None, None
        for turn in (self.is_main, self.local_rank == 0 and not self.is_main, self.local_rank != 0):
            if turn:
                try:
                    result = compute()
                except Exception as failure:  # noqa: BLE001 -- re-raised below on every rank, with the same message
                    error = failure
            self.agree(error, what)
        return result

    # -- collectives on small host values ---------------------------------------------------------------------
    def all_sum(self, values) -> np.ndarray:
        total = torch.as_tensor(np.asarray(values, dtype=np.float64).reshape(-1))
        dist.all_reduce(total, group=self.control)
        return total.numpy()

    def all_gather(self, value) -> list:
        values = [None] * self.world_size
        dist.all_gather_object(values, value, group=self.control)
        return values


class _Agreed:
    def __init__(self, context: Distributed, what: str):
        self.context, self.what = context, what

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is not None and not issubclass(kind, Exception):
            return False  # KeyboardInterrupt, a launcher's stop: no agreement, the process ends
        self.context.agree(error, self.what)
        return False


class AllReduceBatchNorm(_BatchNorm):
    """BatchNorm whose training statistics are those of the whole global batch across ranks, on any device:
    each layer all-reduces [sum, sum of squares, count] (in float64) with an autograd-aware all-reduce, so the
    backward pass sums the gradients of the statistics over ranks too -- what SyncBatchNorm does on CUDA. Eval
    mode, and a world of one, are plain BatchNorm. Its state dict is a BatchNorm's."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        group = self.process_group or dist.group.WORLD
        if not (self.training and dist.is_initialized() and dist.get_world_size(group) > 1):
            return super().forward(x)
        channels, dims = x.shape[1], [0] + list(range(2, x.dim()))
        count = x.new_full((1,), x.numel() // channels, dtype=torch.float64)
        sums = torch.cat([x.sum(dims, dtype=torch.float64), (x * x).sum(dims, dtype=torch.float64), count])
        sums = _SummedOverRanks.apply(sums, group)
        total = sums[-1]
        mean = sums[:channels] / total
        var = (sums[channels:2 * channels] / total - mean * mean).clamp_min(0)
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            with torch.no_grad():
                unbiased = var * total / (total - 1).clamp_min(1)
                self.running_mean.mul_(1 - factor).add_(factor * mean.to(self.running_mean.dtype))
                self.running_var.mul_(1 - factor).add_(factor * unbiased.to(self.running_var.dtype))
        shape = [1, channels] + [1] * (x.dim() - 2)
        y = (x - mean.to(x.dtype).view(shape)) * torch.rsqrt(var + self.eps).to(x.dtype).view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


class _SummedOverRanks(torch.autograd.Function):
    """All-reduce (sum) whose gradient is the sum over ranks of the gradients (each rank's loss depends on every
    rank's input through the sum)."""

    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        tensor = tensor.clone()
        dist.all_reduce(tensor, group=group)
        return tensor

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad, group=ctx.group)
        return grad, None


def convert_batchnorm(module: torch.nn.Module, process_group=None) -> torch.nn.Module:
    """Every BatchNorm*d in module replaced by an AllReduceBatchNorm holding the same parameters and buffers
    (as torch.nn.SyncBatchNorm.convert_sync_batchnorm does for CUDA)."""
    converted = module
    if isinstance(module, _BatchNorm) and not isinstance(module, AllReduceBatchNorm):
        converted = AllReduceBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                       module.track_running_stats, process_group)
        if module.affine:
            converted.weight, converted.bias = module.weight, module.bias
        if module.track_running_stats:
            converted.running_mean, converted.running_var = module.running_mean, module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
        converted.train(module.training)
    for name, child in module.named_children():
        converted.add_module(name, convert_batchnorm(child, process_group))
    return converted


def _stopped_by_launcher(signum, frame):
    raise StoppedByLauncher()


def start(device_request: str = "") -> Distributed:
    """Join the torchrun job: NCCL with this process's GPU (cuda:LOCAL_RANK) when CUDA is asked for or present,
    else Gloo on the CPU. Only rank 0 logs below ERROR; SIGTERM (torchrun stopping the job) raises
    StoppedByLauncher."""
    rank, local_rank, world_size = (int(os.environ[name]) for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"))
    wants_cuda = device_request.startswith("cuda") or (not device_request and torch.cuda.is_available())
    if wants_cuda:
        if device_request not in ("", "cuda"):
            raise ValueError(f"--device {device_request}: under torchrun each process takes the GPU of its local "
                             "rank; give --device cuda or leave --device out")
        if local_rank >= torch.cuda.device_count():
            raise ValueError(f"local rank {local_rank} has no GPU ({torch.cuda.device_count()} here): start at "
                             "most that many processes per machine (--nproc-per-node)")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device(device_request or "cpu")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend, **({"device_id": device} if backend == "nccl" else {}))
    control = dist.new_group(backend="gloo", timeout=WAIT_TIMEOUT)
    norms = dist.new_group(backend="gloo") if backend == "gloo" else None
    if rank != 0:
        logging.getLogger().setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, _stopped_by_launcher)
    log.info("rank %d of %d (local rank %d): %s on %s", rank, world_size, local_rank, backend, device)
    return Distributed(rank, local_rank, world_size, device, backend, control, norms)


def stop(context: Distributed | None) -> None:
    if context is not None and dist.is_initialized():
        dist.destroy_process_group()


def peak_memory(device: torch.device | None = None) -> dict:
    """{"rss_bytes": peak resident set of this process (memory-mapped data counts once it has been read),
    "cuda_bytes": peak CUDA allocation, on a GPU}."""
    try:
        import resource  # POSIX only
    except ImportError:
        out = {"rss_bytes": None}
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {"rss_bytes": int(peak if sys.platform == "darwin" else peak * 1024)}
    if device is not None and device.type == "cuda":
        out["cuda_bytes"] = int(torch.cuda.max_memory_allocated(device))
    return out


def run_on_ranks(device_request: str, body, command: str) -> int:
    """body(context) on this rank of a torchrun job; the process group is torn down after. An agreed failure
    is printed (on each machine's local rank 0, and on the rank that failed) as one message and gives 1; a
    refused setting gives 2; torchrun stopping the job (another rank died) gives 143 with what to do next."""
    try:
        context = start(device_request)
    except ValueError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return 2
    try:
        return int(body(context) or 0)
    except DistributedRunError as error:
        if context.speaks or str(error).startswith(f"rank {context.rank} "):
            print(f"{command} stopped on every rank: {error}", file=sys.stderr)
        return 1
    except StoppedByLauncher:
        if context.speaks:
            print(f"{command}: rank {context.rank} of {context.world_size} stopped by torchrun: another rank "
                  "failed (torchrun names it) or the job was stopped. Run the same command to resume after the "
                  "last finished epoch.", file=sys.stderr)
        return 143
    except ValueError as error:  # a setting refused the same way on every rank (e.g. the batch size)
        if context.speaks:
            print(f"{command}: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        if "gloo" in str(error).lower() or "nccl" in str(error).lower() or isinstance(error, dist.DistError):
            print(f"{command}: rank {context.rank} of {context.world_size} lost contact with another rank (it "
                  "failed or was stopped; torchrun names it). Run the same command to resume after the last "
                  f"finished epoch. ({type(error).__name__}: {str(error).splitlines()[0][:200]})", file=sys.stderr)
            return 1
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stop(context)
