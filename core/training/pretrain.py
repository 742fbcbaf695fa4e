"""Encoder pretraining: ST-GCN with cross-entropy on the seen classes; model kept by seen-class validation accuracy."""

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from core.model.stgcn import STGCN, STGCNConfig
from core.training.augment import AugmentConfig, augment_batch, mirror
from core.training.distributed import divide_batch
from core.training.resume import (
    TrainingState,
    load_state,
    rank_generators,
    remove_state,
    run_fingerprint,
    save_state,
    world_size_warning,
)

log = logging.getLogger(__name__)


@dataclass
class PretrainConfig:
    epochs: int = 40  # small datasets: the encoder overfits well before the paper's 150 epochs
    batch_size: int = 64
    learning_rate: float = 5e-3  # Adam, as in the official SMIE pretraining
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1  # softer targets generalise better to unseen classes on ~1k clips
    validation_fraction: float = 0.15  # of each seen class, for model selection only
    augment: bool = True  # core.training.augment's live-input augmentation during training
    seed: int = 0
    threads: int = 0  # torch intra-op threads, 0 = torch's default
    device: str = ""  # torch device for training; "" = CUDA when present, else CPU
    mirror: bool = False  # left/right-mirror half of the clips of classes whose names name no side
    legs_unseen_prob: float = 0.0  # share of clips shown without legs, as a webcam on the upper body sees them
    balance: str = ""  # "" every clip once an epoch; "classes" / "datasets": draws that give each the same share
    extra: dict = field(default_factory=dict)  # free-form, recorded in the checkpoint


def batch_rows(num_rows: int, batch_size: int, rng: np.random.Generator | None,
               draw_weights: np.ndarray | None = None):
    """Row indices of each batch: shuffled by rng, or in order without one. With draw_weights ((num_rows,),
    summing to 1) an epoch is num_rows draws with replacement by those weights instead."""
    if draw_weights is not None:
        order = rng.choice(num_rows, size=num_rows, replace=True, p=draw_weights)
    else:
        order = rng.permutation(num_rows) if rng is not None else np.arange(num_rows)
    for start in range(0, num_rows, batch_size):
        yield order[start:start + batch_size]


BALANCE_MODES = ("", "classes", "datasets")


def balanced_draw_weights(balance: str, labels: np.ndarray, datasets: np.ndarray | None) -> np.ndarray | None:
    """(N,) draw probabilities that give every class ("classes") or every dataset ("datasets") the same share
    of an epoch, each clip of a group alike; None for "" (every clip once). Without balancing the classes of
    big sets (Bandai-Namco's ~100 clips a class, against ~17 in Kinder-Gator) dominate the pooled loss."""
    if balance not in BALANCE_MODES:
        raise ValueError(f"balance {balance!r}: expected one of {', '.join(repr(m) for m in BALANCE_MODES)}")
    if not balance:
        return None
    if balance == "datasets" and datasets is None:
        raise ValueError("balance 'datasets' needs the dataset of each training clip")
    groups = np.asarray(labels) if balance == "classes" else np.asarray(datasets)
    _, group_of_row, counts = np.unique(groups, return_inverse=True, return_counts=True)
    weights = 1.0 / (counts[group_of_row] * len(counts))
    return weights / weights.sum()


SIDE_WORDS = ("left", "right", "clockwise")  # a mirrored clip of such a class shows another class


def training_device(requested: str = "") -> torch.device:
    """The device named, or CUDA when present, else CPU."""
    return torch.device(requested or ("cuda" if torch.cuda.is_available() else "cpu"))


def mirrorable_classes(class_names: list[str]) -> np.ndarray:
    """(C,) bool: the class keeps its name when mirrored left/right (its name names no side or direction)."""
    return np.array([not any(word in name.lower() for word in SIDE_WORDS) for name in class_names])


