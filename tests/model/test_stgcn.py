"""ST-GCN encoder: official shape and size, absent-body fast path and the BatchNorm-folded copy match the reference."""

import json
from dataclasses import asdict

import pytest
import torch

from core.cli import main
from core.model.stgcn import STGCN, STGCNConfig
from core.model.stgcn_fused import FusedSTGCN, fuse_for_inference
from core.model.streams import stream

ATOL = 1e-4


def _randomized_model(seed: int = 0, num_classes: int = 7, temporal_kernel: int = 9,
                      input_stream: str = "joint") -> STGCN:
    """A model whose BatchNorms and graph masks are far from their initial identity, so folding is tested."""
    torch.manual_seed(seed)
    model = STGCN(STGCNConfig(num_classes=num_classes, temporal_kernel=temporal_kernel, input_stream=input_stream))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
        for importance in model.edge_importance:
            importance.uniform_(0.5, 1.5)
    return model.eval()


def _mixed_batch(frames: int = 50) -> torch.Tensor:
    """Four clips: two bodies, one body, an absent first body, and nobody at all."""
    x = torch.randn(4, 3, frames, 25, 2)
    x[1, ..., 1] = 0
    x[2, ..., 0] = 0
    x[3] = 0
    return x


def _reference_features(model: STGCN, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.forward_features(x, skip_absent_bodies=False)


def test_parameter_count_matches_the_official_encoder():
    model = STGCN(STGCNConfig(num_classes=60))
    encoder_params = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("fc."))
    print(f"ST-GCN encoder parameters: {encoder_params:,} (+ {256 * 60 + 60:,} in the 60-class head)")
    assert 0.81e6 < encoder_params < 0.83e6, encoder_params


def test_shapes_strides_and_residuals():
    model = STGCN(STGCNConfig(num_classes=5)).eval()
    x = torch.randn(2, 3, 50, 25, 2)
    with torch.no_grad():
        assert model.forward_features(x).shape == (2, 256)
        assert model(x).shape == (2, 5)
        h = model.data_bn(x[..., 0].permute(0, 3, 1, 2).reshape(2, 75, 50)).view(2, 25, 3, 50).permute(0, 2, 3, 1)
        frames = []
        for block, importance in zip(model.blocks, model.edge_importance):
            h = block(h, model.graph * importance)
            frames.append(h.shape[2])
    assert frames == [50, 50, 50, 50, 25, 25, 25, 13, 13, 13]
    assert model.blocks[0].residual is None and model.blocks[0].tcn[4].p == 0.0
    assert isinstance(model.blocks[1].residual, torch.nn.Identity) and model.blocks[1].tcn[4].p == 0.5
    assert isinstance(model.blocks[4].residual, torch.nn.Sequential)  # 16 -> 32 with stride 2


def test_bad_input_shape_is_named():
    model = STGCN(STGCNConfig()).eval()
    with pytest.raises(AssertionError, match="25 joints"):
        model.forward_features(torch.zeros(1, 3, 50, 20, 2))


def test_training_step_reaches_every_parameter():
    model = STGCN(STGCNConfig(num_classes=3)).train()
    logits = model(torch.randn(3, 3, 12, 25, 2))
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, missing


def test_skipping_absent_bodies_gives_the_full_result():
    model = _randomized_model()
    x = _mixed_batch(frames=20)
    with torch.no_grad():
        fast = model.forward_features(x)
    torch.testing.assert_close(fast, _reference_features(model, x), atol=ATOL, rtol=ATOL)


def test_absent_bodies_are_left_out_of_the_mean():
    model = _randomized_model()
    x = _mixed_batch(frames=20)
    with torch.no_grad():
        alone = model.forward_features(x[1:2, ..., :1])  # the one-body clip given as M=1
        torch.testing.assert_close(model.forward_features(x[1:2]), alone, atol=ATOL, rtol=ATOL)
        second = model.forward_features(x[2:3, ..., 1:])  # first body absent: the second alone
        torch.testing.assert_close(model.forward_features(x[2:3]), second, atol=ATOL, rtol=ATOL)
    model.train()
    trained = model.forward_features(x[1:2])  # training skips the absent body too
    assert trained.shape == (1, 256) and trained.requires_grad


