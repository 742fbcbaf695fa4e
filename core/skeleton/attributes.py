"""Kinematic attributes measured on a skeleton window, as probabilities: which side and limb act, where the hand
or foot goes, which way a hand path turns, whether the body travels, turns, leans or changes posture, and whether
the movement repeats. numpy only. The vocabulary is core.readers.label_attributes.ATTRIBUTES.

Two inputs:
- the normalised window (3, T, 25, M) of core.skeleton.preprocess (centred on SpineShoulder, turned so the
  shoulder line is +x in every frame): the body frame, +x the performer's right, +y up, -z the performer's
  forward. Side, direction, rotation, repetition, lean and the posture fallback come from it. The rotation about
  the vertical keeps gravity where it was, so lean and lying are still visible there.
- the global window (T, 25, 3), global_window(): the first body before centring and rotation (camera axes,
  metres), which keeps what normalisation removes: travel of the pelvis, turning and the pelvis height.

Measured keys: "side.arm", "side.leg", "limb", "direction.<effector>", "rotation.<effector>",
"repetition.<effector>" for effector in EFFECTORS (right_hand, left_hand, both_hands, right_foot, left_foot,
both_feet), "lean", "posture", and with a global window "travel" and "turn". Each maps value -> probability
(summing to 1; "none" where nothing of the kind happens). A key absent means not measurable here."""

import numpy as np

from core.skeleton.layouts import NTU25, get_layout
from core.skeleton.preprocess import (
    PreprocessConfig,
    fill_missing_joints,
    resample_frames,
)

_J = NTU25.index
PELVIS, SPINE_TOP = _J["SpineBase"], _J["SpineShoulder"]
# effector -> (joint, reference joint, outward sign: +1 the right side, -1 the left)
EFFECTORS = {"right_hand": (_J["HandRight"], _J["ShoulderRight"], 1), "left_hand": (_J["HandLeft"], _J["ShoulderLeft"], -1),
             "right_foot": (_J["AnkleRight"], PELVIS, 1), "left_foot": (_J["AnkleLeft"], PELVIS, -1)}
PAIRS = {"arm": ("right_hand", "left_hand", "both_hands"), "leg": ("right_foot", "left_foot", "both_feet")}
AXES = {"forward": (0, 0, -1), "backward": (0, 0, 1), "left": (-1, 0, 0), "right": (1, 0, 0), "up": (0, 1, 0),
        "down": (0, -1, 0)}
FLOOR = 0.02  # no measured probability is taken as lower: one bad frame never rules a label out

# Sharpness and thresholds of the measurements (metres, degrees); chosen on UTD-MHAD, Bandai-Namco, MSR Action3D,
# Kinder-Gator and webcam clips (tests/skeleton/test_attributes.py), the weights of the term are fitted separately.
SIDE_MARGIN, SIDE_SHARPNESS, ACTIVE_MOTION = np.log(2.0), 4.0, 0.05
DIRECTION_SHARPNESS, DIRECTION_MIN_REACH = 4.0, 0.15
ROTATION_SHARPNESS = 4.0
TURN_DEGREES, LEAN_DEGREES, LIE_DEGREES = 30.0, 10.0, 55.0
POSTURE_CHANGE = 0.2  # pelvis height change, in leg lengths, that is a posture change
TRAVEL_IN_PLACE = 0.4  # metres of pelvis travel below which the body stays in place


def _softmax(logits: dict) -> dict:
    values = np.array(list(logits.values()), dtype=np.float64)
    values = np.exp(values - values.max())
    return dict(zip(logits, (values / values.sum()).tolist()))


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(x, -50, 50))))


def _blend(probs: dict, confidence: float) -> dict:
    """Shrink towards uniform when the evidence is weak (confidence 0..1)."""
    uniform = 1.0 / len(probs)
    return {k: confidence * p + (1 - confidence) * uniform for k, p in probs.items()}


def body_window(normalised: np.ndarray) -> np.ndarray:
    """(3, T, V, M) normalised window -> (T, V, 3) of the first body."""
    return np.ascontiguousarray(np.asarray(normalised, dtype=np.float64)[:, :, :, 0].transpose(1, 2, 0))


