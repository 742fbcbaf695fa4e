"""Seen-label bias correction: stored as a small dict, read back or refused by name, applied to the labels of a
list that name a trained class (by label key), in units of the list's temperature."""

import numpy as np
import pytest

from core.model.checkpoint import ModelMetadata
from core.model.seen_bias import METRICS_KEY, SeenBias, load_seen_bias, seen_label_mask


def test_a_bias_survives_its_dict_and_a_model_without_one_gets_none():
    bias = SeenBias(1.7, {"model": "runs/second", "mean_harmonic_after": 0.4})
    again = SeenBias.from_dict(bias.to_dict())
    assert again == bias
    assert load_seen_bias({METRICS_KEY: bias.to_dict()}) == bias
    assert load_seen_bias(ModelMetadata("text", 8, metrics={METRICS_KEY: bias.to_dict()})) == bias
    assert load_seen_bias({"temperature": 0.1}) is None, "an older model: no correction"
    assert load_seen_bias(ModelMetadata("text", 8)) is None


@pytest.mark.parametrize(("data", "named"), [
    ("1.5", "expected"), ({"bias": 1.0}, "expected"), ({"format": 2, "bias": 1.0}, "expected"),
    ({"format": 1}, "expected"), ({"format": 1, "bias": "much"}, "not a number"),
    ({"format": 1, "bias": float("inf")}, "not finite"), ({"format": 1, "bias": 1, "fitted_on": [1]}, "fitted_on"),
])
def test_a_damaged_bias_is_refused_naming_the_problem(data, named):
    with pytest.raises(ValueError, match=named):
        SeenBias.from_dict(data)
    with pytest.raises(ValueError, match="seen bias"):
        load_seen_bias({METRICS_KEY: data})


def test_a_label_is_seen_when_its_key_matches_a_trained_class():
    mask = seen_label_mask(["Sit  Down", "sit", "wave the RIGHT hand", " stand up "],
                           ["sit down", "stand up", "wave the right hand"])
    assert mask.tolist() == [True, False, True, True]
    assert seen_label_mask([], ["sit down"]).shape == (0,)


def test_the_bias_comes_off_seen_labels_only_in_temperature_units():
    bias = SeenBias(2.0)
    mask = np.array([True, False, True])
    scores = np.array([[1.0, 1.0, 0.5], [0.0, 0.2, 0.3]], np.float32)
    corrected = bias.apply(scores, mask, 0.25)
    assert corrected.dtype == np.float32, "live float32 scores stay float32"
    np.testing.assert_allclose(corrected, [[0.5, 1.0, 0.0], [-0.5, 0.2, -0.2]], atol=1e-6)
    np.testing.assert_allclose(bias.apply(scores[0], mask, 0.25), corrected[0]), "one window (L,) too"
    np.testing.assert_array_equal(SeenBias(0.0).apply(scores, mask, 0.25), scores)
    with pytest.raises(ValueError, match="do not match"):
        bias.apply(scores, mask[:2], 0.25)


def test_a_label_pooled_by_meaning_with_a_seen_class_is_seen_and_the_other_side_is_not():
    mask = seen_label_mask(["hand waving", "wave one hand", "wave the left hand", "tie shoelaces"],
                           ["high arm wave", "wave the right hand"])
    assert mask.tolist() == [True, True, False, False]
