"""Text embedding with the real offline MiniLM model: dimension, norms, semantics, cache, labels, warnings."""

import logging

import numpy as np
import pytest

from core.model.text import (
    DEFAULT_TEXT_MODEL,
    PROMPT_TEMPLATES,
    TextEncoder,
    TextModelError,
    embed_labels,
)
from core.readers.labels import LabelSpec, merge_duplicate_labels


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    """A private embedding cache for this module, so tests neither read nor pollute the user's cache."""
    root = tmp_path_factory.mktemp("smie_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMIE_CACHE", str(root))
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield root


@pytest.fixture(scope="module")
def encoder(cache_root):
    return TextEncoder()


def test_default_model_is_384_d_unit_norm_float32(encoder):
    vectors = encoder.embed(["a person drinks water", "a person jumps up", "a person drinks water"])
    assert encoder.name == DEFAULT_TEXT_MODEL and encoder.dim == 384
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_similar_sentences_are_closer_than_unrelated_ones(encoder):
    drink, sip, kick = encoder.embed(["a person drinks a glass of water", "someone sipping water from a cup",
                                      "a man kicks a football"])
    assert drink @ sip > drink @ kick + 0.2, (drink @ sip, drink @ kick)


def test_empty_list_and_single_string(encoder):
    assert encoder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.embed("not a list")


def test_cache_hit_never_loads_the_model(encoder, cache_root, monkeypatch):
    texts = ["clap both hands", "raise the left arm over the head"]
    first = encoder.embed(texts)
    cache_files = list((cache_root / "text_embeddings").glob("*.npz"))
    assert len(cache_files) == 1, cache_files
    assert not list((cache_root / "text_embeddings").glob("*.tmp")), "atomic write left a temporary file"

    import sentence_transformers

    def refuse(*args, **kwargs):
        raise AssertionError("SentenceTransformer was instantiated on a cache hit")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", refuse)
    fresh = TextEncoder()  # a new instance reads the cache file from disk
    again = fresh.embed(texts[::-1])
    assert fresh._model is None
    assert fresh.dim == 384
    np.testing.assert_array_equal(again, first[::-1])
    with pytest.raises(TextModelError, match="cache hit"):  # a miss does reach the constructor
        fresh.embed(["a text nobody embedded before"])


def test_unreadable_cache_is_rebuilt(encoder, cache_root, caplog):
    cache_file = next((cache_root / "text_embeddings").glob("*.npz"))
    cache_file.write_bytes(b"not a zip file")
    fresh = TextEncoder()
    fresh._model = encoder._model  # reuse the loaded model; the point here is the cache file
    with caplog.at_level(logging.WARNING, logger="core.model.text_cache"):
        vector = fresh.embed(["hop on one foot"])
    assert "unreadable text cache" in caplog.text
    np.testing.assert_allclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    assert TextEncoder()._cache.lookup(["hop on one foot"]), "the rebuilt cache was not written"


def test_long_text_is_truncated_with_a_warning(encoder, caplog):
    long_text = "the person slowly lifts the right arm and " * 60
    with caplog.at_level(logging.WARNING, logger="core.model.text"):
        vector = encoder.embed([long_text])
    assert vector.shape == (1, 384)
    assert "exceeds" in caplog.text and "truncated" in caplog.text


def test_duplicate_labels_merge_in_order_case_and_space_insensitively():
    labels = [LabelSpec("Wave"), LabelSpec("sit  down"), LabelSpec(" wave ", "the right hand swings side to side"),
              LabelSpec("Sit Down", "bend the knees"), LabelSpec("jump")]
    merged = merge_duplicate_labels(labels)
    assert [label.name for label in merged] == ["Wave", "sit down", "jump"]
    assert merged[0].description == "the right hand swings side to side"
    assert merged[1].description == "bend the knees"
    assert labels[0].description is None, "merging must not modify the caller's labels"


def test_label_spec_rejects_empty_names():
    with pytest.raises(ValueError, match="non-empty"):
        LabelSpec("   ")


def test_embed_labels_prompt_ensemble_and_descriptions(encoder):
    labels = [LabelSpec("drink water", "the right hand lifts a cup to the mouth and lowers it"), LabelSpec("jump up")]
    plain = embed_labels(encoder, labels, use_descriptions=False)
    np.testing.assert_allclose(plain, encoder.embed(["drink water", "jump up"]), atol=1e-6)

    ensemble = embed_labels(encoder, labels, templates=PROMPT_TEMPLATES, use_descriptions=False)
    prompts = encoder.embed([t.format(label="jump up") for t in PROMPT_TEMPLATES]).mean(axis=0)
    np.testing.assert_allclose(ensemble[1], prompts / np.linalg.norm(prompts), atol=1e-6)

    described = embed_labels(encoder, labels, use_descriptions=True)
    assert described.shape == (2, 384) and described.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(described, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(described[0], plain[0]), "the description did not change the embedding"
    np.testing.assert_allclose(described[1], plain[1], atol=1e-6)  # no description: name only

    with pytest.raises(ValueError, match="placeholder"):
        embed_labels(encoder, labels, templates=("a person",))


def test_unavailable_model_is_a_clear_error(cache_root):
    with pytest.raises(TextModelError, match="not available offline"):
        TextEncoder("no-such-user/no-such-sentence-model").embed(["wave"])