def global_window(joints: np.ndarray, valid: np.ndarray, config: PreprocessConfig | None = None):
    """(T, M, V, 3) joints and (T, M, V) valid, camera axes -> (num_frames, V, 3) float32: the first body in the
    frames where it is present, unseen joints filled as normalisation fills them, resized to num_frames, but
    neither centred nor rotated. None when fewer than 2 frames have the first body."""
    config = config or PreprocessConfig()
    joints = np.asarray(joints, dtype=np.float32)
    valid = np.asarray(valid, dtype=bool)
    if joints.ndim != 4 or joints.shape[0] == 0:
        return None
    present = valid.any(axis=2) | (joints != 0).any(axis=(2, 3))
    keep = present[:, 0]
    if keep.sum() < 2:
        return None
    body, body_valid = joints[keep][:, :1], valid[keep][:, :1]
    if config.fill_missing:
        body = fill_missing_joints(body, body_valid, np.ones(body.shape[:2], bool), get_layout(config.layout),
                                   config.min_joint_coverage)
    return resample_frames(body[:, 0], config.num_frames).astype(np.float32)


def mirror_window(window: np.ndarray) -> np.ndarray:
    """A (T, V, 3) window mirrored left <-> right: x negated, each Left joint swapped with its Right twin."""
    out = np.asarray(window)[:, list(NTU25.mirror_permutation)].copy()
    out[..., 0] = -out[..., 0]
    return out


# ---- one hand or foot -----------------------------------------------------------------------------------

