"""Capture sources: MediaPipe on the real tai chi video, replay pacing, recordings, Kinect body selection and mapping."""

import os
import re
import time

import numpy as np
import pytest
from io_fixtures import cut_bytes, write_video

from core.live.sources import SourceError, open_source
from core.live.sources.azure import AzureKinectSource, azure_skeletons
from core.live.sources.bodies import BodySelector
from core.live.sources.kinect2 import Kinect2Source, kinect2_skeletons
from core.live.sources.mediapipe_pose import MediaPipeSource
from core.live.sources.native_stderr import filtered_native_stderr
from core.live.sources.replay import ReplaySource, load_recording, save_recording
from core.live.sources.video_check import container_kind, is_truncated
from core.readers.ntu import read_ntu_skeleton
from core.skeleton.clip import Clip
from core.skeleton.joint_maps import direct_map
from core.skeleton.layouts import NTU25

J = NTU25.index


@pytest.fixture(scope="module")
def tai_chi(shared_data):
    """Every frame of the tai chi video through two MediaPipe estimators on alternate frames (done once)."""
    path = shared_data / "video" / "ta_chi.mp4"
    with MediaPipeSource(path, realtime=False, pose_workers=2) as source:
        frames = list(source)
        fps = source.fps
    return path, frames, fps


def tracked(frames):
    """(F, 25, 3) joints and (F, 25) valid of the frames that have a body."""
    with_body = [f for f in frames if f.num_bodies]
    return np.stack([f.joints[0] for f in with_body]), np.stack([f.valid[0] for f in with_body])


def test_tai_chi_video_gives_a_body_in_nearly_every_frame(tai_chi):
    _, frames, fps = tai_chi
    assert len(frames) == 300 and fps == pytest.approx(29.97, abs=0.01)
    assert np.mean([f.num_bodies > 0 for f in frames]) >= 0.9
    np.testing.assert_allclose([f.timestamp for f in frames], np.arange(300) / fps)
    assert [f.index for f in frames] == list(range(300))
    assert all(f.joints.dtype == np.float32 and f.joints.shape[1:] == (25, 3) for f in frames)
    assert np.median([f.pose_ms for f in frames]) > 1.0, "pose time must be measured"


def test_frames_carry_the_unmirrored_image(tai_chi):
    import cv2

    path, frames, _ = tai_chi
    capture = cv2.VideoCapture(str(path))
    _, first = capture.read()
    capture.release()
    np.testing.assert_array_equal(frames[0].image, first)


def test_two_pose_workers_keep_frame_order_and_agree_with_one(tai_chi):
    import cv2

    path, frames, _ = tai_chi
    with MediaPipeSource(path, realtime=False, pose_workers=1, keep_image=False) as source:
        single = list(source)
    assert [f.index for f in single] == [f.index for f in frames] == list(range(300))
    capture = cv2.VideoCapture(str(path))
    decoded = [capture.read()[1] for _ in range(300)]
    capture.release()
    for k in (1, 2, 151, 299):  # each frame carries its own image, not its neighbour's
        np.testing.assert_array_equal(frames[k].image, decoded[k])
    both = [k for k in range(300) if frames[k].num_bodies and single[k].num_bodies]
    assert len(both) >= 270
    distance = np.linalg.norm(np.stack([frames[k].joints[0] for k in both])
                              - np.stack([single[k].joints[0] for k in both]), axis=-1)
    assert np.median(distance) < 0.05, "estimators tracking alternate frames must agree with one tracking all"


@pytest.mark.parametrize("child, parent, low, high", [
    ("ElbowLeft", "ShoulderLeft", 0.18, 0.4), ("ElbowRight", "ShoulderRight", 0.18, 0.4),  # lite: 0.19-0.21
    ("WristLeft", "ElbowLeft", 0.15, 0.35), ("WristRight", "ElbowRight", 0.15, 0.35),
    ("KneeLeft", "HipLeft", 0.3, 0.55), ("KneeRight", "HipRight", 0.3, 0.55),
    ("AnkleLeft", "KneeLeft", 0.3, 0.55), ("AnkleRight", "KneeRight", 0.3, 0.55),
    ("ShoulderLeft", "ShoulderRight", 0.25, 0.5), ("SpineShoulder", "SpineBase", 0.4, 0.7),
])
def test_tai_chi_bone_lengths_are_human(tai_chi, child, parent, low, high):
    joints, valid = tracked(tai_chi[1])
    both = valid[:, J[child]] & valid[:, J[parent]]
    length = np.median(np.linalg.norm(joints[both, J[child]] - joints[both, J[parent]], axis=-1))
    assert low <= length <= high, f"{parent}-{child}: median {length:.3f} m outside [{low}, {high}]"


