"""`smie eval-clips`: whole-clip scores, skipped files with reasons, recovery, videos, confusion PNG, bad input."""

import json

import numpy as np
import pytest
from io_fixtures import moving_body
from test_clip_folder import interrupted_recording

from core.cli import main
from core.clips.clip_folder import ClipEntry, ClipFolder
from core.commands.bench_pipeline import save_random_model
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip

LABELS = ["wave the right hand", "stand still"]
GOOD = [("wave1.skeleton", "wave the right hand", 0.3), ("still1.skeleton", "stand still", 0.0),
        ("wave2.skeleton", "Wave the  right hand", 0.25), ("still2.skeleton", "stand still", 0.01)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("model"))


def skeleton_clip(frames: int, seed: int, wave: float) -> Clip:
    return Clip(joints=moving_body(frames, seed=seed, wave=wave)[:, None], valid=np.ones((frames, 1, 25), bool))


@pytest.fixture
def clip_dir(tmp_path):
    """4 good clips, a corrupt file, a missing file, a 1-frame clip, an unlabelled file and an extra label."""
    folder = ClipFolder(tmp_path / "clips")
    folder.path.mkdir()
    entries = []
    extra = [("jump.skeleton", "jump", 0.1), ("short.skeleton", "stand still", 0.0)]
    for i, (file, label, wave) in enumerate(GOOD + extra):
        frames = 1 if file == "short.skeleton" else 40 + 7 * i
        write_ntu_skeleton(folder.clip_path(file), skeleton_clip(frames, i, wave))
        entries.append(ClipEntry(file, label))
    (folder.path / "corrupt.skeleton").write_text("3\n1\nnot a body line\n")
    write_ntu_skeleton(folder.path / "unlabelled.skeleton", skeleton_clip(30, 9, 0.1))
    folder.upsert(*entries, ClipEntry("corrupt.skeleton", "stand still"), ClipEntry("missing.skeleton", "stand still"))
    return folder.path