def _track(p: np.ndarray, effector: str, fixed: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """(T, 3) path of the effector from its reference joint, and its outward sign. A foot, given the global
    window in the starting body frame (fixed), is followed there instead, from where the pelvis started: a
    foot that steps or kicks moves on the floor, the standing one stays."""
    joint, reference, outward = EFFECTORS[effector]
    if fixed is not None and reference == PELVIS:
        start = fixed[:max(1, len(fixed) // 10), PELVIS].mean(axis=0)
        return fixed[:, joint] - start, outward
    return p[:, joint] - p[:, reference], outward


def _energy(h: np.ndarray) -> float:
    return float(np.sqrt(h.var(axis=0).sum()))


def _segment(h: np.ndarray, is_hand: bool = True):
    """(displacement from rest, first and last frame of the main movement). Rest of a hand: where it is lowest
    for a tenth of the frames (arms hang there; clips that start in a T-pose do not fool it); of a foot: where
    it starts (a lunging foot ends lower than it stood, seen from a tilted sensor)."""
    tenth = max(2, len(h) // 10)
    rest = np.argsort(h[:, 1])[:tenth] if is_hand else np.arange(min(tenth, len(h)))
    d = h - h[rest].mean(axis=0)
    size = np.linalg.norm(d, axis=1)
    peak = int(size.argmax())
    start = end = peak
    while start > 0 and size[start - 1] > 0.5 * size[peak]:
        start -= 1
    while end + 1 < len(h) and size[end + 1] > 0.5 * size[peak]:
        end += 1
    return d, start, end


def _direction_evidence(h: np.ndarray, is_hand: bool, outward: int) -> dict:
    """Metres of reach plus stroke along each direction. Reach: the furthest the limb gets that way from rest in
    the main movement (horizontal reach counted only below head height, where an arm raised forward and one raised
    sideways differ); stroke: where the main movement ends minus where it starts (a swipe's sense)."""
    d, start, end = _segment(h, is_hand)
    part, stroke = d[start:end + 1], h[end] - h[start]
    level = np.clip((0.45 - h[start:end + 1, 1]) / 0.3, 0.0, 1.0)
    evidence = {}
    for name, axis in AXES.items():
        axis = np.asarray(axis, dtype=np.float64)
        if name == "up":
            reach = 1.5 * max(0.0, h[start:end + 1, 1].max()) if is_hand else max(0.0, part[:, 1].max())
        elif name == "down":
            reach = 0.0
        else:
            reach = max(0.0, float((level * (part @ axis)).max()))
        evidence[name] = reach + float(stroke @ axis)
    evidence["sideways"] = evidence["right" if outward > 0 else "left"]
    return evidence


def _direction(evidence: dict, confidence: float) -> dict:
    scale = max(max(evidence.values()), DIRECTION_MIN_REACH)
    probs = _softmax({k: DIRECTION_SHARPNESS * v / scale for k, v in evidence.items()})
    return _blend(probs, confidence)


def _rotation_evidence(h: np.ndarray) -> tuple[float, float]:
    """(frontal, sagittal) circularity in [-1, 1] of the path: signed area over perimeter times mean radius,
    frontal in (x right, y up) as the performer sees it (negative: clockwise), sagittal in (forward, up)
    (positive: the top of the circle moves backward)."""
    out = []
    for a, b, sign in ((0, 1, 1.0), (2, 1, -1.0)):
        x, y = sign * (h[:, a] - h[:, a].mean()), h[:, b] - h[:, b].mean()
        area = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        perimeter = np.sum(np.hypot(np.diff(np.append(x, x[0])), np.diff(np.append(y, y[0]))))
        radius = np.mean(np.hypot(x, y))
        out.append(float(np.clip(2 * area / (perimeter * radius + 1e-6), -1, 1)))
    return out[0], out[1]


def _rotation(frontal: float, sagittal: float, confidence: float) -> dict:
    k = ROTATION_SHARPNESS
    probs = _softmax({"clockwise": -k * frontal, "counterclockwise": k * frontal, "forward": -k * sagittal,
                      "backward": k * sagittal})
    return _blend(probs, confidence)


def _swings(h: np.ndarray) -> int:
    """Reversals of the path along its main axis that each cover a quarter of its range (a wave: many)."""
    centred = h - h.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    u = np.convolve(centred @ axis, np.ones(3) / 3, mode="valid")
    span = u.max() - u.min()
    if span < 1e-6:
        return 0
    threshold, swings, direction, low, high, extreme = 0.25 * span, 0, 0, u[0], u[0], u[0]
    for value in u[1:]:
        if direction == 0:
            low, high = min(low, value), max(high, value)
            if value - low > threshold or high - value > threshold:
                direction, swings, extreme = (1 if value - low > threshold else -1), 1, value
        elif direction * (value - extreme) > 0:
            extreme = value
        elif abs(value - extreme) > threshold:
            direction, swings, extreme = -direction, swings + 1, value
    return swings


def _repetition(h: np.ndarray, confidence: float) -> dict:
    repeated = _sigmoid((_swings(h) - 3.0) / 0.7)
    return _blend({"once": 1 - repeated, "repeated": repeated}, confidence)


def _side(right: float, left: float) -> dict:
    d = np.log((right + 0.02) / (left + 0.02))
    probs = _softmax({"left": SIDE_SHARPNESS * (-d - SIDE_MARGIN), "right": SIDE_SHARPNESS * (d - SIDE_MARGIN),
                      "both": 0.0})
    top = max(right, left)
    return _blend(probs, top / (top + ACTIVE_MOTION))


def _limb_measures(p: np.ndarray, measured: dict, fixed: np.ndarray | None) -> dict:
    energies = {}
    for limb, (right, left, both) in PAIRS.items():
        tracks = {name: _track(p, name, fixed) for name in (right, left)}
        energy = {name: _energy(track) for name, (track, _) in tracks.items()}
        energies[limb] = max(energy.values())
        measured[f"side.{limb}"] = _side(energy[right], energy[left])
        evidences, circles = {}, {}
        for name, (track, outward) in tracks.items():
            confidence = energy[name] / (energy[name] + ACTIVE_MOTION)
            evidences[name] = _direction_evidence(track, limb == "arm", outward)
            circles[name] = _rotation_evidence(track)
            measured[f"direction.{name}"] = _direction(evidences[name], confidence)
            measured[f"rotation.{name}"] = _rotation(*circles[name], confidence)
            measured[f"repetition.{name}"] = _repetition(track, confidence)
        mean_energy = (energy[right] + energy[left]) / 2
        confidence = mean_energy / (mean_energy + ACTIVE_MOTION)
        joint = {k: (evidences[right][k] + evidences[left][k]) / 2 for k in AXES}
        joint["sideways"] = (evidences[right]["sideways"] + evidences[left]["sideways"]) / 2
        measured[f"direction.{both}"] = _direction(joint, confidence)
        frontal, sagittal = np.mean([circles[right], circles[left]], axis=0)
        measured[f"rotation.{both}"] = _rotation(float(frontal), float(sagittal), confidence)
        measured[f"repetition.{both}"] = _repetition(np.concatenate([tracks[right][0], tracks[left][0]], 1),
                                                     confidence)
    return energies


# ---- the whole body ---------------------------------------------------------------------------------------

def _trunk_tilt(p: np.ndarray) -> np.ndarray:
    """(T, 2) trunk tilt in degrees per frame: towards the right (+) and forward (+), in the body frame."""
    trunk = p[:, SPINE_TOP] - p[:, PELVIS]
    return np.degrees(np.stack([np.arctan2(trunk[:, 0], trunk[:, 1]), np.arctan2(-trunk[:, 2], trunk[:, 1])], 1))


def _lean(p: np.ndarray) -> dict:
    tilt = _trunk_tilt(p)
    upright = np.argsort(np.linalg.norm(tilt, axis=1))
    # the reference: the most upright tenth of the frames (a clip may start in the middle of a bow)
    change = tilt - tilt[upright[:max(1, len(p) // 10)]].mean(axis=0)
    lateral, sagittal = change[int(np.linalg.norm(change, axis=1).argmax())]
    k = 1.0 / 5.0
    return _softmax({"right": k * (lateral - LEAN_DEGREES), "left": k * (-lateral - LEAN_DEGREES),
                     "forward": k * (sagittal - LEAN_DEGREES), "backward": k * (-sagittal - LEAN_DEGREES),
                     "none": 0.0})


def _leg_length(p: np.ndarray) -> float:
    lengths = []
    for hip, knee, ankle in (("HipLeft", "KneeLeft", "AnkleLeft"), ("HipRight", "KneeRight", "AnkleRight")):
        upper = np.linalg.norm(p[:, _J[hip]] - p[:, _J[knee]], axis=1)
        lower = np.linalg.norm(p[:, _J[knee]] - p[:, _J[ankle]], axis=1)
        lengths.append(np.median(upper + lower))
    return float(max(np.mean(lengths), 0.4))


def _posture(p: np.ndarray, raw: np.ndarray | None) -> dict:
    """Pelvis height change over the window in leg lengths (from the global window when there is one, else
    above the lower ankle), and whether the trunk lies at the low end."""
    tenth = max(1, len(p) // 7)
    if raw is not None:
        height = raw[:, PELVIS, 1]
    else:
        height = p[:, PELVIS, 1] - np.minimum(p[:, _J["AnkleLeft"], 1], p[:, _J["AnkleRight"], 1])
    change = (height[-tenth:].mean() - height[:tenth].mean()) / _leg_length(p)
    rise = _sigmoid((change - POSTURE_CHANGE) / 0.05)
    lower = _sigmoid((-change - POSTURE_CHANGE) / 0.05)
    trunk = p[:, SPINE_TOP] - p[:, PELVIS]
    from_vertical = np.degrees(np.arccos(np.clip(trunk[:, 1] / (np.linalg.norm(trunk, axis=1) + 1e-9), -1, 1)))
    lying_start = _sigmoid((from_vertical[:tenth].mean() - LIE_DEGREES) / 8)
    lying_end = _sigmoid((from_vertical[-tenth:].mean() - LIE_DEGREES) / 8)
    probs = {"sit_to_stand": rise * (1 - lying_start), "lie_to_stand": rise * lying_start,
             "stand_to_sit": lower * (1 - lying_end), "stand_to_lie": lower * lying_end,
             "none": max(0.0, 1 - rise - lower)}
    total = sum(probs.values())
    return {k: v / total for k, v in probs.items()}


def _facing(raw: np.ndarray) -> np.ndarray:
    """(T, 2) unit (x, z) of the performer's forward in camera axes: up x (right shoulder - left shoulder)."""
    line = (raw[:, _J["ShoulderRight"]] - raw[:, _J["ShoulderLeft"]]) + (raw[:, _J["HipRight"]] - raw[:, _J["HipLeft"]])
    forward = np.stack([line[:, 2], -line[:, 0]], axis=1)  # (0, 1, 0) x (lx, ly, lz) = (lz, 0, -lx)
    return forward / (np.linalg.norm(forward, axis=1, keepdims=True) + 1e-9)


def starting_frame(raw: np.ndarray) -> np.ndarray:
    """The global window turned about the vertical into the performer's starting frame (facing of the first
    tenth of the frames): +x their right then, -z their forward then, y up; not centred, not turned per frame."""
    tenth = max(1, len(raw) // 10)
    forward = _facing(raw)[:tenth].mean(axis=0)
    forward /= np.linalg.norm(forward) + 1e-9
    right = np.array([-forward[1], forward[0]])  # forward (fx, fz) turned to the right: (-fz, fx)
    out = raw.copy()
    out[..., 0] = raw[..., 0] * right[0] + raw[..., 2] * right[1]
    out[..., 2] = -(raw[..., 0] * forward[0] + raw[..., 2] * forward[1])
    return out


def _travel_and_turn(raw: np.ndarray) -> tuple[dict, dict]:
    tenth = max(1, len(raw) // 10)
    forward = _facing(raw)
    yaw = np.unwrap(np.arctan2(forward[:, 0], forward[:, 1]))  # increases as the body turns to its left
    turned = float(np.degrees(yaw[-tenth:].mean() - yaw[:tenth].mean()))
    turn = _softmax({"left": (turned - TURN_DEGREES) / 10, "right": (-turned - TURN_DEGREES) / 10, "none": 0.0})
    start_forward = forward[:tenth].mean(axis=0)
    start_forward /= np.linalg.norm(start_forward) + 1e-9
    start_right = np.array([-start_forward[1], start_forward[0]])  # forward (fx, fz) turned to the right: (-fz, fx)
    pelvis = raw[:, PELVIS][:, [0, 2]]
    moved = pelvis[-tenth:].mean(axis=0) - pelvis[:tenth].mean(axis=0)
    distance = float(np.linalg.norm(moved))
    scale = max(distance, 0.3)
    ahead, rightward = float(moved @ start_forward) / scale, float(moved @ start_right) / scale
    travel = _softmax({"forward": 4 * ahead, "backward": -4 * ahead, "right": 4 * rightward, "left": -4 * rightward,
                       "in_place": 4 * (1 - distance / TRAVEL_IN_PLACE)})
    return travel, turn


def measure_attributes(normalised: np.ndarray, raw: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Every attribute measurable on one window: normalised (3, T, 25, M) and, optionally, its global window
    (T', 25, 3) from global_window(); -> {key: {value: probability}} (see the module docstring for the keys)."""
    p = body_window(normalised)
    measured: dict = {}
    energies = _limb_measures(p, measured, None if raw is None else starting_frame(np.asarray(raw, np.float64)))
    measured["lean"] = _lean(p)
    measured["posture"] = _posture(p, None if raw is None else np.asarray(raw, dtype=np.float64))
    if raw is not None:
        raw = np.asarray(raw, dtype=np.float64)
        measured["travel"], measured["turn"] = _travel_and_turn(raw)
        pelvis = raw[:, PELVIS]
        energies["body"] = float(np.sqrt(pelvis.var(axis=0).sum()))
    logits = {limb: 3.0 * np.log(energies.get(limb, 0.0) + 0.02) for limb in ("arm", "leg", "body")}
    measured["limb"] = _softmax(logits)
    return measured


def dominant_effector(measured: dict, limb: str | None = None, side: str | None = None) -> str:
    """The effector a label's direction, rotation or repetition is read on: its own limb and side when it names
    them, else the measured acting limb (arm or leg) and side."""
    if limb not in PAIRS:
        limb = "leg" if measured["limb"].get("leg", 0) > measured["limb"].get("arm", 0) else "arm"
    if side not in ("left", "right", "both"):
        probs = measured[f"side.{limb}"]
        side = max(probs, key=probs.get)
    right, left, both = PAIRS[limb]
    return {"right": right, "left": left, "both": both}[side]


def describe_measured(measured: dict, minimum: float = 0.5) -> dict[str, str]:
    """attribute -> its most probable measured value, for a display ("right hand, moving left"): side, limb,
    direction, rotation and repetition of the acting limb, travel, turn, lean, posture; values under `minimum`
    probability and "none" are left out."""
    effector = dominant_effector(measured)
    limb = "leg" if effector.endswith(("foot", "feet")) else "arm"
    keys = {"limb": "limb", "side": f"side.{limb}", "direction": f"direction.{effector}",
            "rotation": f"rotation.{effector}", "repetition": f"repetition.{effector}", "travel": "travel",
            "turn": "turn", "lean": "lean", "posture": "posture"}
    out = {}
    for name, key in keys.items():
        probs = measured.get(key)
        if not probs:
            continue
        value = max(probs, key=probs.get)
        if value != "none" and probs[value] >= minimum:
            out[name] = value
    return out
