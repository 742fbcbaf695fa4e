"""The ST-GCN encoder's inference copy: BatchNorm folded into convolutions, channels-last, prepacked oneDNN weights."""

import copy
import logging

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.model.encoder_input import input_stream, mean_over_present_bodies
from core.model.stgcn import STGCN, STGCNBlock

log = logging.getLogger(__name__)


def _fold_bn(weight: torch.Tensor, bias: torch.Tensor, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold an eval-mode BatchNorm that follows a convolution (weight (O, ...), bias (O,)) into it."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return weight * scale.view(-1, *([1] * (weight.dim() - 1))), (bias - bn.running_mean) * scale + bn.bias


def _conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride, padding) -> torch.Tensor:
    # F.conv2d leaves oneDNN for small batch-1 inputs; its native path is slower here and returns NCHW.
    if (x.is_cpu and x.dtype == torch.float32 and torch.backends.mkldnn.is_available()
            and not torch.compiler.is_compiling()):
        return torch.mkldnn_convolution(x, weight, bias, padding, stride, (1, 1), 1)
    return F.conv2d(x, weight, bias, stride, padding)


class FusedBlock(nn.Module):
    """One ST-GCN block for inference on channels-last (B, C, T, V) tensors, stored as (B, T, V, C).

    The graph sum runs first, as one batched matmul over V whose rows are (w, k) pairs; the 1x1 convolution
    over (k, c) is then one matmul, so nothing is permuted in memory. BatchNorms are folded into the convs."""

    def __init__(self, block: STGCNBlock, graph: torch.Tensor):
        super().__init__()
        K, V, _ = graph.shape
        conv = block.gcn.conv
        out_channels, in_channels = conv.out_channels // K, conv.in_channels
        bn = block.tcn[0]
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        # conv rows are (k, o): (K, O, C) -> (K*C, O) with rows (k, c), scaled by the following BN.
        weight = conv.weight.view(K, out_channels, in_channels).permute(0, 2, 1) * scale
        # A conv bias b[k, o] is summed over the input joints by the graph: sum_v A[k, v, w] per output joint w.
        bias = torch.einsum("ko,kw->wo", conv.bias.view(K, out_channels), graph.sum(dim=1))
        self.register_buffer("graph_rows", graph.permute(2, 0, 1).reshape(V * K, V).contiguous())  # [(w,k), v]
        self.register_buffer("gcn_weight", weight.reshape(K * in_channels, out_channels).contiguous())
        self.register_buffer("gcn_bias", ((bias - bn.running_mean) * scale + bn.bias).contiguous())  # (V, O)
        temporal = block.tcn[2]
        weight, bias = _fold_bn(temporal.weight, temporal.bias, block.tcn[3])
        self.register_buffer("tcn_weight", weight.contiguous(memory_format=torch.channels_last))
        self.register_buffer("tcn_bias", bias.contiguous())
        self.tcn_stride, self.tcn_padding = temporal.stride, temporal.padding
        self.num_partitions = K
        self.residual = "none" if block.residual is None else \
            "identity" if isinstance(block.residual, nn.Identity) else "conv"
        if self.residual == "conv":
            weight, bias = _fold_bn(block.residual[0].weight, block.residual[0].bias, block.residual[1])
            self.register_buffer("res_weight", weight.contiguous(memory_format=torch.channels_last))
            self.register_buffer("res_bias", bias.contiguous())
            self.res_stride = block.residual[0].stride

        self._packed = None  # oneDNN-blocked conv weights, see pack()

    def pack(self, batch: int, frames: int) -> int:
        """Reorder the conv weights once into oneDNN's blocked layout, chosen for inputs of this size, so that
        calls skip that reorder; the fused oneDNN ops also add the residual and apply ReLU. -> output frames."""
        reorder = torch.ops.mkldnn._reorder_convolution_weight
        V = self.gcn_bias.shape[0]
        size = [batch, self.tcn_weight.shape[1], frames, V]
        packed = {"tcn": reorder(self.tcn_weight, list(self.tcn_padding), list(self.tcn_stride), [1, 1], 1, size)}
        if self.residual == "conv":
            size = [batch, self.res_weight.shape[1], frames, V]
            packed["res"] = reorder(self.res_weight, [0, 0], list(self.res_stride), [1, 1], 1, size)
        self._packed = packed
        return (frames + 2 * self.tcn_padding[0] - self.tcn_weight.shape[2]) // self.tcn_stride[0] + 1

    def unpack(self):
        self._packed = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, T, V = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(B * T, V, C)  # a view: x is channels-last
        y = torch.bmm(self.graph_rows.expand(B * T, -1, -1), rows)  # (B*T, V*K, C), rows (w, k)
        y = torch.mm(y.view(B * T * V, self.num_partitions * C), self.gcn_weight).view(B, T, V, -1)
        y = F.relu_(y.add_(self.gcn_bias)).permute(0, 3, 1, 2)  # (B, O, T, V) channels-last
        if self._packed is not None and x.is_cpu:
            return self._packed_temporal(y, x)
        y = _conv(y, self.tcn_weight, self.tcn_bias, self.tcn_stride, self.tcn_padding)
        if self.residual == "identity":
            y = y.add_(x)
        elif self.residual == "conv":
            y = y.add_(_conv(x, self.res_weight, self.res_bias, self.res_stride, (0, 0)))
        return F.relu_(y)

    def _packed_temporal(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """relu(temporal conv(y) + residual(x)) with packed weights, in one oneDNN call (two with a conv residual)."""
        pointwise = torch.ops.mkldnn._convolution_pointwise
        padding, stride = list(self.tcn_padding), list(self.tcn_stride)
        if self.residual == "none":
            return pointwise(y, self._packed["tcn"], self.tcn_bias, padding, stride, [1, 1], 1, "relu", [], "")
        residual = x
        if self.residual == "conv":
            residual = pointwise(x, self._packed["res"], self.res_bias, [0, 0], list(self.res_stride), [1, 1], 1,
                                 "none", [], "")
        return pointwise.binary(y, residual, self._packed["tcn"], self.tcn_bias, padding, stride, [1, 1], 1,
                                "add", None, "relu", [], "")


class FusedSTGCN(nn.Module):
    """Eval-only ST-GCN features with BatchNorm folded in and graph masks pre-multiplied; no gradients."""

    def __init__(self, model: STGCN, pack: bool = True):
        super().__init__()
        model = copy.deepcopy(model).eval()
        with torch.no_grad():
            bn = model.data_bn
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            num_joints = model.graph.shape[1]
            # data BN runs over (V, C) pairs; stored as (C, 1, V) to broadcast over (B, C, T, V).
            self.register_buffer("data_scale", scale.view(num_joints, -1).t().unsqueeze(1).contiguous())
            self.register_buffer("data_shift", (bn.bias - bn.running_mean * scale).view(num_joints, -1).t()
                                 .unsqueeze(1).contiguous())
            self.blocks = nn.ModuleList(FusedBlock(block, model.graph * importance)
                                        for block, importance in zip(model.blocks, model.edge_importance))
        self.config = model.config
        self.requires_grad_(False)
        self.eval()
        self.packed = False
        self.packed = pack and self._pack(frames=50)

    def _pack(self, frames: int) -> bool:
        """Pack every block's conv weights for one-window calls; kept only if the features stay the same.

        The packing and fused ops are oneDNN's (torch.compile uses them on CPU) but not public API, so any
        failure or mismatch falls back to plain convolutions."""
        if not (self.data_scale.is_cpu and self.data_scale.dtype == torch.float32
                and torch.backends.mkldnn.is_available()):
            return False
        sample = torch.randn(2, self.config.in_channels, frames, self.data_scale.shape[-1],
                             generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            plain = self.encode_bodies(sample)
            try:
                for block in self.blocks:
                    frames = block.pack(1, frames)
                if torch.allclose(self.encode_bodies(sample), plain, rtol=1e-4, atol=1e-4):
                    return True
                log.warning("packed oneDNN convolutions disagree with plain ones; using plain ones")
            except (AttributeError, RuntimeError) as error:
                log.info("packed oneDNN convolutions unavailable (%s); using plain ones", error)
        for block in self.blocks:
            block.unpack()
        return False

    def train(self, mode: bool = True):
        assert not mode, "FusedSTGCN is for inference only; train the STGCN it was made from"
        return super().train(False)

    def _apply(self, fn, *args, **kwargs):
        before = (self.data_scale.device, self.data_scale.dtype)
        result = super()._apply(fn, *args, **kwargs)
        if (self.data_scale.device, self.data_scale.dtype) != before:  # stale packed weights
            for block in self.blocks:
                block.unpack()
            self.packed = self.packed and self._pack(frames=50)
        return result

    def encode_bodies(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, V) single bodies -> (B, feature_dim)."""
        x = torch.addcmul(self.data_shift, x, self.data_scale).contiguous(memory_format=torch.channels_last)
        for block in self.blocks:
            x = block(x)
        return x.mean(dim=(2, 3))

    @torch.inference_mode()
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, T, V, M) -> (N, feature_dim), the mean over present bodies, encoding only those."""
        N, C, T, V, M = x.shape
        assert (C, V) == (self.config.in_channels, self.data_scale.shape[-1]), f"bad input shape {tuple(x.shape)}"
        streamed = input_stream(x, self.config.input_stream, self.config.layout)
        return mean_over_present_bodies(self.encode_bodies, streamed, skip_absent=True, joints=x)

    forward = forward_features


def fuse_for_inference(model: STGCN, pack: bool = True) -> FusedSTGCN:
    """An eval-only copy of a trained encoder with every BatchNorm folded into its convolution; same features
    (allclose). pack: prepack the conv weights for oneDNN (CPU, float32), where that works."""
    return FusedSTGCN(model, pack)
