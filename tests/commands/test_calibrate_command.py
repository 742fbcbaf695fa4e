"""`smie calibrate`: the temperature for unseen labels and the weight of examples, fitted on a second model's
held-out classes, are stored in the target model and used by the recognizer (the temperature for lists of that
size)."""

import json
import shutil

import numpy as np
import pytest
from test_eval_calibration import SEEN, UNSEEN, fake_arrays

from core.benchmark.attribute_pairs import _terms
from core.cli import main
from core.commands.bench_pipeline import save_random_model
from core.live.recognizer import Recognizer
from core.metrics import UNSURE_KEY, fit_temperature, load_unsure_below
from core.model.attribute_term import AttributeWeights, parse_labels, store_attribute_weights
from core.model.checkpoint import load_model
from core.model.example_term import METRICS_KEY, FusionWeights
from core.model.seen_bias import load_seen_bias
from core.model.text import TextEncoder
from core.training.calibration import list_episodes
from core.training.class_text import label_text
from core.training.train_head import extract_features, score


@pytest.fixture
def models(tmp_path, monkeypatch):
    """A target model and a second one that says it held UNSEEN out; the data is fake_arrays()."""
    source = save_random_model(tmp_path / "source")
    meta = json.loads((source / "model.json").read_text())
    meta["seen_classes"] = SEEN
    meta["metrics"].update(unseen_classes=UNSEEN, datasets=["fake"], temperature=0.07)
    meta["hyperparameters"]["pretrain"] = {"validation_fraction": 0.25, "seed": 0}  # one seen clip per class
    (source / "model.json").write_text(json.dumps(meta))
    target = tmp_path / "target"
    shutil.copytree(source, target)
    arrays = fake_arrays()
    monkeypatch.setattr("core.training.experiment.load_pooled", lambda datasets: arrays)
    return source, target, arrays


def test_the_fitted_temperatures_are_stored_and_used_for_that_list_size(models, capsys):
    source, target, arrays = models
    assert main(["calibrate", "--model", str(target), "--from", str(source), "--sizes", "3,5", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    stored = json.loads((target / "model.json").read_text())["metrics"]
    assert set(stored["unseen_temperature"]) == {"3", "5"}
    assert stored["unseen_calibration"]["pseudo_unseen_classes"] == UNSEEN
    # the same episodes, made here from the source model's scores, give the same temperature for 3 labels
    model = load_model(source)
    unseen = arrays.restrict_classes(UNSEEN)
    text = label_text(TextEncoder(model.metadata.text_model), SEEN + UNSEEN, model.metadata.text_use_descriptions,
                      tuple(model.metadata.text_templates))
    scores = score(model.head, extract_features(model.encoder, unseen.x), text)
    rows, labels = list_episodes(scores, unseen.labels + len(SEEN), np.arange(5), 3, np.random.default_rng(0))
    assert stored["unseen_temperature"]["3"] == pytest.approx(fit_temperature(rows, labels))
    assert printed["temperatures"]["3"] == pytest.approx(stored["unseen_temperature"]["3"])
    recognizer = Recognizer.load(target, "cpu")
    assert recognizer.temperature_for(3) == pytest.approx(stored["unseen_temperature"]["3"])
    assert recognizer.temperature_for(50) == pytest.approx(stored["unseen_temperature"]["5"]), "held at the end"
    # the weight of examples, fitted on few-shot episodes of the same held-out clips, is stored and loaded
    fusion = stored[METRICS_KEY]
    assert fusion["episodes"] > 0
    # top-1 is what the fit ranks weights by first, and the name alone (scale 0) is among them
    right = {kind: sum(row[kind] * row["queries"] for row in fusion["top1"].values()) for kind in ("text", "fused")}
    assert right["fused"] >= right["text"] - 1e-6
    assert recognizer.fusion == FusionWeights(fusion["scale"], fusion["offset"], fusion["half_weight_at"],
                                              fusion["text_drop"])
    assert printed["example_fusion"]["scale"] == fusion["scale"]
    assert printed["score"] == "SMIE", "no attribute weights anywhere: the plain score is calibrated"
    # the seen-label bias, fitted on the seen validation clips and the held-out ones, and the unsure threshold
    bias = load_seen_bias(stored)
    assert bias is not None and bias.fitted_on["seen_clips"] == len(SEEN) and bias.fitted_on["unseen_clips"] == 12
    assert set(bias.fitted_on["lists"]) == {"3", "5"}, "the full list of five is one of them"
    assert bias.fitted_on["mean_harmonic_after"] >= bias.fitted_on["mean_harmonic_before"]
    assert printed["seen_bias"]["bias"] == bias.bias
    unsure = stored[UNSURE_KEY]
    assert unsure["episodes"] == 2 * 4 * 12 and "rule" in unsure
    assert load_unsure_below(stored) == unsure["threshold"]


def test_a_model_without_held_out_classes_is_refused_by_name(models, capsys):
    source, target, _ = models
    before = (target / "model.json").read_text()
    assert main(["calibrate", "--model", str(source), "--from", str(target), "--sizes", "1"]) == 2
    assert "--sizes '1'" in capsys.readouterr().err
    meta = json.loads((source / "model.json").read_text())
    meta["metrics"]["unseen_classes"] = []
    (source / "model.json").write_text(json.dumps(meta))
    assert main(["calibrate", "--model", str(target), "--from", str(source)]) == 2
    assert "no held-out classes" in capsys.readouterr().err
    assert (target / "model.json").read_text() == before, "nothing written to the target"


def test_with_stored_attribute_weights_the_final_score_is_calibrated(models, capsys):
    source, target, arrays = models
    weights = AttributeWeights({"side": 0.6, "direction": 0.4, "repetition": 0.5})
    store_attribute_weights(target, weights)
    assert main(["calibrate", "--model", str(target), "--from", str(source), "--sizes", "3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["score"] == f"SMIE + attribute term (weights stored in {target})"
    stored = json.loads((target / "model.json").read_text())["metrics"]
    assert stored["attribute_weights"]["weights"] == weights.weights, "the stored weights stay"
    model = load_model(source)
    unseen = arrays.restrict_classes(UNSEEN)
    text = label_text(TextEncoder(model.metadata.text_model), SEEN + UNSEEN, model.metadata.text_use_descriptions,
                      tuple(model.metadata.text_templates))
    smie = score(model.head, extract_features(model.encoder, unseen.x), text)
    final = smie + _terms(weights, parse_labels(SEEN + UNSEEN), np.asarray(unseen.x), None)  # fake data: no raw
    assert np.abs(final - smie).max() > 1e-3, "the term changes the scores"
    rows, labels = list_episodes(final, unseen.labels + len(SEEN), np.arange(5), 3, np.random.default_rng(0))
    assert stored["unseen_temperature"]["3"] == pytest.approx(fit_temperature(rows, labels))
    assert stored["seen_bias"]["fitted_on"]["score"] == printed["score"]