def test_tai_chi_skeleton_is_upright_and_not_mirrored(tai_chi):
    joints, _ = tracked(tai_chi[1])
    y = joints[..., 1]
    assert (y[:, J["Head"]] > y[:, J["SpineBase"]]).mean() >= 0.95, "head must be above the hips (Y up)"
    assert (y[:, J["SpineShoulder"]] > y[:, J["KneeLeft"]]).mean() >= 0.95
    assert (y[:, J["KneeRight"]] > y[:, J["FootRight"]]).mean() >= 0.9
    # Chirality, whatever way the person faces: (left -> right shoulder) x up points backwards, opposite the
    # toes. A mirrored skeleton (left and right swapped) flips the sign.
    right = joints[:, J["ShoulderRight"]] - joints[:, J["ShoulderLeft"]]
    up = joints[:, J["SpineShoulder"]] - joints[:, J["SpineBase"]]
    toes = (joints[:, J["FootLeft"]] - joints[:, J["AnkleLeft"]]
            + joints[:, J["FootRight"]] - joints[:, J["AnkleRight"]])
    backwards = np.einsum("fc,fc->f", np.cross(right, up), toes) < 0
    assert backwards.mean() >= 0.9, f"left/right look mirrored in {1 - backwards.mean():.0%} of frames"


