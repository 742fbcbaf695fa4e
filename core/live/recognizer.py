"""The facade live inference and evaluation use: load a model folder, set labels, encode windows, score them."""

import itertools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.live.example_features import ExampleClip, ExampleFeatureCache
from core.metrics import load_unsure_below, model_temperature
from core.model.attribute_term import (
    agreement_features,
    attribute_term_for_window,
    load_attribute_weights,
    measure_window,
    parse_labels,
    supported_by_examples,
)
from core.model.checkpoint import CheckpointError, load_model
from core.model.example_term import ExampleBank, FusionWeights, example_term, fuse_parts
from core.model.seen_bias import load_seen_bias, seen_label_mask
from core.model.stgcn_fused import fuse_for_inference
from core.model.text import TextEncoder, embed_labels
from core.paths import DEFAULT_MODEL_DIR
from core.readers.labels import LabelSpec, label_key, merge_duplicate_labels
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence

log = logging.getLogger(__name__)

EXAMPLE_WINDOW_SECONDS = 2.0  # the live window (ScorerConfig.window_seconds) examples are cut to
ENCODE_BATCH = 256  # windows per encoder call in classify_sequences; bounds memory on long lists


@dataclass(frozen=True)
class LabelSet:
    """One immutable set of candidate classes, ready to score. Swapping sets is a single reference assignment."""

    names: tuple[str, ...]
    embeddings: np.ndarray  # (L, D) float32 unit-norm text embeddings, read-only
    prepared: object  # the head's per-label precomputation (head.prepare_labels), on the model's device
    version: int  # increases with every set made by the same Recognizer
    examples: ExampleBank | None = None  # features of the labels' recorded examples (None: no label has any)
    example_problems: tuple[str, ...] = ()  # examples that could not be used, each with the reason
    attributes: tuple[dict, ...] = ()  # per label, the attributes its text names (side, direction ...; {}: none)
    seen: np.ndarray | None = None  # (L,) bool: labels naming a class the model trained on (None: none does)

    def example_counts(self) -> dict[str, int]:
        """Label name -> examples in use (labels with none left out)."""
        if self.examples is None:
            return {}
        return {name: int(n) for name, n in zip(self.names, self.examples.num_examples) if n}


