"""Fixtures for the app tests (a random model, a written .skeleton clip, temporary settings) and their checks."""

import numpy as np
import pytest

from core.skeleton.layouts import NTU25

J = NTU25.index
FPS = 30.0
WAVING = ("WristRight", "HandRight", "HandTipRight", "ThumbRight")


def standing_pose() -> np.ndarray:
    """(25, 3) an upright body facing the sensor 3 m away, NTU axes (X to the sensor's left, Y up)."""
    heights = {"SpineBase": 0.0, "SpineMid": 0.3, "SpineShoulder": 0.5, "Neck": 0.6, "Head": 0.72,
               "HipLeft": -0.05, "HipRight": -0.05, "KneeLeft": -0.5, "KneeRight": -0.5, "AnkleLeft": -0.9,
               "AnkleRight": -0.9, "FootLeft": -0.95, "FootRight": -0.95, "ShoulderLeft": 0.5,
               "ShoulderRight": 0.5, "ElbowLeft": 0.25, "ElbowRight": 0.25, "WristLeft": 0.0, "WristRight": 0.0,
               "HandLeft": -0.05, "HandRight": -0.05, "HandTipLeft": -0.12, "HandTipRight": -0.12,
               "ThumbLeft": -0.06, "ThumbRight": -0.06}
    sideways = {"Shoulder": 0.2, "Elbow": 0.25, "Wrist": 0.28, "Hand": 0.29, "HandTip": 0.3, "Thumb": 0.27,
                "Hip": 0.1, "Knee": 0.1, "Ankle": 0.1, "Foot": 0.1}
    pose = np.zeros((25, 3), np.float32)
    pose[:, 2] = 3.0
    for name, height in heights.items():
        pose[J[name], 1] = height
    for part, offset in sideways.items():
        pose[J[part + "Left"], 0] = -offset  # the person's left is the sensor's right: negative X
        pose[J[part + "Right"], 0] = offset
    return pose


def waving_clip(seconds: float = 4.0, seed: int = 0):
    """A core Clip: one person raising and lowering the right hand twice a second, with sensor-like jitter."""
    from core.skeleton.clip import Clip

    rng = np.random.default_rng(seed)
    T = int(seconds * FPS)
    joints = np.repeat(standing_pose()[None, None], T, axis=0)  # (T, 1, 25, 3)
    phase = np.sin(2 * np.pi * 2.0 * np.arange(T) / FPS)
    for name in WAVING:
        joints[:, 0, J[name], 1] += 0.35 + 0.25 * phase
        joints[:, 0, J[name], 0] += 0.1 * phase
    joints += rng.normal(0, 0.004, joints.shape).astype(np.float32)
    return Clip(joints=joints, valid=np.ones(joints.shape[:3], bool), fps=FPS, source="waving")


def write_waving_skeleton(path, seconds: float = 4.0):
    from core.readers.ntu_writer import write_ntu_skeleton

    write_ntu_skeleton(path, waving_clip(seconds))
    return path


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A randomly initialised ST-GCN + SMIE head saved with core.model.checkpoint (real weights, untrained)."""
    from core.commands.bench_pipeline import save_random_model

    return save_random_model(tmp_path_factory.mktemp("app_model"))


@pytest.fixture(scope="session")
def waving_file(tmp_path_factory):
    """8 s of waving as an NTU .skeleton file: long enough to measure while it replays at its recorded pace."""
    return write_waving_skeleton(tmp_path_factory.mktemp("clips") / "S001C001P001R001A023.skeleton", seconds=8.0)


@pytest.fixture
def settings_file(tmp_path):
    """An INI file for QSettings, so no test touches the user's settings."""
    return tmp_path / "smie-live-test.ini"


def test_waving_clip_round_trips_through_the_ntu_writer(tmp_path):
    from core.readers.ntu import read_ntu_skeleton

    clip = read_ntu_skeleton(write_waving_skeleton(tmp_path / "wave.skeleton", seconds=2.0))
    assert clip.joints.shape == (60, 1, 25, 3) and clip.valid.all()
    np.testing.assert_allclose(clip.joints, waving_clip(2.0).joints, atol=1e-6)
    hand = clip.joints[:, 0, J["HandRight"], 1]
    assert hand.max() - hand.min() > 0.4, "the right hand must visibly wave"
    still = clip.joints[:, 0, J["HandLeft"], 1]
    assert still.max() - still.min() < 0.05, "the left hand stays down"
