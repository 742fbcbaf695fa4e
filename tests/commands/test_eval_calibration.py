"""`smie eval`: calibration of the zero-shot probabilities at the live temperature, the reliability PNG, a bad path."""

import json

import numpy as np
import pytest
from io_fixtures import moving_body

from core.cli import main
from core.commands.bench_pipeline import save_random_model
from core.live.recognizer import Recognizer
from core.metrics import calibration_metrics
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence
from core.training.training_data import TrainingArrays

TEMPERATURE = 0.07
SEEN, UNSEEN = ["sit down", "stand up"], ["wave the right hand", "kick", "clap"]
CLIPS_PER_CLASS = 4


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A random model whose model.json says it was trained on SEEN, with UNSEEN held out, of a dataset "fake"."""
    folder = save_random_model(tmp_path_factory.mktemp("model"))
    meta_path = folder / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["seen_classes"] = SEEN
    meta["metrics"].update(unseen_classes=UNSEEN, datasets=["fake"], split="fake holdout", temperature=TEMPERATURE)
    meta["hyperparameters"]["pretrain"] = {"validation_fraction": 0.25, "seed": 0}
    meta_path.write_text(json.dumps(meta))
    return folder


def fake_arrays() -> TrainingArrays:
    """CLIPS_PER_CLASS normalised clips of each class, waving more or less."""
    names = SEEN + UNSEEN
    windows, labels = [], []
    for label in range(len(names)):
        for i in range(CLIPS_PER_CLASS):
            frames = 40 + 5 * i
            joints = moving_body(frames, seed=10 * label + i, wave=0.05 * label)[:, None]
            windows.append(normalize_sequence(joints, np.ones((frames, 1, 25), bool), PreprocessConfig()))
            labels.append(label)
    count = len(labels)
    return TrainingArrays(np.stack(windows), np.asarray(labels, np.int64), names, np.full(count, -1, np.int64),
                          np.array(["fake"] * count), [f"clip{i}" for i in range(count)])


@pytest.fixture
def fake_data(monkeypatch):
    arrays = fake_arrays()
    monkeypatch.setattr("core.training.experiment.load_pooled", lambda datasets: arrays)
    return arrays


def run_json(capsys, *argv) -> tuple[int, dict, str]:
    code = main(["eval", *map(str, argv), "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out.strip().splitlines()[-1]) if captured.out.strip() else {}, captured.err


def live_scores(model_dir, arrays) -> tuple[np.ndarray, np.ndarray]:
    """The unseen clips scored as the live app scores them, against the unseen labels."""
    unseen = arrays.restrict_classes(UNSEEN)
    recognizer = Recognizer.load(model_dir, "cpu")
    return recognizer.score(recognizer.encode(unseen.x), recognizer.set_labels(UNSEEN)), unseen.labels


def test_eval_reports_zero_shot_calibration_at_the_live_temperature(model_dir, fake_data, capsys, tmp_path):
    png = tmp_path / "reliability.png"
    code, result, _ = run_json(capsys, "--model", model_dir, "--reliability", png)
    assert code == 0 and result["zsl"]["n"] == len(UNSEEN) * CLIPS_PER_CLASS
    figures = result["calibration"]
    assert figures["temperature"] == pytest.approx(TEMPERATURE) and figures["n"] == result["zsl"]["n"]
    scores, labels = live_scores(model_dir, fake_data)
    for key, value in calibration_metrics(scores, labels, TEMPERATURE).items():
        assert (figures[key] is None) if np.isnan(value) else figures[key] == pytest.approx(value, rel=1e-3, abs=1e-6)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["eval", "--model", str(model_dir)]) == 0
    assert "ZSL calibration: ECE" in capsys.readouterr().out


def test_a_bad_reliability_path_is_named_and_exits_2_after_the_results(model_dir, fake_data, capsys, tmp_path):
    path = tmp_path / "missing" / "reliability.png"
    code, result, err = run_json(capsys, "--model", model_dir, "--reliability", path)
    assert code == 2 and "calibration" in result and "zsl" in result  # the results were printed first
    assert f"--reliability {path}" in err and "does not exist" in err and not path.exists()
