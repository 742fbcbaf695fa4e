"""Motion attention and keyframe removal for SMIE's temporal constraint (paper eq. 6-9), numpy or torch."""

import numpy as np

from core.skeleton.preprocess import interpolate_frames_torch

MASK_METHODS = ("zero", "drop")  # paper: keyframes set to zero; official code: keyframes dropped, frames resampled
SAMPLINGS = ("random", "even")  # how "drop" picks the frames it keeps among the non-keyframes


def motion_attention_torch(x):
    """(N, C, T, V, M) -> (N, T) attention over frames, each row summing to 1.

    Motion of frame t = squared forward difference (x[t+1] - x[t]) plus squared backward difference
    (x[t] - x[t-1]) (the official code's form; a missing neighbour at either end counts zero), averaged over
    channels, joints and bodies. A clip without motion gets uniform attention instead of 0/0."""
    # torch imported on use: importing this module stays light
    import torch
    import torch.nn.functional as F

    N, C, T, V, M = x.shape
    step = (x[:, :, 1:] - x[:, :, :-1]).pow(2).mean(dim=(1, 3, 4))  # (N, T-1): motion between t and t+1
    motion = F.pad(step, (0, 1)) + F.pad(step, (1, 0))  # forward part + backward part, (N, T)
    total = motion.sum(dim=1, keepdim=True)
    still = total <= 1e-12
    return torch.where(still, torch.full_like(motion, 1.0 / T), motion / torch.where(still, 1.0, total))


def keyframes_torch(x, num_keyframes: int = 15):
    """(N, C, T, V, M) -> (N, k) long: the k frames with the highest motion attention, in temporal order."""
    # torch imported on use: importing this module stays light
    import torch

    T = x.shape[2]
    assert 0 <= num_keyframes < T, f"num_keyframes must be in [0, {T}), got {num_keyframes}"
    top = torch.topk(motion_attention_torch(x), num_keyframes, dim=1).indices
    return torch.sort(top, dim=1).values


def mask_keyframes_torch(x, num_keyframes: int = 15, method: str = "zero", num_keep: int = 20,
                         sampling: str = "random", generator=None):
    """Remove the k keyframes from (N, C, T, V, M) -> (N, C, T, V, M), the information-loss clip of eq. 9.

    method="zero" (paper, default): the keyframes are set to zero; the clip keeps its T frames and the others
        are untouched.
    method="drop" (official code's motion_att_temp_mask2): the keyframes are dropped, `num_keep` of the
        remaining T-k frames are kept in temporal order (sampling="random": a different random subset per clip,
        drawn from `generator`; the official code draws one subset per batch. sampling="even": evenly spaced),
        and those frames are resized back to T by linear interpolation, because our encoder is trained on T
        frames (the official code feeds the 20 frames as they are)."""
    # torch imported on use: importing this module stays light
    import torch

    assert method in MASK_METHODS, f"method must be one of {MASK_METHODS}, got {method!r}"
    assert sampling in SAMPLINGS, f"sampling must be one of {SAMPLINGS}, got {sampling!r}"
    N, C, T, V, M = x.shape
    keys = keyframes_torch(x, num_keyframes)
    is_key = torch.zeros(N, T, dtype=torch.bool, device=x.device).scatter_(1, keys, True)
    if method == "zero":
        return x * (~is_key).to(x.dtype)[:, None, :, None, None]

    remain = T - num_keyframes
    assert 1 <= num_keep <= remain, f"num_keep must be in [1, {remain}] for T={T}, k={num_keyframes}, got {num_keep}"
    # Non-keyframe indices in temporal order: a stable sort puts the False (kept) frames first, in order.
    others = torch.sort(is_key.to(torch.uint8), dim=1, stable=True).indices[:, :remain]  # (N, T-k)
    if sampling == "random":
        scores = torch.rand(N, remain, generator=generator, device=generator.device if generator is not None else "cpu")
        chosen = torch.sort(scores.argsort(dim=1)[:, :num_keep], dim=1).values.to(x.device)
    else:
        chosen = torch.linspace(0, remain - 1, num_keep).round().long().to(x.device).expand(N, num_keep)
    frames = torch.gather(others, 1, chosen).to(x.dtype)  # (N, num_keep) kept frame indices
    # Resampling at fractional positions between kept frames interpolates their values, not the dropped ones.
    kept = interpolate_frames_torch(x, frames)  # (N, C, num_keep, V, M)
    positions = torch.linspace(0, num_keep - 1, T, device=x.device).expand(N, T)
    return interpolate_frames_torch(kept, positions)


def _on_batch(function, x, *args, **kwargs):
    """Run a torch batch function on numpy (C, T, V, M) / (N, C, T, V, M) or on a tensor; return the input's type."""
    # torch imported on use: importing this module stays light
    import torch

    if isinstance(x, torch.Tensor):
        return function(x, *args, **kwargs)
    array = np.asarray(x, dtype=np.float32)
    single = array.ndim == 4
    out = function(torch.from_numpy(array[None] if single else array), *args, **kwargs).numpy()
    return out[0] if single else out


def motion_attention(x):
    """Numpy (C, T, V, M) -> (T,) or (N, C, T, V, M) -> (N, T); a tensor goes to motion_attention_torch."""
    return _on_batch(motion_attention_torch, x)


def keyframes(x, num_keyframes: int = 15):
    """Numpy (C, T, V, M) -> (k,) or (N, C, T, V, M) -> (N, k) keyframe indices in temporal order."""
    return _on_batch(keyframes_torch, x, num_keyframes)


def mask_keyframes(x, num_keyframes: int = 15, method: str = "zero", num_keep: int = 20, sampling: str = "random",
                   generator=None):
    """Numpy or torch version of mask_keyframes_torch; the output has the input's shape and type."""
    return _on_batch(mask_keyframes_torch, x, num_keyframes, method=method, num_keep=num_keep, sampling=sampling,
                     generator=generator)