def test_fast_path_follows_weight_changes():
    model = _randomized_model()
    x = _mixed_batch(frames=20)
    with torch.no_grad():
        model.forward_features(x)
        model.blocks[9].tcn[2].bias.add_(0.5)
        model.data_bn.running_mean.add_(0.2)
        fast = model.forward_features(x)
    torch.testing.assert_close(fast, _reference_features(model, x), atol=ATOL, rtol=ATOL)
    other = _randomized_model(seed=1)
    model.load_state_dict(other.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(model.forward_features(x), _reference_features(other, x), atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("frames", [50, 20])
def test_fused_copy_matches_the_reference(frames):
    model = _randomized_model()
    fused = fuse_for_inference(model)
    x = _mixed_batch(frames)
    reference = _reference_features(model, x)
    torch.testing.assert_close(fused(x), reference, atol=ATOL, rtol=ATOL)
    for row in range(len(x)):  # batch 1, the live shape
        torch.testing.assert_close(fused(x[row:row + 1]), reference[row:row + 1], atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("temporal_kernel", [3, 5])
def test_fused_copy_of_a_shorter_temporal_kernel_matches_the_reference(temporal_kernel):
    model = _randomized_model(temporal_kernel=temporal_kernel)
    assert model.blocks[-1].tcn[2].kernel_size == (temporal_kernel, 1)
    fused = fuse_for_inference(model)
    assert fused.packed
    x = _mixed_batch()
    torch.testing.assert_close(fused(x[1:2]), _reference_features(model, x[1:2]), atol=ATOL, rtol=ATOL)
    torch.testing.assert_close(fused(x), _reference_features(model, x), atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("input_stream", ["bone", "motion"])
def test_an_encoder_reads_its_input_stream_itself_and_its_fused_copy_agrees(input_stream):
    model = _randomized_model(input_stream=input_stream)
    as_joints = _randomized_model()
    as_joints.load_state_dict(model.state_dict())
    x = _mixed_batch()[:2]  # two bodies; one body
    expected = _reference_features(as_joints, stream(x, input_stream))
    torch.testing.assert_close(_reference_features(model, x), expected, atol=ATOL, rtol=ATOL)
    torch.testing.assert_close(fuse_for_inference(model)(x), expected, atol=ATOL, rtol=ATOL)


def test_a_still_body_is_present_to_a_motion_encoder():
    model = _randomized_model(input_stream="motion")
    x = torch.randn(1, 3, 50, 25, 2)
    x[..., 1] = torch.randn(3, 1, 25)  # the second person stands still: zero motion, but there
    alone = x.clone()
    alone[..., 1] = 0
    with torch.no_grad():
        both, first = model.forward_features(x), model.forward_features(alone)
        still = model.forward_features(torch.stack([x[..., 1], torch.zeros_like(x[..., 1])], dim=-1))
    torch.testing.assert_close(both, (first + still) / 2, atol=ATOL, rtol=ATOL)
    assert not torch.allclose(both, first, atol=1e-3)


def test_an_unknown_input_stream_is_named():
    with pytest.raises(AssertionError, match="input_stream must be one of .* got 'depth'"):
        STGCNConfig(input_stream="depth")


def test_fused_copy_is_frozen_and_inference_only():
    model = _randomized_model()
    fused = fuse_for_inference(model)
    assert isinstance(fused, FusedSTGCN) and not fused.training
    assert all(not p.requires_grad for p in fused.parameters())
    with pytest.raises(AssertionError, match="inference only"):
        fused.train()
    x = _mixed_batch()
    before = fused(x)
    with torch.no_grad():
        model.blocks[0].gcn.conv.weight.mul_(2.0)  # the copy does not follow later edits of the original
    torch.testing.assert_close(fused(x), before)


def test_config_round_trips_through_json():
    config = STGCNConfig(num_classes=11)
    restored = STGCNConfig(**json.loads(json.dumps(asdict(config))))
    assert restored == config
    model = STGCN(config).eval()
    copy = STGCN(restored).eval()
    copy.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 50, 25, 2)
    with torch.no_grad():
        torch.testing.assert_close(copy(x), model(x))


def test_packed_and_unpacked_inference_copies_agree():
    model = _randomized_model()
    packed, plain = fuse_for_inference(model, pack=True), fuse_for_inference(model, pack=False)
    assert not plain.packed
    x = _mixed_batch()
    torch.testing.assert_close(packed(x), plain(x), atol=ATOL, rtol=ATOL)
    torch.testing.assert_close(packed(x[:1]), _reference_features(model, x[:1]), atol=ATOL, rtol=ATOL)


def test_bench_encoder_command_prints_the_promised_json(capsys):
    assert main(["bench-encoder", "--json", "--repeats", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["ms_per_window"]) == {"p50", "p95"}
    assert 0 < result["ms_per_window"]["p50"] <= result["ms_per_window"]["p95"]
    assert result["windows_per_s"] > 0 and result["batch"] == 1 and result["bodies"] == 1
    assert result["temporal_kernel"] == 9  # the default model's


def test_bench_encoder_times_the_temporal_kernel_asked_for(capsys):
    assert main(["bench-encoder", "--json", "--repeats", "2", "--temporal-kernel", "3"]) == 0
    assert json.loads(capsys.readouterr().out)["temporal_kernel"] == 3
    for bad in ("4", "0", "three"):
        with pytest.raises(SystemExit):
            main(["bench-encoder", "--temporal-kernel", bad])
        assert f"--temporal-kernel: must be a positive odd number of frames, got '{bad}'" in capsys.readouterr().err


def test_moving_the_inference_copy_keeps_it_correct():
    model = _randomized_model()
    fused = fuse_for_inference(model)
    packed = fused.packed
    assert fused.to("cpu").packed == packed  # a no-op move keeps the packed weights (the live path does this)
    x = _mixed_batch(frames=20)
    fused64 = fused.double()  # a real change: packs and cached zero-body features are dropped, not reused
    assert not fused64.packed
    torch.testing.assert_close(fused64(x.double()).float(), _reference_features(model, x), atol=ATOL, rtol=ATOL)
