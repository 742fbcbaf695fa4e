"""The Tasks PoseLandmarker path: the shipped lite/full bundles, --pose-model, camera-space placement, body slots,
and two real people side by side through the source, the video cache, the live results and a recording."""

import hashlib
import importlib.util
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.commands.bench_pipeline import save_random_model
from core.live.sources import SourceError, open_source
from core.live.sources.mediapipe_pose import MediaPipeSource
from core.live.sources.pose_models import (BUNDLED_POSE_MODELS, DEFAULT_POSE_MODEL, POSE_MODELS_DIR,
                                           pose_model_argument, pose_model_path)
from core.live.sources.pose_tracking import BodySlots, focal_length_px, place_in_camera

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEIGHT = 256


def build_script():
    spec = importlib.util.spec_from_file_location("build_pose_models", POSE_MODELS_DIR / "build_pose_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bundles_are_there_and_match_their_notice():
    build = build_script()
    stated = build.notice_digests((POSE_MODELS_DIR / "NOTICE").read_text())
    assert set(stated) == {path.name for path in BUNDLED_POSE_MODELS.values()}
    for path in BUNDLED_POSE_MODELS.values():
        data = path.read_bytes()
        assert len(data) < 10 * 2**20, f"{path.name}: keep each bundle under 10 MB"
        assert hashlib.sha256(data).hexdigest() == stated[path.name], f"{path.name} differs from NOTICE"
        with zipfile.ZipFile(path) as bundle:
            assert bundle.namelist() == [build.DETECTOR_MEMBER, build.LANDMARKS_MEMBER]
            assert all(info.compress_type == zipfile.ZIP_STORED and info.date_time == build.ZIP_TIME
                       for info in bundle.infolist())
            detector = bundle.read(build.DETECTOR_MEMBER)
        assert hashlib.sha256(detector).hexdigest() == build.SOURCES["detector"][2]
    assert "Apache" in (POSE_MODELS_DIR / "NOTICE").read_text()


def test_bundle_layout_is_byte_reproducible_and_aligned():
    build = build_script()
    for path in BUNDLED_POSE_MODELS.values():
        with zipfile.ZipFile(path) as bundle:
            members = [(info.filename, bundle.read(info)) for info in bundle.infolist()]
            offsets = [info.header_offset + 30 + len(info.filename) + len(info.extra) for info in bundle.infolist()]
        assert build.bundle_bytes(members) == path.read_bytes(), "the same members must give the same bytes"
        assert all(offset % build.ALIGNMENT == 0 for offset in offsets)


def test_full_bundle_rebuilds_byte_for_byte_from_the_installed_wheel():
    """Where mediapipe 0.10.21 is installed (its wheel bundles the full and detector models, and its metadata
    writer works), the full bundle rebuilt from those files is the committed one."""
    import mediapipe

    build = build_script()
    modules = Path(mediapipe.__file__).parent / "modules"
    files = {"full": modules / "pose_landmark" / "pose_landmark_full.tflite",
             "detector": modules / "pose_detection" / "pose_detection.tflite"}
    if not all(path.is_file() for path in files.values()):
        pytest.skip(f"mediapipe {mediapipe.__version__} bundles no pose models (0.10.21 does)")
    try:
        from mediapipe.tasks.python.metadata import metadata  # noqa: F401
    except ImportError:
        pytest.skip(f"mediapipe {mediapipe.__version__}'s metadata writer cannot load")
    sources = {name: build.checked(name, path.read_bytes()) for name, path in files.items()}
    rebuilt = build.bundle_bytes([(build.DETECTOR_MEMBER, sources["detector"]),
                                  (build.LANDMARKS_MEMBER, build.with_input_metadata(sources["full"],
                                                                                     "Pose landmarks (full)"))])
    assert rebuilt == BUNDLED_POSE_MODELS["full"].read_bytes()


def test_pose_model_option_takes_lite_full_or_a_task_file(tmp_path, capsys):
    assert pose_model_path("lite") == BUNDLED_POSE_MODELS["lite"] and pose_model_path(None) == \
        BUNDLED_POSE_MODELS[DEFAULT_POSE_MODEL]
    assert pose_model_argument("FULL") == "full"
    own = tmp_path / "mine.task"
    own.write_bytes(BUNDLED_POSE_MODELS["lite"].read_bytes())
    assert pose_model_argument(str(own)) == str(own)
    for command in (["run", "--source", "0"], ["record", "--source", "0", "--label", "x", "--out", "o"],
                    ["eval-clips", str(tmp_path)], ["convert", "--videos", str(tmp_path), "--out", "o"],
                    ["bench-pipeline", "--source", "0"]):
        with pytest.raises(SystemExit) as exit_code:
            main(command + ["--pose-model", str(tmp_path / "absent.task")])
        assert exit_code.value.code == 2
        assert "pose model not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--source", "0", "--pose-model", "heavy"])
    assert "not lite, full or a .task file" in capsys.readouterr().err
    with pytest.raises(SourceError, match="pose model not found"):
        MediaPipeSource(0, pose_model=tmp_path / "absent.task").open()


