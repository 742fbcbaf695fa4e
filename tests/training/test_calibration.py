"""Temperature for unseen labels: label lists drawn around each clip, one temperature fitted per list size."""

import numpy as np
import pytest

from core.metrics import model_temperature
from core.training.calibration import fit_unseen_temperatures, list_episodes


def test_a_list_holds_the_true_class_once_among_distinct_others():
    rng = np.random.default_rng(0)
    scores = np.arange(6 * 8, dtype=float).reshape(6, 8)
    truth = np.array([0, 1, 2, 3, 4, 5])
    rows, labels = list_episodes(scores, truth, np.arange(8), 4, rng, per_clip=3)
    assert rows.shape == (18, 4) and labels.shape == (18,)
    for row, label, clip in zip(rows, labels, np.repeat(np.arange(6), 3)):
        assert row[label] == scores[clip, truth[clip]], "the truth is where the label says"
        assert len(set(row)) == 4, "four distinct classes"
    rows, _ = list_episodes(scores, truth, np.arange(8), 60, rng, per_clip=1)
    assert rows.shape[1] == 8, "a list is never longer than the classes there are"


def test_the_temperature_that_made_the_answers_is_recovered_per_list_size():
    rng = np.random.default_rng(1)
    true_temperature, classes, clips = 0.5, 30, 600
    logits = rng.normal(0, 1, (clips, classes))
    probs = np.exp(logits / true_temperature)
    probs /= probs.sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(classes, p=p) for p in probs])  # answers drawn as the temperature says
    fitted = fit_unseen_temperatures(logits, truth, classes, old_temperature=0.05, sizes=(3, 10, 30))
    for size in (3, 10, 30):
        assert fitted.temperatures[size] == pytest.approx(true_temperature, rel=0.25), size
        assert fitted.after[size]["nll"] < fitted.before[size]["nll"], "the fitted one beats the too-sharp one"


def test_the_temperature_for_a_list_size_is_interpolated_and_older_models_keep_theirs():
    table = {"3": 0.2, "30": 0.8}
    assert model_temperature({"temperature": 0.1, "unseen_temperature": table}, 3) == pytest.approx(0.2)
    assert model_temperature({"unseen_temperature": table}, 2) == pytest.approx(0.2), "held at the ends"
    assert model_temperature({"unseen_temperature": table}, 300) == pytest.approx(0.8)
    assert model_temperature({"unseen_temperature": table}, int(np.sqrt(90))) == pytest.approx(
        0.2 + 0.6 * np.log(9 / 3) / np.log(10), rel=1e-6)
    assert model_temperature({"temperature": 0.1}, 5) == 0.1 and model_temperature({}, 5) == 1.0
