"""`smie eval` GZSL before and after the stored seen-label bias: today's seen-fitted gamma, and the model's bias
times its temperature for that many labels (absent for a model without one)."""

import shutil

import numpy as np
import pytest
from test_eval_calibration import SEEN, UNSEEN, fake_data, model_dir, run_json  # noqa: F401 (fixtures)

from core.cli import main
from core.metrics import model_temperature
from core.model.checkpoint import update_metrics
from core.model.seen_bias import METRICS_KEY, SeenBias


def test_a_model_without_a_bias_reports_the_seen_fitted_gzsl_only(model_dir, fake_data, capsys):  # noqa: F811
    code, result, _ = run_json(capsys, "--model", model_dir)
    assert code == 0 and "gzsl" in result and "gzsl_seen_bias" not in result


def test_the_stored_bias_moves_answers_from_seen_to_unseen_labels(model_dir, fake_data, capsys, tmp_path):  # noqa: F811
    folder = tmp_path / "biased"
    shutil.copytree(model_dir, folder)
    metrics = update_metrics(folder, {METRICS_KEY: SeenBias(1e6).to_dict()}).metrics  # beyond any score spread
    code, result, _ = run_json(capsys, "--model", folder)
    assert code == 0
    corrected, plain = result["gzsl_seen_bias"], result["gzsl_seen_bias"]["uncorrected"]
    temperature = model_temperature(metrics, len(SEEN) + len(UNSEEN))
    assert corrected["temperature"] == pytest.approx(temperature) and corrected["bias"] == 1e6
    assert corrected["gamma"] == pytest.approx(1e6 * temperature) and corrected["score"] == "SMIE"
    assert corrected["seen"] == 0.0 and corrected["unseen"] >= plain["unseen"], "no seen label can win"
    assert plain["gamma"] == 0.0 and not np.isnan(result["gzsl"]["harmonic"])
    assert main(["eval", "--model", str(folder)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("GZSL")]
    assert len(lines) == 2 and "stored seen bias" in lines[1] and "gamma" in lines[0]