def test_full_and_own_task_file_run_on_real_video(shared_data, tmp_path):
    own = tmp_path / "mine.task"
    own.write_bytes(BUNDLED_POSE_MODELS["full"].read_bytes())
    for model in ("full", own):
        with MediaPipeSource(shared_data / "video" / "ta_chi.mp4", pose_model=model, realtime=False,
                             pose_workers=1, keep_image=False) as source:
            frames = [source.read() for _ in range(20)]
        assert sum(f.num_bodies == 1 for f in frames) >= 18
        assert all(f.joints.shape[0] <= 2 for f in frames)


def person(seed=0) -> np.ndarray:
    """(33, 3) MediaPipe-like world landmarks (x right, y down, z away, metres) around the hips."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-0.25, 0.25, (33, 3))
    points[:, 1] = rng.uniform(-0.9, 0.9, 33)  # a tall, thin body
    return points


def project(world: np.ndarray, width=640, height=480) -> np.ndarray:
    f = focal_length_px(width, height)
    x = f * world[:, 0] / world[:, 2] + width / 2
    y = f * world[:, 1] / world[:, 2] + height / 2
    return np.stack([x / width, y / height], axis=1)


@pytest.mark.parametrize("translation", [(0.0, 0.0, 3.0), (-1.2, 0.3, 4.5), (0.8, -0.2, 2.0)])
def test_place_in_camera_recovers_where_the_camera_sees_the_body(translation):
    world = person()
    seen = world + np.asarray(translation)
    placed = place_in_camera(world, project(seen), np.ones(33), (480, 640))
    np.testing.assert_allclose(placed, seen, atol=1e-4)
    hidden = np.ones(33)
    hidden[:20] = 0.1  # occluded landmarks are left out of the fit while enough others remain
    noisy = project(seen)
    noisy[:20] += 0.05
    np.testing.assert_allclose(place_in_camera(world, noisy, hidden, (480, 640)), seen, atol=1e-4)


def test_two_people_keep_their_relative_placement():
    a, b = person(1), person(2)
    left, right = a + (-0.8, 0.0, 3.0), b + (0.7, 0.1, 3.6)
    placed = [place_in_camera(world, project(seen), np.ones(33), (480, 640))
              for world, seen in ((a, left), (b, right))]
    np.testing.assert_allclose(placed[1].mean(0) - placed[0].mean(0), right.mean(0) - left.mean(0), atol=1e-4)


def test_body_slots_follow_image_position_not_list_order():
    slots = BodySlots()
    a, b = np.array([0.25, 0.5]), np.array([0.75, 0.5])
    assert slots.assign([a, b], 0.0) == [0, 1]
    for t in range(1, 30):
        drift = np.array([0.003 * t, 0.0])
        order = [b + drift, a + drift] if t % 2 else [a + drift, b + drift]
        expected = [1, 0] if t % 2 else [0, 1]
        assert slots.assign(order, t / 30) == expected
    assert slots.assign([b], 1.05) == [1], "a person missing for a moment keeps the slot free"
    assert slots.assign([a, b], 1.1) == [0, 1]
    assert slots.assign([b], 1.2) == [1]
    assert slots.assign([b], 2.15) == [0], "slot 0 is freed after forget_after_s: the other person moves up"
    assert slots.swaps_up == 1
    assert slots.assign([b, np.array([0.1, 0.5])], 2.2) == [0, 1], "a newcomer takes the free slot"


def _scaled_frames(path: Path, count: int) -> list[np.ndarray]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(image, (round(image.shape[1] * HEIGHT / image.shape[0]), HEIGHT)))
    capture.release()
    return frames


@pytest.fixture(scope="module")
def two_person_video(shared_data, tmp_path_factory):
    """5 s of two real videos side by side: tai chi on the left, two webcam_arms clips on the right."""
    import cv2

    left = _scaled_frames(shared_data / "video" / "ta_chi.mp4", 150)
    right = [frame for name in ("PS7A1P1T1.avi", "PS7A2P2T1.avi")
             for frame in _scaled_frames(shared_data / "webcam_arms" / name, 150)][:150]
    path = tmp_path_factory.mktemp("two") / "two_people.avi"
    width = left[0].shape[1] + right[0].shape[1] + 1
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 29.97, (width, HEIGHT))
    for a, b in zip(left, right):
        frame = np.zeros((HEIGHT, width, 3), np.uint8)
        frame[:, :a.shape[1]], frame[:, a.shape[1]:a.shape[1] + b.shape[1]] = a, b
        writer.write(frame)
    writer.release()
    return path


def sides(frame) -> list:
    """The picture half each slot's person is on (NTU X points to the sensor's left: left half X > 0)."""
    return [None if not seen.any() else bool(body[seen, 0].mean() > 0) for body, seen in zip(frame.joints, frame.valid)]


def test_two_real_people_side_by_side_get_two_stable_slots(two_person_video):
    with MediaPipeSource(two_person_video, realtime=False) as source:
        frames = list(source)
    assert len(frames) == 150
    two = [f for f in frames if f.num_bodies == 2]
    assert len(two) >= 0.6 * len(frames), f"second person in only {len(two)} of {len(frames)} frames"
    last, swaps = {}, 0
    for frame in frames:
        for slot, side in enumerate(sides(frame)):
            if side is not None:
                swaps += slot in last and last[slot] != side
                last[slot] = side
    assert swaps <= 1, f"{swaps} slot swaps in 5 s"
    assert all(f.image_points.shape == (f.joints.shape[0], 25, 2) for f in frames)
    # Both in camera space, side by side at a similar depth, not on top of each other at the hips.
    centres = np.stack([[body[seen].mean(0) for body, seen in zip(f.joints, f.valid)] for f in two])  # (F, 2, 3)
    gap = np.abs(centres[:, 0, 0] - centres[:, 1, 0])
    assert np.median(gap) > 0.5 and np.all(centres[..., 2] > 0.5)


def test_two_people_reach_the_cache_the_live_results_and_a_recording(two_person_video, tmp_path, monkeypatch,
                                                                       capsys):
    from core.clips.video_pose import video_skeleton
    from core.live.engine import EngineConfig, LiveEngine
    from core.live.recognizer import Recognizer
    from core.live.scorer import LiveScorer, ScorerConfig
    from core.readers.ntu import read_ntu_skeleton

    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    skeleton = video_skeleton(two_person_video)
    assert skeleton.joints.shape == (150, 2, 25, 3) and skeleton.valid[:, 1].any(axis=1).mean() >= 0.6
    assert video_skeleton(two_person_video).from_cache
    assert not video_skeleton(two_person_video, pose_model="full").from_cache, "each model has its own entry"

    recognizer = Recognizer.load(save_random_model(tmp_path / "model"), "cpu")
    results = []
    scorer = LiveScorer(recognizer, ["wave", "clap"], ScorerConfig(), on_result=results.append)
    engine = LiveEngine(open_source(str(two_person_video), realtime=False, keep_image=False), scorer,
                        EngineConfig(realtime=False))
    engine.start()
    assert engine.wait(timeout=120)
    engine.stop()
    assert results and np.mean([r.bodies == 2 for r in results]) >= 0.6
    assert '"bodies": 2' in results[-1].to_json() or results[-1].bodies != 2

    out = tmp_path / "clips"
    assert main(["record", "--source", str(two_person_video), "--label", "two people", "--out", str(out),
                 "--fast", "--countdown", "0", "--pose-model", "lite"]) == 0
    clip = read_ntu_skeleton(next(out.glob("*.skeleton")))
    assert clip.joints.shape[1] == 2 and clip.valid[:, 1].any(axis=1).mean() >= 0.6
