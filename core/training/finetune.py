"""End-to-end fine-tuning: the encoder's last blocks trained together with the SMIE head on its MI objective."""

import copy
import logging
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from core.model.smie import SMIEHead, mask_keyframes
from core.training.augment import AugmentConfig, augment_batch
from core.training.pretrain import batch_rows, training_device
from core.training.train_head import draw_phrasing

log = logging.getLogger(__name__)


@dataclass
class FinetuneConfig:
    blocks: int = 2  # last ST-GCN blocks unfrozen; earlier blocks and the input BatchNorm stay as pretrained
    epochs: int = 10  # passes over the seen clips, after the head was trained on frozen features
    batch_size: int = 64
    encoder_lr: float = 1e-4  # Adam; small, so features move towards the text without forgetting the classes
    head_lr: float = 5e-5  # the head starts trained: half its own training rate
    augment: bool = True  # the live-input augmentation of pretraining, so the unfrozen blocks do not overfit
    seed: int = 0
    device: str = ""  # "" = CUDA when present, else CPU


def unfreeze_last_blocks(encoder, blocks: int) -> list[torch.nn.Parameter]:
    """Freeze the encoder except its last `blocks` blocks (with their graph masks); -> the trainable parameters.

    Frozen blocks stay in eval mode (their BatchNorm statistics are kept); unfrozen ones train."""
    total = len(encoder.blocks)
    if not 1 <= blocks <= total:
        raise ValueError(f"blocks to unfreeze must be 1..{total}, got {blocks}")
    encoder.requires_grad_(False)
    encoder.eval()
    trainable = []
    for block, importance in list(zip(encoder.blocks, encoder.edge_importance))[total - blocks:]:
        block.requires_grad_(True).train()
        importance.requires_grad_(encoder.config.edge_importance)
        trainable += [p for p in block.parameters()] + ([importance] if importance.requires_grad else [])
    return trainable


def finetune(encoder, head, clips: np.ndarray, labels: np.ndarray, class_text: np.ndarray, config: FinetuneConfig,
             progress: bool = True):
    """Copies of (encoder, head) trained end to end on (N, C, T, V, M) seen clips with labels (N,) indexing
    class_text (C, d_s), or (K, C, d_s) phrasings drawn per class and batch as in core.training.train_head. The SMIE loss
    is the head's own (its negatives and temporal term, the masked clips going through the encoder too). Keeps the
    last epoch: nothing is chosen on unseen classes. Returns (encoder, head, per-epoch mean losses), on the CPU."""
    if not isinstance(head, SMIEHead):
        raise ValueError(f"fine-tuning trains on the SMIE objective; got a {type(head).__name__} head")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    device = training_device(config.device)
    encoder, head = copy.deepcopy(encoder).to(device), copy.deepcopy(head).to(device).train()
    trainable = unfreeze_last_blocks(encoder, config.blocks)
    head.requires_grad_(True)
    optimizer = torch.optim.Adam([{"params": trainable, "lr": config.encoder_lr},
                                  {"params": list(head.parameters()), "lr": config.head_lr}])
    class_text = class_text if class_text.ndim == 3 else class_text[None]
    text = torch.from_numpy(np.ascontiguousarray(class_text, dtype=np.float32)).to(device)
    labels_all = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    temporal = head.config.temporal != "none"
    history = []
    for _ in tqdm(range(config.epochs), desc="fine-tune", disable=not progress, unit="epoch"):
        losses = []
        for rows in batch_rows(len(clips), config.batch_size, rng):
            if len(rows) < 2:
                continue  # negatives need a second clip
            batch = torch.from_numpy(np.ascontiguousarray(clips[rows])).to(device)
            if config.augment:
                batch = augment_batch(batch, AugmentConfig(), generator)
            v = encoder.forward_features(batch)
            v_masked = encoder.forward_features(mask_keyframes(batch, head.config, generator)) if temporal else None
            phrasing = draw_phrasing(text, rng)
            loss, _ = head.loss(v, phrasing, labels_all[rows].to(device), v_masked)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)) if losses else float("nan"))
        log.debug("fine-tune epoch %d: loss %.4f", len(history), history[-1])
    encoder.requires_grad_(True)  # as built: every weight trainable, graph masks as the config says
    for importance in encoder.edge_importance:
        importance.requires_grad_(encoder.config.edge_importance)
    return encoder.cpu().eval(), head.cpu().eval(), history
