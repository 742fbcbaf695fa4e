"""Joint maps from other skeleton layouts (MediaPipe 33, Azure Kinect 32, Kinect v1 20) into NTU-25 as data tables.

Every map is linear: each NTU joint is either one source joint (measured directly, "real") or a point on the line
through two means of source/NTU joints (synthesised). So each source compiles to a (25, J) weight matrix, and
`to_ntu25` is one matrix product after the axis change.

Synthesised joints (positions on a line a + t (b - a), t fitted on real Kinect v2 data, see the constants below):
  MediaPipe 33: SpineBase, SpineMid, SpineShoulder on mid-hips -> mid-shoulders; Head on mid-shoulders -> mid-ears;
                Neck on SpineShoulder -> Head; Hand on wrist -> mean(index, pinky); HandTip on wrist -> index;
                Thumb on wrist -> thumb (MediaPipe's hand points are knuckles, so tip and thumb are stretched).
  Kinect v1 20: SpineMid on SpineBase -> SpineShoulder; Neck on SpineShoulder -> Head; HandTip and Thumb on
                wrist -> hand (extrapolated: the thumb has no direction of its own, it lies on the hand axis).
  Bandai-Namco 22 (BVH): Head on SpineShoulder -> Neck (the file's head joint is the top of the neck); Hand, HandTip
                and Thumb on elbow -> wrist (the hands end at the wrist), at Kinect v2's lengths over the forearm;
                shoulders and hips moved to Kinect v2's widths.
  HDM05 31 (ASF/AMC bone ends): SpineBase, SpineMid as for MediaPipe (the root sits ~10 cm above the hip joints);
                Head halfway along the head bone; shoulders and hips moved to Kinect v2's widths.
  Azure 32 and NTU 25: none.

Axes (all measured on the data, see tests/test_joint_maps.py and tests/test_datasets.py): the UTD-MHAD, MSR Action3D
and UTKinect files are already in metres in the Kinect camera frame with anatomical left/right (right shoulder X >
left shoulder X facing the sensor, Y up, Z > 0, feet point toward -Z), so their axis change is the identity.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from core.skeleton.layouts import NTU25

# ---- Source layouts: joint names in each source's own index order ----

MEDIAPIPE33_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
# Azure Kinect Body Tracking SDK k4abt_joint_id_t order.
AZURE32_NAMES = (
    "PELVIS", "SPINE_NAVEL", "SPINE_CHEST", "NECK", "CLAVICLE_LEFT", "SHOULDER_LEFT", "ELBOW_LEFT", "WRIST_LEFT",
    "HAND_LEFT", "HANDTIP_LEFT", "THUMB_LEFT", "CLAVICLE_RIGHT", "SHOULDER_RIGHT", "ELBOW_RIGHT", "WRIST_RIGHT",
    "HAND_RIGHT", "HANDTIP_RIGHT", "THUMB_RIGHT", "HIP_LEFT", "KNEE_LEFT", "ANKLE_LEFT", "FOOT_LEFT", "HIP_RIGHT",
    "KNEE_RIGHT", "ANKLE_RIGHT", "FOOT_RIGHT", "HEAD", "NOSE", "EYE_LEFT", "EAR_LEFT", "EYE_RIGHT", "EAR_RIGHT",
)
# The three Kinect v1 orders share one vocabulary so one direct map serves all of them (data/README.md).
UTD_MHAD20_NAMES = (
    "head", "shoulder_center", "spine", "hip_center", "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand", "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot",
)
MSR_ACTION3D20_NAMES = (
    "left_shoulder", "right_shoulder", "shoulder_center", "spine", "left_hip", "right_hip", "hip_center",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand", "left_knee", "right_knee",
    "left_ankle", "right_ankle", "left_foot", "right_foot", "head",
)
KINECT_V1_SDK20_NAMES = (
    "hip_center", "spine", "shoulder_center", "head", "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand", "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot",
)

# Motion capture: BVH joint names lower-cased (they would clash with NTU names) and ASF points (root, bone ends).
BANDAI_NAMCO22_NAMES = (
    "joint_root", "hips", "spine", "chest", "neck", "head", "shoulder_l", "upperarm_l", "lowerarm_l", "hand_l",
    "shoulder_r", "upperarm_r", "lowerarm_r", "hand_r", "upperleg_l", "lowerleg_l", "foot_l", "toes_l", "upperleg_r",
    "lowerleg_r", "foot_r", "toes_r",
)
HDM05_31_NAMES = (
    "root", "lhipjoint", "lfemur", "ltibia", "lfoot", "ltoes", "rhipjoint", "rfemur", "rtibia", "rfoot", "rtoes",
    "lowerback", "upperback", "thorax", "lowerneck", "upperneck", "head", "lclavicle", "lhumerus", "lradius",
    "lwrist", "lhand", "lfingers", "lthumb", "rclavicle", "rhumerus", "rradius", "rwrist", "rhand", "rfingers",
    "rthumb",
)

SOURCE_JOINT_NAMES: dict[str, tuple[str, ...]] = {
    "ntu25": NTU25.joint_names,
    "mediapipe33": MEDIAPIPE33_NAMES,
    "azure32": AZURE32_NAMES,
    "utd_mhad20": UTD_MHAD20_NAMES,
    "msr_action3d20": MSR_ACTION3D20_NAMES,
    "kinect_v1_sdk20": KINECT_V1_SDK20_NAMES,
    "bandai_namco22": BANDAI_NAMCO22_NAMES,
    "hdm05_31": HDM05_31_NAMES,
}

# (scale, per-axis sign) taking source coordinates to NTU metres with X to the sensor's left, Y up, Z away.
# MediaPipe world landmarks: metres, x image-right, y down, z away; Azure: millimetres, x right, y down, z forward.
# Both conversions are a 180-degree rotation about Z, not a mirror.
AXES = {
    "ntu25": (1.0, (1.0, 1.0, 1.0)),
    "mediapipe33": (1.0, (-1.0, -1.0, 1.0)),
    "azure32": (0.001, (-1.0, -1.0, 1.0)),
    "utd_mhad20": (1.0, (1.0, 1.0, 1.0)),
    "msr_action3d20": (1.0, (1.0, 1.0, 1.0)),
    "kinect_v1_sdk20": (1.0, (1.0, 1.0, 1.0)),
    # mocap readers already place a virtual Kinect (core/readers/mocap_datasets.py): metres, camera axes
    "bandai_namco22": (1.0, (1.0, 1.0, 1.0)),
    "hdm05_31": (1.0, (1.0, 1.0, 1.0)),
}

# ---- Fitted constants ----
# Measured by core/readers/joint_map_calibration.py (`python -m core.readers.joint_map_calibration`) on real Kinect v2 data: the
# 12 NTU sample files (most active body, joints with trackingState 2 only) and all 508 GTU files. For each frame the
# ratio t = (p - a).(b - a) / |b - a|^2 of the joint p projected on the line a -> b; the constant is the mean of
# the two datasets' medians (left and right hands pooled). tests/test_joint_maps.py refits and compares.
SPINE_BASE_ON_HIPS_TO_SHOULDERS = -0.013  # NTU -0.017, GTU -0.009: SpineBase sits at hip height
SPINE_SHOULDER_ON_BASE_TO_HEAD = 0.711  # NTU 0.717, GTU 0.704
SPINE_MID_ON_BASE_TO_SPINE_SHOULDER = 0.575  # NTU 0.573, GTU 0.577 (residual 4-5 mm)
NECK_ON_SPINE_SHOULDER_TO_HEAD = 0.335  # NTU 0.344, GTU 0.325
HAND_TIP_ON_WRIST_TO_HAND = 2.037  # NTU 1.846, GTU 2.227; Kinect v2 hand tips are noisy (IQR about 1.5-2.9)
THUMB_ON_WRIST_TO_HAND = 1.143  # NTU 1.148, GTU 1.139; the thumb lies about 30 degrees off the hand axis
# MediaPipe-only constants. No recording has both MediaPipe and Kinect, so these match lengths instead: the median
# of a length over a reference length, on Kinect v2 (NTU + GTU, as above) for the NTU joint and on MediaPipe Pose
# world landmarks (full model, the 2265 frames of the 27 webcam_arms videos) for the points it is built from;
# t = Kinect ratio / MediaPipe ratio. MediaPipe's index/pinky/thumb are knuckles close to the wrist, so the hand
# joints are stretched; the thumb's direction agrees (about 30 degrees off the hand axis in both).
# Head and spine hang from the hips, not the shoulders: MediaPipe's shoulders ride up towards the ears when the arms
# go over the head, so a head and SpineShoulder placed on lines through the shoulders moved 3-10 cm there, where
# Kinect's stay put (its SpineShoulder is a spine joint; the SpineShoulder line ratio above is Kinect v2's own).
HEAD_ON_HIPS_TO_EARS = 1.168  # |Head - mid-hips| / shoulder width: Kinect 2.256, MediaPipe ears 1.931
# Without hips in view (FALLBACK below), over |mid-ears - mid-shoulders| / shoulder width = 0.502 on MediaPipe:
HEAD_ON_SHOULDERS_TO_EARS = 1.521  # |Head - mid-shoulders| / shoulder width on Kinect v2: 0.764
SPINE_SHOULDER_ON_SHOULDERS_TO_EARS = 0.248  # |SpineShoulder - mid-shoulders| / shoulder width on Kinect v2: 0.125
# MediaPipe's hips are anatomical hip joints; Kinect's sit closer together (hip width / shoulder width 0.442 vs 0.673).
HIP_ON_MID_HIPS_TO_HIP = 0.657
HAND_ON_WRIST_TO_KNUCKLES = 0.931  # |Hand - wrist| / forearm: Kinect 0.275, MediaPipe mean(index, pinky) 0.296
HAND_TIP_ON_WRIST_TO_INDEX = 1.658  # |HandTip - wrist| / forearm: Kinect 0.570, MediaPipe index 0.343
THUMB_ON_WRIST_TO_THUMB = 3.763  # |Thumb - wrist| / forearm: Kinect 0.364, MediaPipe thumb 0.097
# Hands that end at the wrist (Bandai-Namco): on elbow -> wrist at 1 + the Kinect lengths over the forearm above.
HAND_ON_ELBOW_TO_WRIST = 1.275
HAND_TIP_ON_ELBOW_TO_WRIST = 1.570
THUMB_ON_ELBOW_TO_WRIST = 1.364
# Mocap shoulders and hips sit wider or narrower than Kinect v2's, so each moves along the line from the body's middle
# until its width over the torso (SpineBase -> SpineShoulder) is Kinect's: shoulders 0.611 (GTU 0.635, NTU 0.586),
# hips 0.271 (GTU 0.290, NTU 0.252); t = Kinect ratio / mocap ratio (medians over all clips of each dataset).
BANDAI_SHOULDER_ON_SPINE_SHOULDER_TO_SHOULDER = 1.244  # Bandai-Namco 0.491: a narrow game rig
BANDAI_HIP_ON_MID_HIPS_TO_HIP = 0.858  # 0.316
HDM05_SHOULDER_ON_SPINE_SHOULDER_TO_SHOULDER = 0.668  # HDM05 0.914: the clavicle bones end wide
HDM05_HIP_ON_MID_HIPS_TO_HIP = 0.811  # 0.334


@dataclass(frozen=True)
class Lerp:
    """A synthesised NTU joint at mean(start) + t * (mean(end) - mean(start)).

    Point names in CamelCase are NTU joints already filled (direct, or by an earlier rule); any other name is a
    joint of the source layout.
    """

    target: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    t: float


_KINECT_V1_DIRECT = {
    "SpineBase": "hip_center", "SpineShoulder": "shoulder_center", "Head": "head",
    "ShoulderLeft": "left_shoulder", "ElbowLeft": "left_elbow", "WristLeft": "left_wrist", "HandLeft": "left_hand",
    "ShoulderRight": "right_shoulder", "ElbowRight": "right_elbow", "WristRight": "right_wrist",
    "HandRight": "right_hand",
    "HipLeft": "left_hip", "KneeLeft": "left_knee", "AnkleLeft": "left_ankle", "FootLeft": "left_foot",
    "HipRight": "right_hip", "KneeRight": "right_knee", "AnkleRight": "right_ankle", "FootRight": "right_foot",
}
# The Kinect v1 "spine" joint is not Kinect v2's SpineMid: on SpineBase -> SpineShoulder it sits at t = 0.16 in
# UTD-MHAD and UTKinect (v2: 0.575), so SpineMid is synthesised and "spine" is left unused.
_KINECT_V1_RULES = (
    Lerp("SpineMid", ("SpineBase",), ("SpineShoulder",), SPINE_MID_ON_BASE_TO_SPINE_SHOULDER),
    Lerp("Neck", ("SpineShoulder",), ("Head",), NECK_ON_SPINE_SHOULDER_TO_HEAD),
    Lerp("HandTipLeft", ("left_wrist",), ("left_hand",), HAND_TIP_ON_WRIST_TO_HAND),
    Lerp("ThumbLeft", ("left_wrist",), ("left_hand",), THUMB_ON_WRIST_TO_HAND),
    Lerp("HandTipRight", ("right_wrist",), ("right_hand",), HAND_TIP_ON_WRIST_TO_HAND),
    Lerp("ThumbRight", ("right_wrist",), ("right_hand",), THUMB_ON_WRIST_TO_HAND),
)

# Direct correspondences: NTU joint name -> source joint name.
DIRECT: dict[str, dict[str, str]] = {
    "ntu25": {name: name for name in NTU25.joint_names},
    "mediapipe33": {
        "ShoulderLeft": "left_shoulder", "ElbowLeft": "left_elbow", "WristLeft": "left_wrist",
        "ShoulderRight": "right_shoulder", "ElbowRight": "right_elbow", "WristRight": "right_wrist",
        "KneeLeft": "left_knee", "AnkleLeft": "left_ankle", "FootLeft": "left_foot_index",
        "KneeRight": "right_knee", "AnkleRight": "right_ankle", "FootRight": "right_foot_index",
    },
    "azure32": {
        "SpineBase": "PELVIS", "SpineMid": "SPINE_NAVEL", "Neck": "NECK", "Head": "HEAD",
        "ShoulderLeft": "SHOULDER_LEFT", "ElbowLeft": "ELBOW_LEFT", "WristLeft": "WRIST_LEFT",
        "HandLeft": "HAND_LEFT", "ShoulderRight": "SHOULDER_RIGHT", "ElbowRight": "ELBOW_RIGHT",
        "WristRight": "WRIST_RIGHT", "HandRight": "HAND_RIGHT",
        "HipLeft": "HIP_LEFT", "KneeLeft": "KNEE_LEFT", "AnkleLeft": "ANKLE_LEFT", "FootLeft": "FOOT_LEFT",
        "HipRight": "HIP_RIGHT", "KneeRight": "KNEE_RIGHT", "AnkleRight": "ANKLE_RIGHT", "FootRight": "FOOT_RIGHT",
        "SpineShoulder": "SPINE_CHEST", "HandTipLeft": "HANDTIP_LEFT", "ThumbLeft": "THUMB_LEFT",
        "HandTipRight": "HANDTIP_RIGHT", "ThumbRight": "THUMB_RIGHT",
    },
    "utd_mhad20": _KINECT_V1_DIRECT,
    "msr_action3d20": _KINECT_V1_DIRECT,
    "kinect_v1_sdk20": _KINECT_V1_DIRECT,
    "bandai_namco22": {
        "SpineBase": "hips", "SpineMid": "chest", "SpineShoulder": "neck", "Neck": "head",
        "ElbowLeft": "lowerarm_l", "WristLeft": "hand_l", "ElbowRight": "lowerarm_r", "WristRight": "hand_r",
        "KneeLeft": "lowerleg_l", "AnkleLeft": "foot_l", "FootLeft": "toes_l",
        "KneeRight": "lowerleg_r", "AnkleRight": "foot_r", "FootRight": "toes_r",
    },
    "hdm05_31": {  # ASF bone ends: clavicle ends are the shoulders, lwrist (not lradius) ends at the wrist
        "SpineShoulder": "thorax", "Neck": "lowerneck",
        "ElbowLeft": "lhumerus", "WristLeft": "lwrist", "HandLeft": "lhand", "HandTipLeft": "lfingers",
        "ThumbLeft": "lthumb", "ElbowRight": "rhumerus", "WristRight": "rwrist", "HandRight": "rhand",
        "HandTipRight": "rfingers", "ThumbRight": "rthumb",
        "KneeLeft": "lfemur", "AnkleLeft": "ltibia", "FootLeft": "lfoot",
        "KneeRight": "rfemur", "AnkleRight": "rtibia", "FootRight": "rfoot",
    },
}

_HIPS = ("left_hip", "right_hip")
_SHOULDERS = ("left_shoulder", "right_shoulder")
SYNTHESISED: dict[str, tuple[Lerp, ...]] = {
    "ntu25": (),
    "mediapipe33": (
        Lerp("SpineBase", _HIPS, _SHOULDERS, SPINE_BASE_ON_HIPS_TO_SHOULDERS),
        Lerp("Head", _HIPS, ("left_ear", "right_ear"), HEAD_ON_HIPS_TO_EARS),
        Lerp("SpineShoulder", ("SpineBase",), ("Head",), SPINE_SHOULDER_ON_BASE_TO_HEAD),
        Lerp("SpineMid", ("SpineBase",), ("SpineShoulder",), SPINE_MID_ON_BASE_TO_SPINE_SHOULDER),
        Lerp("HipLeft", _HIPS, ("left_hip",), HIP_ON_MID_HIPS_TO_HIP),
        Lerp("HipRight", _HIPS, ("right_hip",), HIP_ON_MID_HIPS_TO_HIP),
        Lerp("Neck", ("SpineShoulder",), ("Head",), NECK_ON_SPINE_SHOULDER_TO_HEAD),
        Lerp("HandLeft", ("left_wrist",), ("left_index", "left_pinky"), HAND_ON_WRIST_TO_KNUCKLES),
        Lerp("HandRight", ("right_wrist",), ("right_index", "right_pinky"), HAND_ON_WRIST_TO_KNUCKLES),
        Lerp("HandTipLeft", ("left_wrist",), ("left_index",), HAND_TIP_ON_WRIST_TO_INDEX),
        Lerp("HandTipRight", ("right_wrist",), ("right_index",), HAND_TIP_ON_WRIST_TO_INDEX),
        Lerp("ThumbLeft", ("left_wrist",), ("left_thumb",), THUMB_ON_WRIST_TO_THUMB),
        Lerp("ThumbRight", ("right_wrist",), ("right_thumb",), THUMB_ON_WRIST_TO_THUMB),
    ),
    "azure32": (),
    "utd_mhad20": _KINECT_V1_RULES,
    "msr_action3d20": _KINECT_V1_RULES,
    "kinect_v1_sdk20": _KINECT_V1_RULES,
    "bandai_namco22": (
        Lerp("ShoulderLeft", ("SpineShoulder",), ("upperarm_l",), BANDAI_SHOULDER_ON_SPINE_SHOULDER_TO_SHOULDER),
        Lerp("ShoulderRight", ("SpineShoulder",), ("upperarm_r",), BANDAI_SHOULDER_ON_SPINE_SHOULDER_TO_SHOULDER),
        Lerp("HipLeft", ("upperleg_l", "upperleg_r"), ("upperleg_l",), BANDAI_HIP_ON_MID_HIPS_TO_HIP),
        Lerp("HipRight", ("upperleg_l", "upperleg_r"), ("upperleg_r",), BANDAI_HIP_ON_MID_HIPS_TO_HIP),
        Lerp("Head", ("SpineShoulder",), ("Neck",), 1 / NECK_ON_SPINE_SHOULDER_TO_HEAD),
        Lerp("HandLeft", ("lowerarm_l",), ("hand_l",), HAND_ON_ELBOW_TO_WRIST),
        Lerp("HandTipLeft", ("lowerarm_l",), ("hand_l",), HAND_TIP_ON_ELBOW_TO_WRIST),
        Lerp("ThumbLeft", ("lowerarm_l",), ("hand_l",), THUMB_ON_ELBOW_TO_WRIST),
        Lerp("HandRight", ("lowerarm_r",), ("hand_r",), HAND_ON_ELBOW_TO_WRIST),
        Lerp("HandTipRight", ("lowerarm_r",), ("hand_r",), HAND_TIP_ON_ELBOW_TO_WRIST),
        Lerp("ThumbRight", ("lowerarm_r",), ("hand_r",), THUMB_ON_ELBOW_TO_WRIST),
    ),
    "hdm05_31": (
        Lerp("SpineBase", ("lhipjoint", "rhipjoint"), ("lclavicle", "rclavicle"), SPINE_BASE_ON_HIPS_TO_SHOULDERS),
        Lerp("SpineMid", ("SpineBase",), ("SpineShoulder",), SPINE_MID_ON_BASE_TO_SPINE_SHOULDER),
        Lerp("Head", ("upperneck",), ("head",), 0.5),
        Lerp("ShoulderLeft", ("SpineShoulder",), ("lclavicle",), HDM05_SHOULDER_ON_SPINE_SHOULDER_TO_SHOULDER),
        Lerp("ShoulderRight", ("SpineShoulder",), ("rclavicle",), HDM05_SHOULDER_ON_SPINE_SHOULDER_TO_SHOULDER),
        Lerp("HipLeft", ("lhipjoint", "rhipjoint"), ("lhipjoint",), HDM05_HIP_ON_MID_HIPS_TO_HIP),
        Lerp("HipRight", ("lhipjoint", "rhipjoint"), ("rhipjoint",), HDM05_HIP_ON_MID_HIPS_TO_HIP),
    ),
}

# Rules used where a joint's own rule lacks an input: a desk webcam sees no hips, and head and SpineShoulder then
# hang from the shoulders as before (Neck follows). Joints whose only rule needs the hips are left to preprocessing.
FALLBACK: dict[str, dict[str, Lerp]] = {
    "mediapipe33": {
        "Head": Lerp("Head", _SHOULDERS, ("left_ear", "right_ear"), HEAD_ON_SHOULDERS_TO_EARS),
        "SpineShoulder": Lerp("SpineShoulder", _SHOULDERS, ("left_ear", "right_ear"),
                              SPINE_SHOULDER_ON_SHOULDERS_TO_EARS),
    },
}

CONFIDENCE_THRESHOLD = 0.5  # a source joint with confidence/visibility below this is not usable


@dataclass(frozen=True)
class _CompiledMap:
    weights: np.ndarray  # (25, J) float64: NTU joint = weights @ source joints
    inputs: np.ndarray  # (25, J) bool: the source joints each NTU joint depends on
    real: np.ndarray  # (25,) bool: measured directly
    axis_scale: np.ndarray  # (3,) float64: scale * sign per axis
    fallback_weights: np.ndarray | None  # (25, J): FALLBACK rules swapped in; used where `weights` is not valid
    fallback_inputs: np.ndarray | None  # (25, J) bool: the source joints each fallback row depends on


def _rule_weights(source: str, rules: tuple[Lerp, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(25, J) weights (NTU joint = weights @ source joints) and (25,) bool "measured directly", for one rule list."""
    names = SOURCE_JOINT_NAMES[source]
    index = {name: j for j, name in enumerate(names)}
    weights = np.zeros((NTU25.num_joints, len(names)))
    filled = np.zeros(NTU25.num_joints, bool)
    for ntu_name, source_name in DIRECT[source].items():
        weights[NTU25.index[ntu_name], index[source_name]] = 1.0
        filled[NTU25.index[ntu_name]] = True
    real = filled.copy()

    def mean_row(points: tuple[str, ...]) -> np.ndarray:
        rows = []
        for point in points:
            if point in NTU25.index:
                assert filled[NTU25.index[point]], f"{source}: {point} is used before it is filled"
                rows.append(weights[NTU25.index[point]])
            else:
                rows.append(np.eye(len(names))[index[point]])
        return np.mean(rows, axis=0)

    for rule in rules:
        target = NTU25.index[rule.target]
        assert not filled[target], f"{source}: {rule.target} is both direct and synthesised"
        start, end = mean_row(rule.start), mean_row(rule.end)
        weights[target] = start + rule.t * (end - start)
        filled[target] = True
    missing = [NTU25.joint_names[j] for j in np.flatnonzero(~filled)]
    assert not missing, f"{source}: no rule for NTU joints {missing}"
    return weights, real


