"""Training augmentation of normalised torch batches (N, C, T, V, M), shaped after what live input varies in."""

import math
from dataclasses import dataclass

from core.skeleton.layouts import NTU25, Layout, get_layout
from core.skeleton.preprocess import REST_OFFSETS, interpolate_frames_torch

EXTREMITY_WORDS = ("Hand", "Thumb", "Foot")  # joints MediaPipe / Kinect track worst: hands, finger joints, feet


@dataclass
class AugmentConfig:
    """Each default is a small, realistic change; 0 (or crop_min=1) switches a step off. Applied after
    normalisation (a rotation before it would be undone by the per-frame shoulder alignment)."""

    yaw_deg: float = 0.0  # max rotation about the vertical axis. 0: normalisation puts every live frame's shoulder
    #                       line on +x, so a yawed training clip is an input live never produces; kept as an option
    tilt_deg: float = 10.0  # max pitch (about x) and roll (about z): camera above / below chest height, or askew;
    #                         both keep the shoulder line's x-z projection on +x, so they stay live-like
    scale: float = 0.1  # body size factor drawn from [1 - scale, 1 + scale]: people and pose estimators differ
    shear: float = 0.1  # max off-diagonal shear term: estimator depth errors and body proportions
    crop_min: float = 0.6  # temporal crop: a random 60-100% segment resized back to T (partial windows, speed change)
    jitter_std: float = 0.01  # Gaussian joint noise in metres (MediaPipe world landmarks jitter about 1 cm)
    jitter_std_extremities: float = 0.02  # hands, fingers and feet jitter about twice as much
    drop_prob: float = 0.3  # chance per clip and per draw that one joint is lost for a stretch of frames
    drop_joints: int = 2  # draws per clip, so at most this many joints lost per clip
    drop_max_fraction: float = 0.4  # longest lost stretch as a fraction of T
    layout: str = "ntu25"  # joint table for the extremity noise and dropped joints
    legs_unseen_prob: float = 0.0  # chance per clip that the legs are out of view all along (a webcam framed on
    #                                the upper body): they are replaced the way preprocessing fills them


def mirror(x, layout: Layout = NTU25):
    """Left/right mirror of (..., C, T, V, M) numpy or torch: negate X and swap each Left joint with its Right twin.

    Normalised clips stay normalised (the mirrored right shoulder is again on +x). Labels are the caller's
    business: "wave the right hand" becomes "wave the left hand"; symmetric actions keep theirs."""
    assert x.shape[-2] == layout.num_joints, f"expected V={layout.num_joints} joints on axis -2, got {x.shape}"
    out = x[..., list(layout.mirror_permutation), :]  # advanced indexing: a copy for numpy and torch alike
    out[..., 0, :, :, :] = -out[..., 0, :, :, :]
    return out


def _uniform(shape, low, high, generator):
    # torch imported on use: importing this module stays light
    import torch

    return low + (high - low) * torch.rand(shape, generator=generator, dtype=torch.float64)


def body_presence(x):
    """(N, C, T, V, M) -> (N, T, M) bool: the body has any non-zero coordinate in the frame."""
    return (x != 0).any(dim=1).any(dim=2)


def spatial_matrices(num_clips: int, config: AugmentConfig, generator):
    """(N, 3, 3) float64: rotation (roll @ pitch @ yaw) times scale times shear, one per clip."""
    # torch imported on use: importing this module stays light
    import torch

    def angles(max_deg):
        return _uniform(num_clips, -math.radians(max_deg), math.radians(max_deg), generator)

    yaw, pitch, roll = angles(config.yaw_deg), angles(config.tilt_deg), angles(config.tilt_deg)
    zero, one = torch.zeros(num_clips, dtype=torch.float64), torch.ones(num_clips, dtype=torch.float64)

    def matrix(rows):
        return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)

    c, s = yaw.cos(), yaw.sin()
    about_y = matrix([[c, zero, s], [zero, one, zero], [-s, zero, c]])
    c, s = pitch.cos(), pitch.sin()
    about_x = matrix([[one, zero, zero], [zero, c, -s], [zero, s, c]])
    c, s = roll.cos(), roll.sin()
    about_z = matrix([[c, -s, zero], [s, c, zero], [zero, zero, one]])
    scale = _uniform(num_clips, 1 - config.scale, 1 + config.scale, generator)[:, None, None]
    shear = _uniform((num_clips, 3, 3), -config.shear, config.shear, generator)
    shear = torch.eye(3, dtype=torch.float64) + shear * (1 - torch.eye(3, dtype=torch.float64))
    return about_z @ about_x @ about_y @ (scale * shear)


def temporal_crop(x, crop_min: float, generator):
    """Crop a random segment of crop_min..100% of each clip and resize it back to T frames by interpolation."""
    # torch imported on use: importing this module stays light
    import torch

    N, C, T, V, M = x.shape
    length = _uniform(N, crop_min, 1.0, generator) * (T - 1)  # segment span in frames
    start = torch.rand(N, generator=generator, dtype=torch.float64) * (T - 1 - length)
    positions = start[:, None] + length[:, None] * torch.linspace(0, 1, T, dtype=torch.float64)[None]
    present = body_presence(x)  # a body absent at the nearest source frame stays absent
    nearest = positions.round().long().to(x.device)[:, :, None].expand(N, T, M)
    keep = torch.gather(present, 1, nearest).to(x.dtype)[:, None, :, None, :]
    return interpolate_frames_torch(x, positions.to(x.device)) * keep