def mirror_some(batch: torch.Tensor, may_mirror: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each clip whose may_mirror flag is set with probability 1/2."""
    flip = may_mirror & (torch.rand(len(batch), generator=generator) < 0.5).to(may_mirror.device)
    if not bool(flip.any()):
        return batch
    batch = batch.clone()
    batch[flip] = mirror(batch[flip])
    return batch


@torch.inference_mode()
def classify(encoder, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(N,) predicted class of each clip."""
    encoder.eval()
    device = next(encoder.parameters()).device
    out = [encoder(torch.from_numpy(x[rows]).to(device)).argmax(dim=1).cpu().numpy()
           for rows in batch_rows(len(x), batch_size, None)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


@torch.no_grad()
def recalibrate_batchnorm(encoder, x: np.ndarray, batch_size: int = 64, distributed=None) -> None:
    """Recompute every BatchNorm's running statistics as exact averages over x (train-mode passes, no update
    of weights): on small datasets the momentum estimates lag behind the final weights. Under torchrun
    (distributed, a core.training.distributed.Distributed, with synchronised BatchNorm) each rank passes its
    share of the same global batches, so every rank ends with the statistics one process would compute."""
    norms = [m for m in encoder.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    encoder.train()
    device = next(encoder.parameters()).device
    for rows in batch_rows(len(x), batch_size, None):
        if distributed is not None:
            if len(rows) < distributed.world_size:
                continue  # a last batch too small to give every rank a clip: skipped by every rank
            rows = distributed.share(rows)
        encoder(torch.from_numpy(x[rows]).to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    encoder.eval()


def pretrain_encoder(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
                     num_classes: int, config: PretrainConfig, encoder_config=None, progress: bool = True,
                     class_names: list[str] | None = None, checkpoint_dir: Path | None = None,
                     on_epoch_end: Callable[[dict], None] | None = None, distributed=None,
                     train_datasets: np.ndarray | None = None):
    """Train an ST-GCN classifier; returns (encoder at the best validation epoch, on the CPU; history list of
    dicts). config.mirror needs class_names (which classes keep their name when mirrored); config.balance
    "datasets" needs train_datasets, the dataset of each training clip.

    checkpoint_dir: after every epoch the whole training state (weights, optimiser, schedule, random generators,
    best epoch so far) is written there, so a run that is stopped resumes from its last finished epoch with the
    same result as an uninterrupted one; the state is removed once training finishes. on_epoch_end gets each
    epoch's record after its state is saved.

    distributed: this rank of a torchrun job (core.training.distributed.start()), or None for one process.
    Then config.batch_size is the global batch, each rank trains on its share with DistributedDataParallel and
    synchronised BatchNorm, only rank 0 writes the training state, and every rank returns the same encoder."""
    ddp = distributed
    if ddp is not None:
        divide_batch(config.batch_size, ddp.world_size)
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    encoder_config = encoder_config or STGCNConfig()
    encoder_config.num_classes = num_classes
    device = training_device(config.device) if ddp is None else ddp.device
    encoder = STGCN(encoder_config).to(device)
    model = encoder
    if ddp is not None:  # same initial weights on every rank; then each rank's own dropout and augmentation
        torch.manual_seed(ddp.rank_seed(config.seed))
        generator.manual_seed(ddp.rank_seed(config.seed))
        encoder = ddp.sync_batchnorm(encoder)
        model = ddp.wrap(encoder)
    if config.mirror and class_names is None:
        raise ValueError("mirroring needs the class names, to know which classes keep theirs when mirrored")
    may_mirror = torch.from_numpy(mirrorable_classes(class_names)) if config.mirror else None
    draw_weights = balanced_draw_weights(config.balance, train_y, train_datasets)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    batches = (max(1, -(-len(train_x) // config.batch_size)) if ddp is None
               else max(1, ddp.batches_per_epoch(len(train_x), config.batch_size)))
    steps = config.epochs * batches
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    augment_config = AugmentConfig(legs_unseen_prob=config.legs_unseen_prob)
    best_state, best_accuracy, history = None, -1.0, []
    fingerprint = run_fingerprint(config, encoder_config, train_x, train_y, val_x, val_y)
    if ddp is None:
        resumed = load_state(checkpoint_dir, fingerprint) if checkpoint_dir is not None else None
    else:
        ddp.same_everywhere(fingerprint, "training data and settings (run fingerprints)")
        resumed = ddp.from_main(lambda: load_state(checkpoint_dir, fingerprint) if checkpoint_dir is not None
                                else None, "reading the training state")
    if resumed is not None:
        encoder.load_state_dict(resumed.model)
        optimizer.load_state_dict(resumed.optimizer)
        schedule.load_state_dict(resumed.schedule)
        rng.bit_generator.state = resumed.numpy_rng
        own = rank_generators(resumed, 0 if ddp is None else ddp.rank, 1 if ddp is None else ddp.world_size)
        if ddp is None:
            generator.set_state(resumed.torch_generator)
            torch.set_rng_state(resumed.torch_rng)
        elif own is not None:
            generator.set_state(own[0])
            torch.set_rng_state(own[1])
        else:  # another world size: this rank's draws start afresh, seeded by the epoch too
            fresh = int(np.random.SeedSequence([config.seed, ddp.rank, len(resumed.history)]).generate_state(1)[0])
            generator.manual_seed(fresh)
            torch.manual_seed(fresh)
        best_state, best_accuracy, history = resumed.best_model, resumed.best_accuracy, resumed.history
        processes = 1 if ddp is None else ddp.world_size
        if ddp is None or ddp.is_main:
            log.warning("resuming pretraining from %s after epoch %d of %d%s", checkpoint_dir, len(history),
                        config.epochs, f" ({processes} processes, as saved)" if ddp and own is not None else "")
            if (warning := world_size_warning(resumed, processes)) is not None:
                log.warning("%s", warning)
    bar = tqdm(range(len(history), config.epochs), desc="pretrain", unit="epoch", initial=len(history),
               total=config.epochs, disable=not progress or (ddp is not None and not ddp.is_main))
    for epoch in bar:
        started = time.perf_counter()
        model.train()
        losses, correct, trained = [], 0, 0
        for rows in batch_rows(len(train_x), config.batch_size, rng, draw_weights):
            global_rows = len(rows)
            if ddp is None:
                clips = train_x[rows]
            else:
                if global_rows < ddp.world_size:
                    continue  # a last batch too small to give every rank a clip: skipped by every rank
                rows = ddp.share(rows)
                with ddp.agreed(f"reading its training clips in epoch {epoch + 1}"):
                    clips = train_x[rows]
            batch = torch.from_numpy(clips).to(device)
            target = torch.from_numpy(train_y[rows])
            if may_mirror is not None:
                batch = mirror_some(batch, may_mirror[target].to(device), generator)
            if config.augment:
                batch = augment_batch(batch, augment_config, generator)
            target = target.to(device)
            logits = model(batch)
            if ddp is None:
                loss = F.cross_entropy(logits, target, label_smoothing=config.label_smoothing)
            else:  # this rank's part of the global batch mean; DDP averages over ranks, giving the whole mean
                loss = F.cross_entropy(logits, target, label_smoothing=config.label_smoothing,
                                       reduction="sum") * (ddp.world_size / global_rows)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
            correct += int((logits.argmax(dim=1) == target).sum())
            trained += len(rows)
        if ddp is None:
            val_accuracy = float((classify(encoder, val_x) == val_y).mean()) if len(val_x) else float("nan")
            epoch_loss, train_accuracy = float(np.mean(losses)), correct / len(train_x)
        else:
            epoch_loss = float(np.mean(ddp.all_sum(losses) / ddp.world_size))
            correct, trained = ddp.all_sum([correct, trained])
            train_accuracy = float(correct / trained)
            val_accuracy = float("nan")
            if len(val_x):
                block = ddp.block(len(val_x))
                right = int((classify(encoder, val_x[block]) == val_y[block]).sum())
                val_accuracy = float(ddp.all_sum([right])[0] / len(val_x))
        record = {"epoch": epoch + 1, "loss": epoch_loss, "train_acc": train_accuracy,
                  "val_acc": val_accuracy, "seconds": time.perf_counter() - started}
        history.append(record)
        bar.set_postfix(loss=f"{record['loss']:.3f}", train=f"{record['train_acc']:.2f}", val=f"{val_accuracy:.2f}")
        if not len(val_x) or val_accuracy >= best_accuracy:  # ties keep the later, better-trained epoch
            best_accuracy, best_state = val_accuracy, copy.deepcopy(encoder.state_dict())
        if checkpoint_dir is not None:
            state = TrainingState(fingerprint, encoder.state_dict(), optimizer.state_dict(), schedule.state_dict(),
                                  rng.bit_generator.state, generator.get_state(), torch.get_rng_state(), best_state,
                                  best_accuracy, history)
            _save_epoch(checkpoint_dir, ddp, state)
        if on_epoch_end is not None:
            on_epoch_end(record)
    encoder.load_state_dict(best_state)
    recalibrate_batchnorm(encoder, train_x, config.batch_size, ddp)
    if ddp is not None:  # the plain model, with torch's own BatchNorm layers
        plain = STGCN(encoder_config)
        plain.load_state_dict({name: value.cpu() for name, value in encoder.state_dict().items()})
        encoder = plain
    encoder = encoder.cpu()
    if checkpoint_dir is not None and (ddp is None or ddp.is_main):
        remove_state(checkpoint_dir)
    log.info("pretrained: best seen-class validation accuracy %.3f", best_accuracy)
    return encoder, history


def _save_epoch(checkpoint_dir: Path, ddp, state: TrainingState) -> None:
    """The state saved to checkpoint_dir: by the one process, or by rank 0 with every rank's random generators
    gathered (a failure to write stops every rank with the same message)."""
    if ddp is None:
        save_state(checkpoint_dir, state)
        return
    ranks = ddp.all_gather([state.torch_generator, state.torch_rng])
    with ddp.agreed("saving the training state"):
        if ddp.is_main:
            state.world_size, state.rank_generators = ddp.world_size, ranks
            save_state(checkpoint_dir, state)
