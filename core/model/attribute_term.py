"""The attribute term: a label's score = SMIE score + the weighted agreement between the attributes its text names
(core.readers.label_attributes) and those measured on the skeleton (core.skeleton.attributes).

Agreement of one attribute = log p(named value) - mean over the measured values of log p (probabilities floored
at core.skeleton.attributes.FLOOR): positive when the skeleton shows the named value, negative when it shows
another, zero on average over the values. A label naming no attribute gets exactly 0, so in a mixed list it is
neither favoured nor penalised; two labels that differ only in "left" / "right" differ by the weight times the
measured log-odds. Weights are in score units and are fitted on pseudo-unseen classes
(core.training.attribute_fit), never on the classes evaluated; a model stores them in its metrics under
METRICS_KEY (core.model.checkpoint.update_metrics), and a model without them gets no term. numpy only."""

from dataclasses import dataclass, field

import numpy as np

from core.readers.label_attributes import ATTRIBUTES, parse_label_attributes
from core.skeleton.attributes import (
    FLOOR,
    PAIRS,
    describe_measured,
    dominant_effector,
    global_window,
    measure_attributes,
)
from core.skeleton.preprocess import PreprocessConfig

METRICS_KEY = "attribute_weights"
WEIGHTED = tuple(ATTRIBUTES)  # one weight per attribute of the vocabulary, in this order
FORMAT = 1


@dataclass
class AttributeWeights:
    """Weight per attribute (score units per unit of agreement) and what they were fitted on."""

    weights: dict[str, float]
    fitted_on: dict = field(default_factory=dict)
    format: int = FORMAT

    def vector(self) -> np.ndarray:
        return np.array([float(self.weights.get(name, 0.0)) for name in WEIGHTED])

    def to_dict(self) -> dict:
        return {"format": self.format, "weights": {k: float(v) for k, v in self.weights.items()},
                "fitted_on": self.fitted_on}

    @classmethod
    def from_dict(cls, data: dict) -> "AttributeWeights":
        """ValueError naming the problem for anything but a format-1 dict of non-negative finite weights."""
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("weights"), dict):
            raise ValueError(f"attribute weights: expected {{'format': {FORMAT}, 'weights': {{...}}}}, got {data!r:.80}")
        weights = {}
        for name, value in data["weights"].items():
            if name not in ATTRIBUTES:
                continue  # an attribute a newer vocabulary has: ignored here
            value = float(value)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"attribute weights: {name} = {value} is not a finite non-negative number")
            weights[name] = value
        return cls(weights, dict(data.get("fitted_on") or {}))


def load_attribute_weights(metadata) -> AttributeWeights | None:
    """The weights stored in a model (a ModelMetadata or its metrics dict), or None for models made before the
    term existed or calibrated without it."""
    metrics = metadata if isinstance(metadata, dict) else getattr(metadata, "metrics", {}) or {}
    stored = metrics.get(METRICS_KEY)
    return None if stored is None else AttributeWeights.from_dict(stored)


def store_attribute_weights(model_dir, weights: AttributeWeights):
    """Write the weights into a model folder's model.json (metrics[METRICS_KEY]); the tensors stay."""
    # torch imported on use (through the checkpoint module): this module stays light
    from core.model.checkpoint import update_metrics

    return update_metrics(model_dir, {METRICS_KEY: weights.to_dict()})


def measured_key(attribute: str, named: dict, measured: dict) -> str | None:
    """Which measurement an attribute of a label is compared with: the side of the limb it names (arm when it
    names none or the whole body), the direction / rotation / repetition of its own hand or foot (its limb and
    side, else the measured acting ones), the rest by name. None when not measured on this window."""
    if attribute == "side":
        key = f"side.{named.get('limb') if named.get('limb') in PAIRS else 'arm'}"
    elif attribute in ("direction", "rotation", "repetition"):
        key = f"{attribute}.{dominant_effector(measured, named.get('limb'), named.get('side'))}"
    else:
        key = attribute
    return key if key in measured else None