def pick_device() -> str:
    """"cuda" when a GPU is usable, else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


class Recognizer:
    """A trained encoder + head with its text model. Thread use: encode/score may run on one thread while
    set_labels runs on another; set_labels calls are serialised."""

    def __init__(self, encoder, head, metadata, device: str = "cpu", fuse: bool = True):
        self.metadata = metadata
        self.device = device
        self.encoder = encoder.to(device).eval()
        # The BatchNorm-folded copy gives the same features (allclose) with fewer kernels per window.
        self.fast_encoder = fuse_for_inference(encoder).to(device) if fuse else self.encoder
        self.head = head.to(device).eval()
        self.preprocess_config = PreprocessConfig(**metadata.preprocess)
        # softmax temperature fitted on the training classes by `smie train`; 1.0 for older models
        self.temperature = float(metadata.metrics.get("temperature", 1.0))
        self.text_encoder = TextEncoder(metadata.text_model)
        self.fusion = FusionWeights.from_metrics(metadata.metrics)
        # side / direction / rotation / posture-order agreement (core.model.attribute_term); None for models
        # calibrated without it. use_attributes=False scores without it (smie run --no-attributes).
        self.attribute_weights = load_attribute_weights(metadata.metrics)
        self.use_attributes = True
        # Labels naming a class the model trained on win clips of other actions; smie calibrate fits how much to
        # take off their score on classes a second model never saw (None: older models, no correction).
        self.seen_bias = load_seen_bias(metadata.metrics)
        self.unsure_below = load_unsure_below(metadata.metrics)  # None: the scorer's default threshold
        self.example_window_seconds = EXAMPLE_WINDOW_SECONDS
        self._example_cache = ExampleFeatureCache()
        self.label_set: LabelSet | None = None  # the newest set made by set_labels
        self._versions = itertools.count(1)
        self._label_lock = threading.Lock()

    @classmethod
    def load(cls, model_dir=DEFAULT_MODEL_DIR, device: str | None = None, fuse: bool = True) -> "Recognizer":
        """Rebuild from a checkpoint folder on `device` (default: CUDA when available, else CPU)."""
        device = device or pick_device()
        loaded = load_model(Path(model_dir), device=device)
        try:
            recognizer = cls(loaded.encoder, loaded.head, loaded.metadata, device, fuse)
        except ValueError as error:  # a stored calibration that does not read
            raise CheckpointError(f"{Path(model_dir)}: {error}") from error
        text_dim = recognizer.text_encoder.dim
        if text_dim != loaded.metadata.text_dim:
            raise CheckpointError(f"{model_dir}: trained with {loaded.metadata.text_dim}-d embeddings of "
                                  f"{loaded.metadata.text_model!r}, but that model now gives {text_dim}-d")
        log.info("loaded %s model from %s on %s (text model %s)", loaded.metadata.head_kind, model_dir, device,
                 loaded.metadata.text_model)
        return recognizer

    def temperature_for(self, num_labels: int) -> float:
        """The fitted softmax temperature for a list of num_labels labels: the one `smie calibrate` fitted on
        classes a second model never saw, where the model has it, else the seen-class one (core.metrics)."""
        return model_temperature(self.metadata.metrics, num_labels)

    def set_labels(self, labels: list[LabelSpec], examples: list[ExampleClip] = ()) -> LabelSet:
        """Embed the labels (duplicates merged, text cache used) and prepare the head for them once. `examples`
        attach to the label of the same name (case and spacing ignored); the others are not used. An example
        that cannot be used is named in the set's example_problems and skipped."""
        labels = merge_duplicate_labels([label if isinstance(label, LabelSpec) else LabelSpec(str(label))
                                         for label in labels])
        with self._label_lock:
            embeddings = embed_labels(self.text_encoder, labels, templates=self.metadata.text_templates,
                                      use_descriptions=self.metadata.text_use_descriptions)
            embeddings.setflags(write=False)
            with torch.inference_mode():
                prepared = self.head.prepare_labels(torch.from_numpy(embeddings.copy()).to(self.device))
            names = tuple(label.name for label in labels)
            bank, problems, measured, whole = self._example_bank(names, examples)
            attributes = tuple(supported_by_examples(named, shown) for named, shown in
                               zip(parse_labels(list(names), [label.description for label in labels]), measured))
            seen = seen_label_mask(list(names), list(self.metadata.seen_classes or []))
            seen = seen if seen.any() else None
            if bank is not None:  # how far each label's name picks out its own examples
                bank = bank.with_text_trust(self._example_text_scores(whole, measured, prepared, attributes, seen),
                                            self.temperature_for(len(names)))
            label_set = LabelSet(names, embeddings, prepared, next(self._versions), bank, tuple(problems),
                                 attributes, seen)
            self.label_set = label_set
        return label_set

    def _example_bank(self, names, examples):
        """(bank, problems, per label the attribute measurements of its usable examples, per label their
        whole-example features (the last window: the whole clip where longer than a window))."""
        index = {label_key(name): i for i, name in enumerate(names)}
        per_label, problems, measured = [[] for _ in names], [], [[] for _ in names]
        for example in examples:
            if label_key(example.label) not in index:
                continue
            try:
                features = self._example_cache.features(example, lambda x: self.encode(x).float().cpu().numpy(),
                                                        self.preprocess_config, self.example_window_seconds)
                shown = self._example_cache.measurement(example, self.preprocess_config)
            except ValueError as error:
                problems.append(str(error))
                continue
            per_label[index[label_key(example.label)]].append(features)
            measured[index[label_key(example.label)]].append(shown)
        for problem in problems:
            log.warning("example not used: %s", problem)
        bank = ExampleBank.from_examples(per_label)
        whole = [[features[-1] for features in label_examples] for label_examples in per_label]
        return (bank if bank.any else None), problems, measured, whole

    def _example_text_scores(self, whole, measured, prepared, attributes, seen) -> np.ndarray:
        """(E, L) text scores (SMIE, attribute term, seen-label bias) of the examples, in the bank's order."""
        rows = [feature for label_examples in whole for feature in label_examples]
        with torch.inference_mode():
            features = torch.as_tensor(np.stack(rows), dtype=torch.float32).to(self.device)
            text = self.head.score_prepared(features, prepared).float().cpu().numpy().astype(np.float64)
        terms = None
        if self.attribute_weights is not None and self.use_attributes and any(attributes):
            shown = [m for label_measured in measured for m in label_measured]
            terms = np.stack([agreement_features(list(attributes), m) for m in shown]) @ self.attribute_weights.vector()
        return self._final_text(text, terms, seen)

    def _final_text(self, text: np.ndarray, attribute_terms, seen: np.ndarray | None) -> np.ndarray:
        """SMIE scores (N, L) plus the attribute terms (N, L, when given), less the seen-label bias on the labels
        `seen` marks: the text score every consumer ranks by."""
        if attribute_terms is not None:
            text = (text + np.asarray(attribute_terms, dtype=text.dtype).reshape(text.shape)).astype(text.dtype)
        if self.seen_bias is not None and seen is not None and seen.any():
            text = self.seen_bias.apply(text, seen, self.temperature_for(text.shape[1]))
        return text

    def encode(self, windows) -> "torch.Tensor":
        """(N, 3, T, V, M) normalised windows (numpy or torch) -> (N, feature_dim) features on the device."""
        with torch.inference_mode():
            x = torch.as_tensor(windows, dtype=torch.float32).to(self.device, non_blocking=True)
            assert x.ndim == 5, f"windows must be (N, C, T, V, M), got shape {tuple(x.shape)}"
            return self.fast_encoder.forward_features(x)

    def score(self, features, label_set: LabelSet, attribute_terms=None) -> np.ndarray:
        """(N, feature_dim) features x L labels -> (N, L) float32 scores (higher = more likely): the text score
        (SMIE plus the attribute term, when given: attribute_parts), plus the example term for labels with
        examples (core.model.example_term)."""
        text, term = self.score_parts(features, label_set, attribute_terms)
        if term is None:
            return text
        return fuse_parts(text, term, self.temperature_for(len(label_set.names))).astype(np.float32)

    def attribute_parts(self, label_set: LabelSet, raw_joints, raw_valid, normalised, enabled: bool = True
                        ) -> tuple[np.ndarray | None, dict[str, str]]:
        """For one window: the (L,) attribute term of the set's labels (None when the model has no weights, the
        term is switched off or no label names an attribute) and what was measured, {attribute: value}, for
        display. raw_joints (T, M, 25, 3) / raw_valid (T, M, 25): the window as read; normalised (3, T', 25, M').
        enabled=False (or use_attributes False): no term; the measurement still comes back."""
        weights = self.attribute_weights if enabled and self.use_attributes else None
        named = label_set.attributes if any(label_set.attributes) else ()
        term, described = attribute_term_for_window(weights if named else None, list(named), raw_joints,
                                                    raw_valid, normalised, self.preprocess_config)
        return (term if weights is not None and named else None), described

    def score_parts(self, features, label_set: LabelSet, attribute_terms=None
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, L) text scores (SMIE, plus attribute_terms (N, L) when given, less the model's seen-label bias on
        labels naming one of its training classes) and (N, L) example logits (None when no label has examples)."""
        with torch.inference_mode():
            features = torch.as_tensor(features, dtype=torch.float32).to(self.device)
            if not label_set.names:
                return np.zeros((features.shape[0], 0), dtype=np.float32), None
            text = self.head.score_prepared(features, label_set.prepared).float().cpu().numpy()
        text = self._final_text(text, attribute_terms, label_set.seen)
        if label_set.examples is None:
            return text, None
        bank = label_set.examples
        similarity = bank.similarity(features.float().cpu().numpy())
        temperature = self.temperature_for(len(label_set.names))
        return text, example_term(similarity, bank.num_examples, self.fusion, text / temperature, bank.text_trust)

    def classify_sequences(self, sequences, label_set: LabelSet | None = None) -> np.ndarray:
        """Raw sequences [(joints (T, M, 25, 3), valid (T, M, 25)), ...] -> (N, L) scores against `label_set`
        (default: the newest set_labels). Each is normalised with the checkpoint's preprocessing config and scored
        as a live window is, attribute term included."""
        label_set = label_set or self.label_set
        assert label_set is not None, "call set_labels() before classify_sequences()"
        windows = np.stack([normalize_sequence(joints, valid, self.preprocess_config, source=f"sequence {i}")
                            for i, (joints, valid) in enumerate(sequences)]) if sequences else None
        if windows is None:
            return np.zeros((0, len(label_set.names)), dtype=np.float32)
        terms = self.attribute_terms([joints for joints, _ in sequences], [valid for _, valid in sequences],
                                     windows, label_set)
        scores = [self.score(self.encode(windows[start:start + ENCODE_BATCH]), label_set,
                             None if terms is None else terms[start:start + ENCODE_BATCH])
                  for start in range(0, len(windows), ENCODE_BATCH)]
        return np.concatenate(scores)

    def attribute_terms(self, raw_joints: list, raw_valid: list, windows, label_set: LabelSet
                        ) -> np.ndarray | None:
        """(N, L) attribute terms of N windows (raw joints and validity as read, normalised windows), or None
        when the set gets no term."""
        agreements = self.attribute_agreements(raw_joints, raw_valid, windows, label_set)
        return None if agreements is None else agreements @ self.attribute_weights.vector()

    def attribute_agreements(self, raw_joints: list, raw_valid: list, windows, label_set: LabelSet
                             ) -> np.ndarray | None:
        """(N, L, K) agreement of N windows with each label's attributes (core.model.attribute_term, K =
        len(WEIGHTED)): the attribute term is this times the weights. None when the set gets no term."""
        if self.attribute_weights is None or not self.use_attributes or not any(label_set.attributes):
            return None
        named = list(label_set.attributes)
        return np.stack([agreement_features(named, measure_window(joints, valid, window, self.preprocess_config))
                         for joints, valid, window in zip(raw_joints, raw_valid, windows)])
