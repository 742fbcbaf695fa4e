"""What an ST-GCN encoder reads: the input stream of its joints, and the mean of its features over the bodies present.

Shared by the trainable encoder (core.model.stgcn) and its inference copy (core.model.stgcn_fused)."""

import torch

from core.model.streams import stream
from core.skeleton.layouts import get_layout


def input_stream(x: torch.Tensor, stream_name: str, layout_name: str) -> torch.Tensor:
    """The (N, C, T, V, M) joints as the encoder reads them: themselves, bones or motion (core.model.streams)."""
    if stream_name == "joint":
        return x
    return stream(x, stream_name, get_layout(layout_name))


def mean_over_present_bodies(encode_bodies, x: torch.Tensor, skip_absent: bool,
                             joints: torch.Tensor | None = None) -> torch.Tensor:
    """(N, C, T, V, M) -> (N, F): encode_bodies on (B, C, T, V) bodies, averaged over the bodies present.

    A body is present when any of its joint coordinates (joints, when x is derived from them) is non-zero; a
    clip with none keeps its first body. Presence comes from the joints because a still body has zero motion."""
    N, C, T, V, M = x.shape
    bodies = x.permute(0, 4, 1, 2, 3).reshape(N * M, C, T, V)
    source = bodies if joints is None else joints.permute(0, 4, 1, 2, 3).reshape(N * M, C, T, V)
    present = source.flatten(1).ne(0).any(dim=1).view(N, M)
    present[:, 0] |= ~present.any(dim=1)
    weights = present.to(x.dtype) / present.sum(dim=1, keepdim=True)  # (N, M), rows sum to 1
    if skip_absent and not bool(present.all()):
        rows = torch.nonzero(present.flatten(), as_tuple=True)[0]
        encoded = encode_bodies(bodies[rows])
        features = encoded.new_zeros(N * M, encoded.shape[1]).index_copy(0, rows, encoded)
    else:
        features = encode_bodies(bodies)
    return (features.view(N, M, -1) * weights[..., None]).sum(dim=1)