def drop_joints(x, config: AugmentConfig, generator):
    """Lose one joint over a random stretch of frames, then fill it the way normalisation fills unobserved joints
    (linear interpolation between the frames around the stretch; the nearest value at a clip end)."""
    # torch imported on use: importing this module stays light
    import torch

    N, C, T, V, M = x.shape
    x = x.clone()
    clips = torch.arange(N, device=x.device)
    frames = torch.arange(T, dtype=torch.float64)[None]
    longest = max(1, int(config.drop_max_fraction * T))
    for _ in range(config.drop_joints):
        active = torch.rand(N, generator=generator) < config.drop_prob
        joint = torch.randint(V, (N,), generator=generator)
        length = torch.randint(1, longest + 1, (N,), generator=generator)
        start = (torch.rand(N, generator=generator) * (T - length + 1)).long()
        before, after = start - 1, start + length  # the observed frames around the stretch
        before = torch.where(before < 0, after, before)  # stretch at the clip start: hold the first value after
        after = torch.where(after > T - 1, before, after)  # stretch at the end: hold the last value before
        span = (after - before).clamp(min=1).to(torch.float64)
        weight = ((frames - before[:, None]) / span[:, None]).clamp(0, 1).to(x.dtype).to(x.device)  # (N, T)
        inside = (frames >= start[:, None]) & (frames < (start + length)[:, None]) & active[:, None]
        joint, before, after = joint.to(x.device), before.to(x.device), after.to(x.device)
        start_value = x[clips, :, before, joint, :][:, :, None]  # (N, C, 1, M)
        end_value = x[clips, :, after, joint, :][:, :, None]
        fill = start_value * (1 - weight[:, None, :, None]) + end_value * weight[:, None, :, None]  # (N, C, T, M)
        x[clips, :, :, joint, :] = torch.where(inside.to(x.device)[:, None, :, None], fill, x[clips, :, :, joint, :])
    return x


LEG_WORDS = ("Knee", "Ankle", "Foot")  # below the hips: what a webcam framed on the upper body does not see


def hide_legs(x, config: AugmentConfig, generator):
    """In a random `legs_unseen_prob` of the clips, stand knees, ankles and feet at the rest pose below the hips
    in every frame, as normalisation does for joints a clip never shows (preprocess.REST_OFFSETS)."""
    # torch imported on use: importing this module stays light
    import torch

    layout = get_layout(config.layout)
    hidden = torch.rand(x.shape[0], generator=generator) < config.legs_unseen_prob
    if config.layout not in REST_OFFSETS or not hidden.any():
        return x
    x = x.clone()
    offsets = torch.as_tensor(REST_OFFSETS[config.layout], dtype=x.dtype, device=x.device)  # (V, 3)
    rows = hidden.nonzero()[:, 0].to(x.device)
    for joint, name in enumerate(layout.joint_names):  # parents come before children in the NTU table
        if any(word in name for word in LEG_WORDS):
            parent = layout.parents[joint]
            x[rows, :, :, joint, :] = x[rows, :, :, parent, :] + offsets[joint][None, :, None, None]
    return x


def augment_batch(x, config: AugmentConfig = AugmentConfig(), generator=None):
    """(N, C=3, T, V, M) normalised clips -> augmented copy of the same shape, dtype and device.

    Order: temporal crop, hidden legs, dropped joints, rotation / scale / shear, jitter. All randomness comes from
    `generator` (a CPU torch.Generator; None uses torch's global one), so a seeded generator repeats a batch.
    Bodies that are absent (all zeros) in a frame stay exactly zero."""
    # torch imported on use: importing this module stays light
    import torch

    layout = get_layout(config.layout)
    N, C, T, V, M = x.shape
    assert C == 3 and V == layout.num_joints, f"expected (N, 3, T, {layout.num_joints}, M), got {tuple(x.shape)}"
    if config.crop_min < 1.0:
        x = temporal_crop(x, config.crop_min, generator)
    present = body_presence(x)[:, None, :, None, :].to(x.dtype)  # (N, 1, T, 1, M)
    if config.legs_unseen_prob > 0:
        x = hide_legs(x, config, generator)
    if config.drop_prob > 0 and config.drop_joints > 0:
        x = drop_joints(x, config, generator)
    matrices = spatial_matrices(N, config, generator).to(device=x.device, dtype=x.dtype)
    x = torch.einsum("nij,njtvm->nitvm", matrices, x)
    if config.jitter_std > 0 or config.jitter_std_extremities > 0:
        extremity = [any(word in name for word in EXTREMITY_WORDS) for name in layout.joint_names]
        std = torch.tensor([config.jitter_std_extremities if e else config.jitter_std for e in extremity])
        noise = torch.randn((N, C, T, V, M), generator=generator) * std[None, None, None, :, None]
        x = x + noise.to(device=x.device, dtype=x.dtype)
    return x * present
