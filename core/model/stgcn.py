"""ST-GCN visual encoder (official SMIE configuration); core.model.stgcn_fused makes its inference copy."""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from core.model.encoder_input import input_stream, mean_over_present_bodies
from core.model.graph import spatial_partition
from core.model.streams import STREAMS
from core.skeleton.layouts import get_layout


@dataclass
class STGCNConfig:
    layout: str = "ntu25"  # skeleton layout name (core.skeleton.layouts); fixes V and the graph
    in_channels: int = 3  # x, y, z
    channels: tuple[int, ...] = (16, 16, 16, 16, 32, 32, 32, 64, 64, 256)  # output channels of the 10 blocks
    strides: tuple[int, ...] = (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)  # temporal stride per block: T 50 -> 25 -> 13
    temporal_kernel: int = 9  # frames seen by each temporal convolution
    dropout: float = 0.5  # after each temporal convolution, except in the first block (as in the official code)
    edge_importance: bool = True  # learnable (K, V, V) mask on the graph per block
    num_classes: int = 60  # classifier head for cross-entropy pretraining on the seen classes
    input_stream: str = "joint"  # what the encoder reads of the joints it is given: core.model.streams.STREAMS

    def __post_init__(self):
        self.channels, self.strides = tuple(self.channels), tuple(self.strides)  # lists after a JSON round trip
        assert len(self.channels) == len(self.strides), "channels and strides need one entry per block"
        assert self.temporal_kernel % 2 == 1, f"temporal_kernel must be odd, got {self.temporal_kernel}"
        assert self.input_stream in STREAMS, f"input_stream must be one of {STREAMS}, got {self.input_stream!r}"

    @property
    def feature_dim(self) -> int:
        return self.channels[-1]


def layout_graph(layout_name: str) -> torch.Tensor:
    """(K=3, V, V) spatial partition of the layout; entry [k, j, i] weights input joint j in output joint i."""
    return torch.from_numpy(spatial_partition(get_layout(layout_name)))


class GraphConv(nn.Module):
    """Spatial graph convolution: a 1x1 convolution to K*C_out channels, then a sum over the K partitions."""

    def __init__(self, in_channels: int, out_channels: int, num_partitions: int):
        super().__init__()
        self.num_partitions = num_partitions
        self.conv = nn.Conv2d(in_channels, out_channels * num_partitions, kernel_size=1)

    def forward(self, x: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)  # (N, K*C, T, V)
        N, KC, T, V = x.shape
        x = x.view(N, self.num_partitions, KC // self.num_partitions, T, V)
        return torch.einsum("nkctv,kvw->nctw", x, graph).contiguous()


class STGCNBlock(nn.Module):
    """Graph convolution, then BN-ReLU-temporal conv-BN-dropout, plus a residual; ReLU at the end."""

    def __init__(self, in_channels: int, out_channels: int, num_partitions: int, temporal_kernel: int,
                 stride: int, dropout: float, residual: bool):
        super().__init__()
        self.gcn = GraphConv(in_channels, out_channels, num_partitions)
        self.tcn = nn.Sequential(
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, (temporal_kernel, 1), (stride, 1), ((temporal_kernel - 1) // 2, 0)),
            nn.BatchNorm2d(out_channels),
            nn.Dropout(dropout, inplace=True),
        )
        if not residual:
            self.residual = None
        elif in_channels == out_channels and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, (stride, 1)),
                                          nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
        y = self.tcn(self.gcn(x, graph))
        if self.residual is not None:
            y = y + self.residual(x)
        return F.relu(y)


class STGCN(nn.Module):
    """ST-GCN on (N, C, T, V, M) skeleton clips: 256-d features (forward_features) or class logits (forward)."""

    def __init__(self, config: STGCNConfig):
        super().__init__()
        self.config = config
        graph = layout_graph(config.layout)
        num_partitions, num_joints = graph.shape[0], graph.shape[1]
        self.register_buffer("graph", graph, persistent=False)  # derived from the layout name in the config
        self.data_bn = nn.BatchNorm1d(config.in_channels * num_joints)
        blocks, in_channels = [], config.in_channels
        for index, (out_channels, stride) in enumerate(zip(config.channels, config.strides)):
            first = index == 0  # the official first block has neither dropout nor a residual
            blocks.append(STGCNBlock(in_channels, out_channels, num_partitions, config.temporal_kernel, stride,
                                     0.0 if first else config.dropout, residual=not first))
            in_channels = out_channels
        self.blocks = nn.ModuleList(blocks)
        self.edge_importance = nn.ParameterList(
            [nn.Parameter(torch.ones_like(graph), requires_grad=config.edge_importance) for _ in blocks])
        self.fc = nn.Linear(config.feature_dim, config.num_classes)

    def encode_bodies(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T, V) single bodies -> (B, feature_dim) features pooled over T and V."""
        B, C, T, V = x.shape
        x = x.permute(0, 3, 1, 2).reshape(B, V * C, T)  # data BN normalises each (joint, channel) pair
        x = self.data_bn(x).view(B, V, C, T).permute(0, 2, 3, 1).contiguous()
        for block, importance in zip(self.blocks, self.edge_importance):
            x = block(x, self.graph * importance)
        return x.mean(dim=(2, 3))

    def forward_features(self, x: torch.Tensor, skip_absent_bodies: bool = True) -> torch.Tensor:
        """(N, C, T, V, M) -> (N, feature_dim): the mean of the pooled features of the bodies present in the clip.

        An all-zero body is absent and left out of the mean (a clip with no body at all gets the feature of its
        all-zero first body). Absent bodies are not encoded at all unless skip_absent_bodies is False, which
        encodes every body and gives the same mean in eval mode; training always skips them, so BatchNorm
        statistics come from real bodies only and one-person clips cost half."""
        N, C, T, V, M = x.shape
        assert C == self.config.in_channels, f"expected {self.config.in_channels} channels, got shape {tuple(x.shape)}"
        assert V == self.graph.shape[1], f"expected {self.graph.shape[1]} joints, got shape {tuple(x.shape)}"
        streamed = input_stream(x, self.config.input_stream, self.config.layout)
        return mean_over_present_bodies(self.encode_bodies, streamed, skip_absent_bodies or self.training, joints=x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, T, V, M) -> (N, num_classes) logits of the pretraining classifier."""
        return self.fc(self.forward_features(x))
