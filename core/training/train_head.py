"""Training SMIE or a baseline head on frozen encoder features of the seen classes."""

import logging
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from core.model.baselines import (
    DeViSE,
    DeViSEConfig,
    RelationNet,
    RelationNetConfig,
    ReViSE,
    ReViSEConfig,
)
from core.model.smie import SMIEConfig, SMIEHead
from core.skeleton.motion import mask_keyframes_torch
from core.training.distributed import divide_batch
from core.training.pretrain import balanced_draw_weights, batch_rows, training_device

log = logging.getLogger(__name__)

METHODS = ("devise", "relationnet", "revise", "smie_no_temporal", "smie")


@dataclass
class HeadTrainConfig:
    method: str = "smie"  # one of METHODS
    epochs: int = 100  # the paper's 100 epochs over the cached features
    batch_size: int = 128  # the paper's batch size
    learning_rate: float = 1e-4  # Adam
    weight_decay: float = 0.0
    warmup_epochs: int = 5  # linear warm-up, then cosine annealing (official: 15 warm-up epochs)
    seed: int = 0
    device: str = ""  # "" = CUDA when present, else CPU
    balance: str = ""  # "" every clip once an epoch; "classes": draws that give every class the same share


@torch.inference_mode()
def extract_features(encoder, x: np.ndarray, batch_size: int = 256, mask_keyframes: str | None = None,
                     num_keyframes: int = 15, distributed=None) -> np.ndarray:
    """(N, d_v) frozen encoder features; with mask_keyframes="zero"|"drop" of the keyframe-masked clips.

    distributed (a rank of a torchrun job): each rank encodes its contiguous block of the clips and every rank
    gets all N features (the keyframe masks are drawn per block, so they differ from one process's)."""
    if distributed is not None:
        block = distributed.block(len(x))
        with distributed.agreed("extracting encoder features"):
            mine = extract_features(encoder, x[block], batch_size, mask_keyframes, num_keyframes)
        return np.concatenate(distributed.all_gather(mine))
    encoder.eval()
    device = next(encoder.parameters()).device
    generator = torch.Generator().manual_seed(0)
    out = []
    for start in range(0, len(x), batch_size):
        batch = torch.from_numpy(np.ascontiguousarray(x[start:start + batch_size]))
        if mask_keyframes:
            batch = mask_keyframes_torch(batch, num_keyframes, method=mask_keyframes, generator=generator)
        out.append(encoder.forward_features(batch.to(device)).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, encoder.config.feature_dim), dtype=np.float32)


def build_head(method: str, visual_dim: int, text_dim: int, head_config=None):
    """A fresh head for `method` with its default config (or the one given)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {METHODS}")
    if method == "devise":
        return DeViSE(head_config or DeViSEConfig(visual_dim=visual_dim, text_dim=text_dim))
    if method == "relationnet":
        return RelationNet(head_config or RelationNetConfig(visual_dim=visual_dim, text_dim=text_dim))
    if method == "revise":
        return ReViSE(head_config or ReViSEConfig(visual_dim=visual_dim, text_dim=text_dim))
    config = head_config or SMIEConfig(visual_dim=visual_dim, text_dim=text_dim)
    if method == "smie_no_temporal":
        config.temporal = "none"
    return SMIEHead(config)


def draw_phrasing(text: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(C, d_s) from (K, C, d_s) class text: each class in its own randomly drawn phrasing, so a head also learns
    to rank a described label against an undescribed one (a user's list mixes both)."""
    choice = torch.from_numpy(rng.integers(len(text), size=text.shape[1])).to(text.device)
    return text[choice, torch.arange(text.shape[1], device=text.device)]


class _HeadLoss(torch.nn.Module):
    """head.loss as a forward(), so DistributedDataParallel sees the call that makes the gradients."""

    def __init__(self, head):
        super().__init__()
        self.head = head

    def forward(self, *args):
        return self.head.loss(*args)


