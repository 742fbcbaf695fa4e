"""The attribute term: centred agreement, zero for labels naming nothing, the live entry point, and the weights'
storage in a model folder (older models load without them)."""

import shutil

import numpy as np
import pytest
from io_fixtures import waving_clip

from core.model.attribute_term import (
    METRICS_KEY,
    WEIGHTED,
    AttributeWeights,
    agreement_features,
    attribute_term,
    attribute_term_for_window,
    describe_phrase,
    load_attribute_weights,
    parse_labels,
    store_attribute_weights,
)
from core.model.checkpoint import read_metadata
from core.paths import DEFAULT_MODEL_DIR
from core.skeleton.attributes import measure_attributes
from core.skeleton.preprocess import normalize_sequence

WEIGHTS = AttributeWeights({name: 0.5 for name in WEIGHTED})


def _waving():
    clip = waving_clip(seconds=3.0)
    return clip.joints, clip.valid, normalize_sequence(clip.joints, clip.valid)


def test_labels_naming_nothing_get_zero_and_sides_split_the_pair():
    joints, valid, x = _waving()
    names = ["wave the right hand", "wave the left hand", "clapping", "drink water", "wave both hands"]
    term, described = attribute_term_for_window(WEIGHTS, parse_labels(names), joints, valid, x)
    assert term.shape == (5,)
    assert term[2] == 0 and term[3] == 0
    assert term[0] > term[1] and term[0] > term[4]
    side_only, _ = attribute_term_for_window(AttributeWeights({"side": 1.0}), parse_labels(names), joints, valid, x)
    assert side_only[0] > 0 > side_only[1]
    assert described["side"] == "right" and describe_phrase(described).startswith("right hand")


def test_agreement_is_centred_over_the_measured_values():
    _, _, x = _waving()
    measured = measure_attributes(x)
    values = ["left", "right", "both"]
    features = agreement_features([{"side": v, "limb": "arm"} for v in values], measured)
    side = WEIGHTED.index("side")
    assert features[:, side].sum() == pytest.approx(0.0, abs=1e-9)
    assert features[1, side] > 0  # the right hand moves
    assert agreement_features([{}], measured).tolist() == [[0.0] * len(WEIGHTED)]


def test_without_weights_the_term_is_zero_but_the_display_is_measured():
    joints, valid, x = _waving()
    term, described = attribute_term_for_window(None, parse_labels(["wave the right hand"]), joints, valid, x)
    assert term.tolist() == [0.0] and described
    term, _ = attribute_term_for_window(WEIGHTS, parse_labels(["walk turning left"]), None, None, x)
    assert term.tolist() == [0.0]  # turning needs the raw window: not measured, no term


def test_weights_round_trip_and_refuse_bad_values():
    data = WEIGHTS.to_dict()
    assert AttributeWeights.from_dict(data).weights == WEIGHTS.weights
    assert AttributeWeights.from_dict({**data, "weights": {**data["weights"], "future": 1.0}}).weights == WEIGHTS.weights
    for bad in ({"format": 2, "weights": {}}, {"format": 1, "weights": {"side": -1}},
                {"format": 1, "weights": {"side": float("nan")}}, [1, 2]):
        with pytest.raises(ValueError):
            AttributeWeights.from_dict(bad)
    scaled = attribute_term(AttributeWeights({"side": 1.0}), [{"side": "right"}, {"side": "left"}],
                            {"side.arm": {"left": 0.1, "right": 0.8, "both": 0.1}, "limb": {"arm": 1.0}})
    assert scaled[0] - scaled[1] == pytest.approx(np.log(8.0))


def test_weights_are_stored_in_the_model_and_older_models_have_none(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model, ignore=shutil.ignore_patterns("*.safetensors", "confusion"))
    metadata = read_metadata(model)
    metadata.metrics.pop(METRICS_KEY, None)
    assert load_attribute_weights({k: v for k, v in metadata.metrics.items() if k != METRICS_KEY}) is None
    store_attribute_weights(model, WEIGHTS)
    stored = load_attribute_weights(read_metadata(model))
    assert stored.weights == WEIGHTS.weights
    assert read_metadata(model).metrics["temperature"] == metadata.metrics["temperature"]  # the rest stays


def test_a_taught_label_keeps_only_the_attributes_its_examples_show():
    from core.model.attribute_term import measure_window, supported_by_examples
    from core.training.augment import mirror

    joints, valid, x = _waving()  # the right hand waves
    right = measure_window(joints, valid, x)
    left = measure_window(None, None, mirror(x))
    named = {"side": "left", "limb": "arm"}
    assert supported_by_examples(named, []) == named  # no examples: the words stand
    assert supported_by_examples(named, [left, left]) == named
    assert supported_by_examples(named, [right, right]) == {"limb": "arm"}  # recorded with the other hand
    assert supported_by_examples({}, [right]) == {}