@lru_cache(maxsize=None)
def _compiled(source: str) -> _CompiledMap:
    if source not in SOURCE_JOINT_NAMES:
        raise ValueError(f"unknown joint source {source!r}; known: {sorted(SOURCE_JOINT_NAMES)}")
    rules = SYNTHESISED[source]
    weights, real = _rule_weights(source, rules)
    fallback = FALLBACK.get(source, {})
    assert set(fallback) <= {rule.target for rule in rules}, f"{source}: a fallback for a joint with no rule"
    fallback_weights = None
    if fallback:  # the same rules with the fallbacks swapped in, so joints built on them follow too
        fallback_weights, _ = _rule_weights(source, tuple(fallback.get(rule.target, rule) for rule in rules))
    scale, signs = AXES[source]
    return _CompiledMap(weights=weights, inputs=np.abs(weights) > 1e-12, real=real,
                        axis_scale=scale * np.asarray(signs, dtype=np.float64), fallback_weights=fallback_weights,
                        fallback_inputs=None if fallback_weights is None else np.abs(fallback_weights) > 1e-12)


def real_joint_mask(source: str) -> np.ndarray:
    """(25,) bool: True where the NTU joint is one source joint measured directly, False where synthesised."""
    return _compiled(source).real.copy()


def direct_map(source: str) -> dict[int, int]:
    """NTU joint index -> source joint index, for the directly measured joints."""
    index = {name: j for j, name in enumerate(SOURCE_JOINT_NAMES[source])}
    return {NTU25.index[ntu]: index[src] for ntu, src in DIRECT[source].items()}


