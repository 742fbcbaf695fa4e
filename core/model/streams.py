"""Input streams derived from joints: bones (joint minus parent) and motion (frame difference), numpy or torch."""

import numpy as np

from core.skeleton.layouts import NTU25, Layout

STREAMS = ("joint", "bone", "motion")


def _zeros_like(x):
    """Zeros of the input's type, dtype and device (torch tensors have new_zeros; numpy arrays do not)."""
    return x.new_zeros(x.shape) if hasattr(x, "new_zeros") else np.zeros_like(x)


def bones(x, layout: Layout = NTU25):
    """(..., C, T, V, M) joints -> (..., C, T, V, M) bones: each joint minus its parent; the root's bone is zero.

    Works on numpy arrays and torch tensors (clips or batches). An absent body (all zeros) stays zero."""
    assert x.shape[-2] == layout.num_joints, f"expected V={layout.num_joints} joints on axis -2, got {x.shape}"
    children = [child for child, _ in layout.edges]
    parents = [parent for _, parent in layout.edges]
    out = _zeros_like(x)
    out[..., children, :] = x[..., children, :] - x[..., parents, :]
    return out


def motion(x):
    """(..., C, T, V, M) -> (..., C, T, V, M): x[t+1] - x[t]; the last frame is zero. numpy or torch."""
    out = _zeros_like(x)
    out[..., :-1, :, :] = x[..., 1:, :, :] - x[..., :-1, :, :]
    return out


def stream(x, name: str, layout: Layout = NTU25):
    """The named input stream ("joint", "bone" or "motion") of (..., C, T, V, M) joints."""
    if name == "joint":
        return x
    if name == "bone":
        return bones(x, layout)
    if name == "motion":
        return motion(x)
    raise ValueError(f"unknown input stream {name!r}; known: {STREAMS}")