def test_unreadable_or_missing_video_fails_with_a_clear_message(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    with pytest.raises(SourceError, match="cannot read video .*broken.mp4") as error:
        MediaPipeSource(bad).open()
    assert not error.value.retryable
    with pytest.raises(SourceError, match="not found"):
        MediaPipeSource(tmp_path / "missing.mp4").open()
    with pytest.raises(SourceError, match="no such file"):
        open_source(str(tmp_path / "missing.mp4"))


def test_absent_camera_is_a_retryable_error_not_a_hang():
    start = time.monotonic()
    source = MediaPipeSource(97)
    with pytest.raises(SourceError, match="camera 97 not found") as error:
        source.open()
    assert error.value.retryable
    assert time.monotonic() - start < 10
    source.close()


def read_all(source):
    with source:
        return sum(1 for _ in source)


def test_truncated_avi_is_named_damaged_with_the_frames_that_were_readable(tmp_path):
    whole = write_video(tmp_path / "clip.avi")
    assert read_all(MediaPipeSource(whole, realtime=False, pose_workers=1)) == 60, "the intact file reads whole"
    with pytest.raises(SourceError) as error:
        read_all(MediaPipeSource(cut_bytes(whole), realtime=False, pose_workers=1))
    message = str(error.value)
    assert "damaged or truncated" in message and "cut_clip.avi" in message, message
    assert re.search(r"only \d+ of its 60 frames could be read", message), message
    assert message.count("cut_clip.avi") == 1 and not error.value.retryable


def test_truncated_mp4_is_named_damaged_not_an_unknown_format(tmp_path):
    cut = cut_bytes(write_video(tmp_path / "clip.mp4", fourcc="mp4v"))
    with pytest.raises(SourceError) as error:
        MediaPipeSource(cut).open()
    message = str(error.value)
    assert "cut_clip.mp4 is damaged or truncated" in message and "unsupported codec" not in message, message
    assert message.count("cut_clip.mp4") == 1


def test_frame_count_tolerance_and_container_sniffing(tmp_path):
    assert not is_truncated(58, 60) and is_truncated(33, 60) and not is_truncated(5, None)
    assert container_kind(write_video(tmp_path / "a.avi", frames=3)) == "AVI"
    assert container_kind(write_video(tmp_path / "a.mp4", frames=3, fourcc="mp4v")) == "MP4/MOV"
    (tmp_path / "text.mp4").write_text("hello")
    assert container_kind(tmp_path / "text.mp4") is None


def test_native_stderr_filter_drops_mediapipe_chatter_and_passes_the_rest(capfd):
    with filtered_native_stderr(verbose=False):
        os.write(2, b"W0000 00:00:1796119050.516622   11422 inference_feedback_manager.cc:114] Feedback\n"
                    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
                    b"INFO: [environment.cc:36] Creating LiteRT environment with options\n"
                    b"WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported.\n"
                    b"E0000 00:00:1796119050.5 real_error.cc:1] something broke\n"
                    b"a line of our own\n")
    err = capfd.readouterr().err
    assert "Feedback" not in err and "XNNPACK" not in err and "LiteRT" not in err and "Sparsity" not in err
    assert "something broke" in err and "a line of our own" in err
    with filtered_native_stderr(verbose=True):
        os.write(2, b"I0000 00:00:1.0 shown when verbose\n")
    assert "shown when verbose" in capfd.readouterr().err


def test_open_source_picks_the_source_from_the_spec(tmp_path):
    assert isinstance(open_source("0"), MediaPipeSource) and open_source("0").is_live
    assert isinstance(open_source("kinect2"), Kinect2Source)
    assert isinstance(open_source("azure"), AzureKinectSource)
    assert isinstance(open_source(str(tmp_path / "a.skeleton"), realtime=False), ReplaySource)
    with pytest.raises(TypeError, match="unknown options"):
        open_source("0", mirror=True)


@pytest.mark.parametrize("source, extra", [(Kinect2Source, "kinect2"), (AzureKinectSource, "azure")])
def test_missing_device_sdk_names_what_to_install(source, extra):
    pytest.importorskip("core.live.sources.kinect2")
    try:
        __import__("pykinect2" if extra == "kinect2" else "pykinect_azure")
        pytest.skip(f"the {extra} SDK is installed here")
    except ImportError:
        pass
    with pytest.raises(SourceError, match=rf'pip install "smie-live\[{extra}\]"'):
        source().open()


def synthetic_clip(num_frames=30, fps=30.0):
    """A clip whose every coordinate equals the frame number (easy to check after replay)."""
    joints = np.broadcast_to(np.arange(num_frames, dtype=np.float32)[:, None, None, None],
                             (num_frames, 1, 25, 3)).copy()
    return Clip(joints=joints, valid=np.ones((num_frames, 1, 25), bool), source="synthetic", fps=fps)


def test_replay_keeps_the_recorded_pace_or_runs_fast():
    clip = synthetic_clip(num_frames=12)
    start = time.monotonic()
    with ReplaySource(clip, realtime=True) as source:
        frames = list(source)
    paced = time.monotonic() - start
    assert paced >= 11 / 30 - 0.01, f"12 frames at 30 fps took only {paced:.3f} s"
    assert [f.joints[0, 0, 0] for f in frames] == list(range(12))
    np.testing.assert_allclose([f.timestamp for f in frames], np.arange(12) / 30)
    start = time.monotonic()
    with ReplaySource(synthetic_clip(num_frames=3000), realtime=False) as source:
        assert sum(1 for _ in source) == 3000
    assert time.monotonic() - start < 2.0


def test_replay_loop_keeps_time_increasing():
    with ReplaySource(synthetic_clip(num_frames=5), realtime=False, loop=True) as source:
        timestamps = [source.read().timestamp for _ in range(12)]
    assert (np.diff(timestamps) > 0).all()


def test_recording_round_trip_and_bad_recordings(tmp_path):
    clip = synthetic_clip(num_frames=20)
    timestamps = np.cumsum(np.full(20, 1 / 15))  # uneven source rate: replay follows the stored times
    path = save_recording(tmp_path / "take.npz", clip.joints, clip.valid, timestamps, fps=15.0)
    loaded = load_recording(path)
    np.testing.assert_array_equal(loaded.joints, clip.joints)
    with open_source(str(path), realtime=False) as source:
        np.testing.assert_allclose([f.timestamp for f in source], timestamps)
    bad = tmp_path / "bad.npz"
    np.savez(bad, joints=clip.joints)
    with pytest.raises(SourceError, match="bad.npz.*timestamps|bad.npz.*valid"):
        open_source(str(bad)).open()


def test_ntu_file_replays_every_frame(shared_data):
    path = shared_data / "ntu_samples" / "S001C001P001R001A050.skeleton"
    with open_source(str(path), realtime=False) as source:
        frames = list(source)
    assert 40 <= len(frames) <= 130
    assert all(f.num_bodies == 2 for f in frames), "A050 has two people in every frame"
    np.testing.assert_allclose([f.timestamp for f in frames], np.arange(len(frames)) / 30.0)


def ntu_bodies(shared_data):
    """Recorded Kinect v2 bodies: the two people of an NTU two-person file, (T, 2, 25, 3)."""
    clip = read_ntu_skeleton(shared_data / "ntu_samples" / "S001C001P001R001A050.skeleton")
    return clip.joints, clip.valid


def test_kinect2_keeps_the_two_nearest_of_six_bodies_in_stable_slots(shared_data):
    joints, valid = ntu_bodies(shared_data)
    selector = BodySelector()
    for t in range(len(joints)):
        # SDK-shaped arrays: 6 body slots, the two real people at slots 4 and 1, far copies elsewhere.
        positions = np.zeros((6, 25, 3), np.float32)
        states = np.zeros((6, 25), np.int8)
        tracked_flags = np.zeros(6, bool)
        for slot, (person, shift) in {4: (0, 0.0), 1: (1, 0.0), 0: (0, 2.5), 3: (1, 3.0)}.items():
            positions[slot] = joints[t, person] + np.float32([0.0, 0.0, shift])
            states[slot] = np.where(valid[t, person], 2, 0)
            tracked_flags[slot] = True
        ids = np.array([70, 11, 0, 73, 10, 0])  # tracking ids of the bodies
        if t % 2:  # the SDK may list bodies in any order
            order = [5, 4, 3, 2, 1, 0]
            positions, states, tracked_flags, ids = positions[order], states[order], tracked_flags[order], ids[order]
        sdk_joints, sdk_valid = kinect2_skeletons(positions, states, tracked_flags)
        out_joints, out_valid = selector.select(sdk_joints, sdk_valid, ids, t / 30.0)
        assert out_joints.shape == (2, 25, 3)
        if t == 0:  # the nearer person takes slot 0 and both keep their slots afterwards
            depth = [joints[0, person][valid[0, person], 2].mean() for person in (0, 1)]
            slot_of = [int(np.argmin(depth)), int(np.argmax(depth))]
        for slot, person in enumerate(slot_of):
            np.testing.assert_allclose(out_joints[slot][out_valid[slot]], joints[t, person][out_valid[slot]])
            assert out_valid[slot].sum() == valid[t, person].sum()


def test_body_selector_moves_the_remaining_body_to_the_first_slot():
    selector = BodySelector()
    near, far = np.zeros((25, 3), np.float32), np.zeros((25, 3), np.float32)
    near[:, 2], far[:, 2] = 2.0, 3.0
    full = np.ones((2, 25), bool)
    joints, _ = selector.select(np.stack([near, far]), full, [5, 6], 0.0)
    assert joints[0, 0, 2] == 2.0 and joints[1, 0, 2] == 3.0
    joints, valid = selector.select(far[None], full[:1], [6], 1 / 30)
    assert joints.shape == (1, 25, 3) and joints[0, 0, 2] == 3.0 and valid.all()
    # A very active far body outranks a still near one once its activity builds up.
    wave = far.copy()
    for t in range(2, 40):
        wave[:, 0] = 0.3 * np.sin(t)
        joints, _ = selector.select(np.stack([near, wave]), full, [7, 6], t / 30)
    assert sorted(joints[:, 0, 2].tolist()) == [2.0, 3.0]
    three = np.stack([near, wave, near + np.float32([0, 0, 0.5])])
    joints, _ = selector.select(three, np.ones((3, 25), bool), [7, 6, 8], 41 / 30)
    assert 2.5 not in joints[:, 0, 2], "the still, farther third body must be dropped"


def test_azure_32_joints_map_onto_ntu_axes_and_metres(shared_data):
    joints, valid = ntu_bodies(shared_data)
    ntu = joints[:, 0]  # (T, 25, 3) metres, NTU axes
    azure = np.zeros((len(ntu), 32, 3), np.float32)
    for ntu_joint, azure_joint in direct_map("azure32").items():
        azure[:, azure_joint] = ntu[:, ntu_joint] * np.float32([-1000, -1000, 1000])  # mm, x right, y down
    confidence = np.full((len(ntu), 32), 2)
    confidence[:, 27:] = 0  # face joints not tracked: NTU has none of them anyway
    mapped, mapped_valid = azure_skeletons(azure, confidence)
    assert mapped_valid.all()
    np.testing.assert_allclose(mapped, ntu, atol=1e-5)
    assert (mapped[:, J["Head"], 1] > mapped[:, J["SpineBase"], 1]).all()