def to_ntu25(joints: np.ndarray, source: str,
             confidence: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Source joints (..., J, 3) in the source's own units and axes -> NTU-25 (..., 25, 3) float32 and valid (..., 25).

    The output is in metres with X to the sensor's left, Y up, Z away. `confidence` (..., J) (MediaPipe visibility,
    Azure confidence level, Kinect tracking state...) marks a source joint usable when >= 0.5; non-finite joints are
    never usable. A direct joint is valid when its source joint is usable, a synthesised one when all its inputs are
    (or, failing that, all the inputs of its FALLBACK rule). Invalid joints are set to 0.
    """
    table = _compiled(source)
    num_source = table.weights.shape[1]
    x = np.asarray(joints, dtype=np.float64)
    if x.ndim < 2 or x.shape[-2:] != (num_source, 3):
        raise ValueError(f"{source}: joints must be (..., {num_source}, 3), got {x.shape}")
    usable = np.isfinite(x).all(axis=-1)
    if confidence is not None:
        confidence = np.asarray(confidence)
        if confidence.shape != x.shape[:-1]:
            raise ValueError(f"{source}: confidence must be {x.shape[:-1]}, got {confidence.shape}")
        usable &= confidence >= CONFIDENCE_THRESHOLD
    x = np.where(usable[..., None], x, 0.0) * table.axis_scale
    out = table.weights @ x  # (25, J) @ (..., J, 3) -> (..., 25, 3)
    valid = np.all(usable[..., None, :] | ~table.inputs, axis=-1)
    if table.fallback_weights is not None:
        fallback_valid = np.all(usable[..., None, :] | ~table.fallback_inputs, axis=-1)
        use = fallback_valid & ~valid
        out = np.where(use[..., None], table.fallback_weights @ x, out)
        valid |= use
    out[~valid] = 0.0
    return out.astype(np.float32), valid
