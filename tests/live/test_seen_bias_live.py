"""The model's seen-label correction and "unsure" threshold live: a label naming a class the model trained on
loses the stored bias times the temperature, other labels keep their score; the scorer takes the model's
threshold unless one is configured."""

import json

import numpy as np
import pytest
from io_fixtures import waving_clip

from core.commands.bench_pipeline import save_random_model
from core.live.clip_windows import live_windows
from core.live.recognizer import Recognizer
from core.live.scorer import UNSURE_BELOW, LiveScorer, ScorerConfig
from core.metrics import UNSURE_KEY
from core.model.checkpoint import update_metrics
from core.model.seen_bias import METRICS_KEY, SeenBias

LABELS = ["wave hand", "Clap  Hands", "jump"]


def model_with(folder, metrics: dict, seen_classes=("clap hands", "kick")):
    model = save_random_model(folder)
    meta_file = model / "model.json"
    meta = json.loads(meta_file.read_text())
    meta["seen_classes"] = list(seen_classes)
    meta_file.write_text(json.dumps(meta))
    if metrics:
        update_metrics(model, metrics)
    return Recognizer.load(model, "cpu")


@pytest.fixture(scope="module")
def window():
    clip = waving_clip(3.0)
    return live_windows(clip.joints, clip.valid, np.arange(clip.num_frames) / 30.0, 2.0, 0.5, 50)[-1]


def test_a_seen_label_loses_the_bias_and_the_others_keep_their_score(tmp_path, window):
    plain = model_with(tmp_path / "plain", {})
    corrected = model_with(tmp_path / "corrected", {METRICS_KEY: SeenBias(0.7).to_dict()})
    assert plain.seen_bias is None and corrected.seen_bias.bias == pytest.approx(0.7)
    before = LiveScorer(plain, LABELS).score_window(window).scores
    after = LiveScorer(corrected, LABELS).score_window(window).scores
    assert corrected.label_set.seen.tolist() == [False, True, False]  # by label key: case and spacing ignored
    shift = 0.7 * corrected.temperature_for(3)
    assert after["Clap Hands"] == pytest.approx(before["Clap Hands"] - shift, rel=1e-4, abs=1e-4)
    assert after["wave hand"] == pytest.approx(before["wave hand"], rel=1e-5, abs=1e-5)


def test_the_scorer_takes_the_models_threshold_unless_one_is_set(tmp_path):
    chosen = model_with(tmp_path / "chosen", {UNSURE_KEY: {"threshold": 0.3}})
    older = model_with(tmp_path / "older", {})
    assert LiveScorer(chosen, LABELS).unsure_below == pytest.approx(0.3)
    assert LiveScorer(older, LABELS).unsure_below == UNSURE_BELOW
    assert LiveScorer(chosen, LABELS, ScorerConfig(unsure_below=0.8)).unsure_below == 0.8
    assert LiveScorer(chosen, LABELS, ScorerConfig(unsure_below=0.0)).unsure_below == 0.0