def train_head(features: np.ndarray, masked_features: np.ndarray | None, labels: np.ndarray,
               class_text: np.ndarray, config: HeadTrainConfig, head_config=None, progress: bool = True,
               distributed=None):
    """Fit a head on (N, d_v) features with labels (N,) indexing class_text (C, d_s), or (K, C, d_s) for K
    phrasings of every class (e.g. names alone and names with descriptions), one drawn per class and batch so
    the head learns to read and to compare all of them. Keeps the last epoch:
    no model selection on unseen classes. Returns (head in eval mode on the CPU, per-epoch mean losses).

    distributed (a rank of a torchrun job): config.batch_size is the global batch; every rank draws the same
    batches and phrasings, trains on its share with DistributedDataParallel and returns the same head. A head's
    loss is a batch loss (its negatives come from the batch), so a rank's negatives come from its own share:
    close to, not the same as, one process with the same global batch."""
    ddp = distributed
    if ddp is not None:
        divide_batch(config.batch_size, ddp.world_size)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    class_text = class_text if class_text.ndim == 3 else class_text[None]
    device = training_device(config.device) if ddp is None else ddp.device
    head = build_head(config.method, features.shape[1], class_text.shape[-1], head_config).to(device)
    loss_of = head.loss
    if ddp is not None:
        torch.manual_seed(ddp.rank_seed(config.seed))  # each rank's own dropout
        loss_of = ddp.wrap(_HeadLoss(head))
    v_all = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)).to(device)
    masked_all = None if masked_features is None else torch.from_numpy(
        np.ascontiguousarray(masked_features, dtype=np.float32)).to(device)
    if config.method == "smie" and masked_all is None:
        raise ValueError("SMIE's temporal term needs the features of keyframe-masked clips")
    labels_all = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
    text = torch.from_numpy(np.ascontiguousarray(class_text, dtype=np.float32)).to(device)
    optimizer = torch.optim.Adam(head.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    batches_per_epoch = (max(1, -(-len(v_all) // config.batch_size)) if ddp is None
                         else max(1, ddp.batches_per_epoch(len(v_all), config.batch_size, least_per_rank=2)))
    total_steps, warmup_steps = config.epochs * batches_per_epoch, config.warmup_epochs * batches_per_epoch

    def lr_factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress_fraction = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + np.cos(np.pi * progress_fraction))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    history = []
    head.train()
    quiet = not progress or (ddp is not None and not ddp.is_main)
    if config.balance not in ("", "classes"):
        raise ValueError(f"head balance {config.balance!r}: expected '' or 'classes'")
    draw_weights = balanced_draw_weights(config.balance, np.asarray(labels), None)
    for _ in tqdm(range(config.epochs), desc=f"train {config.method}", disable=quiet, unit="epoch"):
        losses = []
        for rows in batch_rows(len(v_all), config.batch_size, rng, draw_weights):
            if ddp is not None:
                if len(rows) < 2 * ddp.world_size:
                    continue  # every rank's negatives need a second clip
                rows = ddp.share(rows)
            elif len(rows) < 2:
                continue  # negatives need a second clip
            rows = torch.from_numpy(rows).to(device)
            v_masked = masked_all[rows] if masked_all is not None else None
            phrasing = draw_phrasing(text, rng)
            loss, _ = loss_of(v_all[rows], phrasing, labels_all[rows], v_masked)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.item())
        if ddp is not None:  # the mean over ranks of each step's loss
            losses = list(ddp.all_sum(losses) / ddp.world_size)
        history.append(float(np.mean(losses)) if losses else float("nan"))
    return head.cpu().eval(), history


@torch.inference_mode()
def score(head, features: np.ndarray, label_text: np.ndarray) -> np.ndarray:
    """(N, L) scores of every clip against every label embedding."""
    head.eval()
    return head.score(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)),
                      torch.from_numpy(np.ascontiguousarray(label_text, dtype=np.float32))).float().numpy()
