"""The validation curve read back from a pretraining run's history: best epoch, still rising or not, the PNG."""

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from core.benchmark.training_curve import curve_summary, write_curve_png


def _history(val):
    return [{"epoch": i + 1, "loss": 1.0, "train_acc": min(1.0, v + 0.05), "val_acc": v, "seconds": 2.0}
            for i, v in enumerate(val)]


def test_a_curve_that_flattened_is_not_still_rising():
    summary = curve_summary(_history([0.1, 0.3, 0.5, 0.6, 0.62, 0.61, 0.62, 0.615, 0.62, 0.618]))
    assert summary["best_epoch"] == 5 and summary["best_val_acc"] == pytest.approx(0.62)
    assert summary["tail_gain"] == pytest.approx(0.0) and not summary["still_rising"]
    assert summary["epochs"] == 10 and summary["seconds"] == pytest.approx(20.0)


def test_a_curve_still_climbing_at_the_end_says_so():
    summary = curve_summary(_history([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7]), tail=3)
    assert summary["best_epoch"] == 8 and summary["tail_gain"] == pytest.approx(0.2) and summary["still_rising"]


def test_histories_without_a_curve_are_refused():
    with pytest.raises(ValueError, match="no epochs"):
        curve_summary([])
    with pytest.raises(ValueError, match="without seen-class validation"):
        curve_summary(_history([float("nan"), float("nan")]))
    with pytest.raises(ValueError, match=r"epochs \[2\] lack"):
        curve_summary([_history([0.1])[0], {"epoch": 2}])


def test_the_png_marks_the_best_epoch(tmp_path):
    path = write_curve_png(tmp_path / "curve.png", _history([0.1, 0.4, 0.3]), "toy")
    image = cv2.imread(str(path))
    assert image is not None and image.shape[1] > 600
    red = (image[:, :, 2] > 180) & (image[:, :, 0] < 100) & (image[:, :, 1] < 100)
    assert red.any(), "the best-epoch marker is drawn"


SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "training_curve.py"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_the_script_prints_one_json_object_and_names_a_bad_folder(tmp_path):
    folder = tmp_path / "enc"
    folder.mkdir()
    (folder / "encoder.json").write_text(json.dumps({"seen_classes": ["a", "b"], "clips": 40, "datasets": ["x"],
                                                     "history": _history([0.2, 0.5, 0.55])}))
    done = _run(folder, "--png", tmp_path / "c.png", "--tail", "1")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["classes"] == 2 and report["best_epoch"] == 3 and (tmp_path / "c.png").is_file()
    missing = _run(tmp_path / "missing")
    assert missing.returncode == 2 and "missing/encoder.json" in missing.stderr