def run_json(capsys, *argv) -> tuple[int, dict]:
    code = main(["eval-clips", *map(str, argv), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_scores_match_whole_clip_classification_and_bad_files_are_skipped(clip_dir, model_dir, capsys):
    from core.live.recognizer import Recognizer
    from core.readers.ntu import read_ntu_skeleton

    code, report = run_json(capsys, clip_dir, "--model", model_dir, "--labels", ",".join(LABELS))
    assert code == 0
    assert report["n"] == 4 and report["recovered"] == [] and report["labels"] == LABELS
    reasons = {item["file"]: item["reason"] for item in report["skipped"]}
    assert set(reasons) == {"jump.skeleton", "short.skeleton", "corrupt.skeleton", "missing.skeleton",
                            "unlabelled.skeleton"}
    assert "'jump' is not among the candidate labels" in reasons["jump.skeleton"]
    assert "need at least 2" in reasons["short.skeleton"]
    assert "corrupt.skeleton:3" in reasons["corrupt.skeleton"] and reasons["missing.skeleton"] == "file not found"
    assert "no label" in reasons["unlabelled.skeleton"]
    # The same numbers as classifying the whole clips directly (the training-data preparation).
    recognizer = Recognizer.load(model_dir, "cpu")
    clips = [read_ntu_skeleton(clip_dir / file) for file, _, _ in GOOD]
    scores = recognizer.classify_sequences([(c.joints, c.valid) for c in clips], recognizer.set_labels(LABELS))
    truth = np.array([0, 1, 0, 1])
    correct = scores.argmax(axis=1) == truth
    assert report["top1"] == pytest.approx(correct.mean()) and report["top5"] == 1.0
    assert report["per_class"] == pytest.approx({name: correct[truth == i].mean() for i, name in enumerate(LABELS)})


def test_default_labels_are_the_folders_own_and_text_output_and_confusion_png(clip_dir, model_dir, capsys, tmp_path):
    import cv2

    png = tmp_path / "confusion.png"
    assert main(["eval-clips", str(clip_dir), "--model", str(model_dir), "--confusion", str(png)]) == 0
    text = capsys.readouterr().out
    assert "5 clips scored against 3 labels" in text and "top-1" in text and "skipped corrupt.skeleton" in text
    assert "(2 clips)" in text and "jump (1 clip)" in text
    image = cv2.imread(str(png))
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 300
    assert (image < 128).any(axis=2).mean() > 0.01  # text and cells were drawn, not a blank page


def test_interrupted_recordings_are_recovered_and_scored(clip_dir, model_dir, capsys):
    entry = interrupted_recording(ClipFolder(clip_dir), 25)
    code, report = run_json(capsys, clip_dir, "--model", model_dir)
    assert code == 0 and report["n"] == 6
    assert report["recovered"] == [{"file": entry.file, "frames": 25, "action": "recovered"}]
    assert "wave" in report["per_class"]


def test_bad_input_gives_clear_errors(tmp_path, model_dir, clip_dir, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["eval-clips", str(tmp_path / "empty"), "--model", str(model_dir)]) == 2
    assert "no clips in" in capsys.readouterr().err
    assert main(["eval-clips", str(tmp_path / "nowhere"), "--model", str(model_dir)]) == 2
    assert "clip folder not found" in capsys.readouterr().err
    assert main(["eval-clips", str(clip_dir), "--model", str(tmp_path / "no_model")]) == 2
    assert "no model at" in capsys.readouterr().err
    assert main(["eval-clips", str(clip_dir), "--model", str(model_dir), "--labels", " , "]) == 2
    assert "holds no label" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "labels.csv").write_text("name,label\na.avi,wave\n")
    assert main(["eval-clips", str(tmp_path / "bad"), "--model", str(model_dir)]) == 2
    assert "needs the columns file,label" in capsys.readouterr().err


def test_a_video_without_a_person_is_skipped_and_its_pose_cached(tmp_path, model_dir, capsys, monkeypatch):
    import cv2

    from core.clips.video_pose import video_skeleton

    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "videos"
    folder.mkdir()
    writer = cv2.VideoWriter(str(folder / "noise.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 64))
    for value in range(8):
        writer.write(np.full((64, 64, 3), 30 * value, np.uint8))
    writer.release()
    (folder / "labels.csv").write_text("file,label\nnoise.avi,wave the right hand\n")
    code, report = run_json(capsys, folder, "--model", model_dir)
    assert code == 1 and report["n"] == 0 and report["top1"] is None
    assert report["skipped"] == [{"file": "noise.avi", "reason": "MediaPipe found no person in any of the 8 frames"}]
    again = video_skeleton(folder / "noise.avi")
    assert again.from_cache and again.joints.shape == (8, 2, 25, 3) and again.fps == pytest.approx(10.0)


WEBCAM_SAMPLE = ["PS7A1P1T1.avi", "PS7A2P1T1.avi", "PS7A3P1T1.avi"]  # one clip of each of the 3 actions


def test_webcam_arms_videos_are_pose_estimated_and_scored(shared_data, tmp_path, model_dir, capsys):
    source = shared_data / "webcam_arms"
    rows = dict(line.split(",", 1) for line in (source / "labels.csv").read_text().splitlines()[1:])
    folder = tmp_path / "arms"
    folder.mkdir()
    for name in WEBCAM_SAMPLE:
        (folder / name).symlink_to(source / name)  # no copy; the pose cache is keyed by the real file
    (folder / "labels.csv").write_text("file,label\n" + "".join(f"{n},{rows[n]}\n" for n in WEBCAM_SAMPLE))
    code, report = run_json(capsys, folder, "--model", model_dir)
    assert code == 0 and report["n"] == 3 and report["skipped"] == []
    assert set(report["per_class"]) == {rows[n] for n in WEBCAM_SAMPLE} and report["top5"] == 1.0
    assert 0.0 <= report["top1"] <= 1.0
