"""End-to-end fine-tuning: only the last blocks and the head change, on copies, and the loss goes down."""

import numpy as np
import pytest
import torch

from core.cli import main
from core.model.baselines import DeViSE, DeViSEConfig
from core.model.smie import SMIEConfig, SMIEHead
from core.model.stgcn import STGCN, STGCNConfig
from core.training.experiment import save_encoder
from core.training.finetune import FinetuneConfig, finetune, unfreeze_last_blocks


def _encoder() -> STGCN:
    torch.manual_seed(0)
    return STGCN(STGCNConfig(num_classes=2)).eval()


def _two_classes(per_class: int = 8):
    """Class 0 raises the right wrist over the frames, class 1 sways the whole body; noise on top."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.05, size=(2 * per_class, 3, 50, 25, 2)).astype(np.float32)
    x[..., 1] = 0
    ramp = np.linspace(0, 1, 50, dtype=np.float32)
    x[:per_class, 1, :, 10, 0] += ramp  # right wrist (NTU joint 11) rises
    x[per_class:, 0, :, :, 0] += np.sin(6 * ramp)[:, None] * 0.3
    return x, np.repeat([0, 1], per_class)


def test_only_the_last_blocks_train_and_frozen_ones_keep_their_statistics():
    encoder = _encoder()
    trainable = unfreeze_last_blocks(encoder, 2)
    assert {id(p) for p in trainable} == {id(p) for p in [*encoder.blocks[-2:].parameters(),
                                                           *encoder.edge_importance[-2:]]}
    assert not any(p.requires_grad for p in encoder.blocks[:-2].parameters())
    assert not encoder.data_bn.training and not encoder.blocks[0].training and encoder.blocks[-1].training
    with pytest.raises(ValueError, match="blocks to unfreeze must be 1..10, got 11"):
        unfreeze_last_blocks(_encoder(), 11)


def test_finetuning_moves_the_last_blocks_and_head_on_copies_and_lowers_the_loss():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the loss curve depends on the thread count other tests leave behind
    try:
        _finetune_and_check()
    finally:
        torch.set_num_threads(threads)


def _finetune_and_check():
    encoder = _encoder()
    x, labels = _two_classes()
    text = np.random.default_rng(1).normal(size=(2, 384)).astype(np.float32)
    head = SMIEHead(SMIEConfig()).eval()
    before_encoder = {k: v.clone() for k, v in encoder.state_dict().items()}
    before_head = {k: v.clone() for k, v in head.state_dict().items()}
    config = FinetuneConfig(blocks=2, epochs=12, batch_size=8, encoder_lr=3e-3, head_lr=3e-3, augment=False,
                            device="cpu")
    tuned_encoder, tuned_head, history = finetune(encoder, head, x, labels, text, config, progress=False)
    assert len(history) == 12 and np.mean(history[-3:]) < history[0], history
    for name, value in encoder.state_dict().items():
        assert torch.equal(value, before_encoder[name]), f"the original encoder changed: {name}"
    assert all(torch.equal(v, before_head[k]) for k, v in head.state_dict().items()), "the original head changed"
    tuned = tuned_encoder.state_dict()
    frozen = [k for k in tuned if k.startswith(("data_bn", "blocks.0.", "blocks.7.", "edge_importance.0"))]
    assert frozen and all(torch.equal(tuned[k], before_encoder[k]) for k in frozen)
    assert not torch.equal(tuned["blocks.9.tcn.2.weight"], before_encoder["blocks.9.tcn.2.weight"])
    assert not torch.equal(tuned_head.layers[0].weight, before_head["layers.0.weight"])
    assert not tuned_encoder.training and all(p.requires_grad for p in tuned_encoder.blocks.parameters())


def test_finetuning_needs_the_smie_objective():
    x, labels = _two_classes(2)
    with pytest.raises(ValueError, match="SMIE objective; got a DeViSE head"):
        finetune(_encoder(), DeViSE(DeViSEConfig(visual_dim=256, text_dim=384)), x, labels,
                 np.zeros((2, 384), np.float32), FinetuneConfig(epochs=1, device="cpu"), progress=False)


def test_smie_train_refuses_finetuning_a_baseline_before_reading_data(tmp_path, capsys):
    save_encoder(tmp_path / "enc", _encoder(), {"datasets": ["nowhere"], "seen_classes": ["a", "b"]})
    code = main(["train", "--encoder", str(tmp_path / "enc"), "--method", "devise", "--finetune-blocks", "2",
                 "--out", str(tmp_path / "model")])
    assert code == 2
    assert "--finetune-blocks 2: fine-tuning needs an SMIE method (got devise) and 1 to 10 blocks" in \
        capsys.readouterr().out
    assert not (tmp_path / "model").exists()
