import numpy as np
import pytest

from core.model.attribute_term import agreement_features
from core.training.attribute_head import (
    analytic_inputs,
    fit_attribute_head,
    join_measurements,
    training_targets,
)

SIDES = ("left", "right", "both")


def side_rows(count: int, seed: int):
    """Features whose first column encodes the side linearly (-1 left, 0 both, +1 right) under noise, 8 columns
    of pure noise beside it; targets as training_targets makes them."""
    rng = np.random.default_rng(seed)
    side = rng.integers(0, 3, count)
    code = np.array([-1.0, 1.0, 0.0])[side]
    features = np.hstack([code[:, None] + 0.2 * rng.normal(size=(count, 1)), rng.normal(size=(count, 8))])
    return features, [{"side.arm": SIDES[s]} for s in side], side


def test_head_recovers_a_linearly_encoded_side_on_held_out_rows():
    features, targets, _ = side_rows(300, seed=0)
    head = fit_attribute_head(features, targets, {"side.arm": SIDES})
    test_features, _, truth = side_rows(200, seed=1)
    predicted = head.predict(test_features)
    chosen = np.array([SIDES.index(max(p["side.arm"], key=p["side.arm"].get)) for p in predicted])
    assert (chosen == truth).mean() > 0.9  # chance is 1/3
    assert set(predicted[0]) == {"side.arm"}
    assert abs(sum(predicted[0]["side.arm"].values()) - 1) < 1e-9


def test_noise_features_give_no_better_than_chance():
    features, targets, _ = side_rows(300, seed=0)
    test_features, _, truth = side_rows(300, seed=1)
    head = fit_attribute_head(features[:, 1:], targets, {"side.arm": SIDES})
    predicted = head.predict(test_features[:, 1:])
    chosen = np.array([SIDES.index(max(p["side.arm"], key=p["side.arm"].get)) for p in predicted])
    assert (chosen == truth).mean() < 0.5


def test_no_labelled_rows_is_a_clear_error():
    with pytest.raises(ValueError, match="no row has a label naming an attribute"):
        fit_attribute_head(np.zeros((10, 3)), [{} for _ in range(10)])
    one_value = [{"side.arm": "right"} for _ in range(10)]
    with pytest.raises(ValueError, match="two values"):
        fit_attribute_head(np.random.default_rng(0).normal(size=(10, 3)), one_value)
    with pytest.raises(ValueError, match="do not match"):
        fit_attribute_head(np.zeros((4, 3)), one_value)


def test_targets_follow_the_key_the_term_reads():
    measured = [{"side.arm": {"left": 0.2, "right": 0.7, "both": 0.1}, "side.leg": {"left": 0.3, "right": 0.3,
                                                                                     "both": 0.4},
                 "limb": {"arm": 0.1, "leg": 0.8, "body": 0.1}}]
    parsed = [{"side": "left", "limb": "leg"}, {"side": "right"}]
    assert training_targets(parsed, np.array([0]), measured) == [{"side.leg": "left", "limb": "leg"}]
    assert training_targets(parsed, np.array([1]), measured) == [{"side.arm": "right"}]
    assert analytic_inputs(measured, ["limb"]).shape == (1, 3)


def test_joined_measurement_feeds_the_agreement_term():
    analytic = {"side.arm": {"left": 0.6, "right": 0.3, "both": 0.1}, "limb": {"arm": 0.9, "leg": 0.05, "body": 0.05}}
    learned = {"side.arm": {"left": 0.1, "right": 0.8, "both": 0.1}}
    replaced = join_measurements(analytic, learned)
    combined = join_measurements(analytic, learned, "combine")
    assert replaced["side.arm"] == learned["side.arm"] and replaced["limb"] == analytic["limb"]
    assert abs(sum(combined["side.arm"].values()) - 1) < 1e-9
    assert analytic["side.arm"]["right"] < combined["side.arm"]["right"] < learned["side.arm"]["right"]
    labels = [{"side": "right", "limb": "arm"}, {"side": "left", "limb": "arm"}]
    side = list(agreement_features(labels, replaced)[:, 0])
    assert side[0] > 0 > side[1]
    with pytest.raises(ValueError, match="replace"):
        join_measurements(analytic, learned, "average")