def agreement_features(label_attributes: list[dict], measured: dict) -> np.ndarray:
    """(L, K) agreement of each label's named attributes with the measurement (K = len(WEIGHTED), 0 where a
    label names nothing of that attribute or it is not measured)."""
    features = np.zeros((len(label_attributes), len(WEIGHTED)))
    for row, named in enumerate(label_attributes):
        for column, attribute in enumerate(WEIGHTED):
            value = named.get(attribute)
            key = measured_key(attribute, named, measured) if value is not None else None
            if key is None or value not in measured[key]:
                continue
            logs = np.log(np.maximum(np.array(list(measured[key].values())), FLOOR))
            features[row, column] = np.log(max(measured[key][value], FLOOR)) - logs.mean()
    return features


def supported_columns(agreements: np.ndarray) -> np.ndarray:
    """(E, ..., K) agreement of a label's E examples with what it names -> (..., K) bool: the attributes its
    examples show (mean agreement not below 0). A recorded example outranks the words: a label named "push right"
    whose examples push to the left keeps no direction term."""
    return np.asarray(agreements).mean(axis=0) >= 0


def supported_by_examples(named: dict, example_measurements: list[dict]) -> dict:
    """The attributes of `named` (parse_label_attributes) that the label's examples show (supported_columns on
    each example's measure_attributes); all of them without examples. Limb and side stay when kept: the others'
    measurement keys depend on them."""
    if not named or not example_measurements:
        return named
    keep = supported_columns(np.stack([agreement_features([named], m)[0] for m in example_measurements]))
    dropped = {attribute for attribute, kept in zip(WEIGHTED, keep) if not kept}
    return {attribute: value for attribute, value in named.items() if attribute not in dropped}


def attribute_term(weights: AttributeWeights, label_attributes: list[dict], measured: dict) -> np.ndarray:
    """(L,) term to add to the labels' SMIE scores for one window."""
    return agreement_features(label_attributes, measured) @ weights.vector()


def parse_labels(names: list[str], descriptions: list | None = None) -> list[dict]:
    """parse_label_attributes of each label (descriptions, when given, fill in side, limb and rotation)."""
    descriptions = descriptions or [None] * len(names)
    return [parse_label_attributes(name, description) for name, description in zip(names, descriptions)]


def measure_window(raw_joints, raw_valid, normalised, preprocess: PreprocessConfig | dict | None = None) -> dict:
    """measure_attributes of a window from its normalised joints and, when given, its joints as read (the global
    window: travel, turning, height)."""
    if isinstance(preprocess, dict):
        preprocess = PreprocessConfig(**preprocess)
    raw = None
    if raw_joints is not None and raw_valid is not None:
        raw = global_window(raw_joints, raw_valid, preprocess or PreprocessConfig())
    return measure_attributes(normalised, raw)


def attribute_term_for_window(weights: AttributeWeights | None, label_attributes: list[dict], raw_joints,
                              raw_valid, normalised, preprocess: PreprocessConfig | dict | None = None,
                              ) -> tuple[np.ndarray, dict[str, str]]:
    """The live entry point: (term (L,), measured {attribute: value} for display) for one window.

    weights: the model's (load_attribute_weights), None for no term (zeros come back, the display still does);
    label_attributes: parse_labels of the list, once per list; raw_joints (T, M, 25, 3) and raw_valid (T, M, 25):
    the window as read (camera axes, metres), before normalisation; normalised: the same window as the encoder
    gets it, (3, T', 25, M'); preprocess: the model's PreprocessConfig (or its dict), for the global window's
    length and joint filling. Without raw joints (None), travel and turning are not measured."""
    measured = measure_window(raw_joints, raw_valid, normalised, preprocess)
    described = describe_measured(measured)
    if weights is None or not label_attributes:
        return np.zeros(len(label_attributes)), described
    return attribute_term(weights, label_attributes, measured), described


def describe_phrase(described: dict[str, str]) -> str:
    """A short text of describe_measured's output for a display: "right hand, moving left"."""
    parts = []
    limb = described.get("limb")
    if limb in ("arm", "leg"):
        noun = {"arm": "hand", "leg": "foot"}[limb]
        side = described.get("side")
        parts.append({"both": f"both {noun}s".replace("foots", "feet")}.get(side, f"{side} {noun}" if side else noun))
    elif limb == "body":
        parts.append("whole body")
    if "direction" in described:
        parts.append(f"moving {described['direction']}")
    for name, text in (("rotation", "turning {}"), ("travel", "travelling {}"), ("turn", "turning {}"),
                       ("lean", "leaning {}"), ("posture", "{}")):
        if name in described:
            parts.append(text.format(described[name].replace("_", " ")))
    return ", ".join(parts)
