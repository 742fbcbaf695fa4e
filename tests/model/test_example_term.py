"""Examples scored beside text on one scale: prototypes, similarity, the centred term and the evidence names."""

import numpy as np
import pytest

from core.model.example_term import METRICS_KEY, ExampleBank, FusionWeights, evidence, example_term, fuse_parts


def test_similarity_is_the_cosine_to_the_mean_of_each_labels_example_prototypes():
    first = np.array([[1.0, 0.0], [1.0, 0.0]])  # two windows of one example of label 0
    second = np.array([[0.0, 1.0]])  # one example of label 0
    bank = ExampleBank.from_examples([[first, second], [], [np.array([[1.0, 1.0]])]])
    assert bank.num_examples.tolist() == [2, 0, 1]
    similarity = bank.similarity(np.array([[2.0, 0.0]]))
    # label 0: prototypes (1, 0) and (0, 1), mean direction (1, 1)/sqrt 2
    assert similarity[0] == pytest.approx([np.sqrt(0.5), 0.0, np.sqrt(0.5)])


def test_a_query_is_compared_with_the_whole_examples_and_with_their_windows_and_the_closer_counts():
    # one long example: two windows of its parts, then the whole example last
    example = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    bank = ExampleBank.from_examples([[example]])
    windows_mean = np.array([1.0, 1.0, 1.0]) / np.sqrt(3)
    assert bank.prototypes[0] == pytest.approx(windows_mean) and bank.wholes[0] == pytest.approx([0, 0, 1.0])
    whole_like, part_like = np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 1.0, 0.0]])
    assert bank.similarity(whole_like)[0, 0] == pytest.approx(1.0)  # the whole example's cosine
    assert bank.similarity(part_like)[0, 0] == pytest.approx(windows_mean @ part_like[0] / np.sqrt(2))


def test_a_label_without_examples_keeps_its_text_score_and_weight_grows_with_examples():
    weights = FusionWeights(scale=10.0, offset=0.5, half_weight_at=1.0)
    assert weights.weight(np.array([0, 1, 3])) == pytest.approx([0.0, 0.5, 0.75])
    term = example_term(np.array([[0.9, 0.9, 0.2]]), np.array([1, 0, 3]), weights, np.array([[1.0, 2.0, 3.0]]))
    assert term[0] == pytest.approx([0.5 * 10 * 0.4, 0.0, 0.75 * 10 * -0.3])
    text = np.array([[1.0, 2.0, 3.0]])
    assert fuse_parts(text, term, temperature=2.0)[0] == pytest.approx(text[0] + 2.0 * term[0])


def test_evidence_names_what_raised_each_label():
    kinds = evidence(np.array([3.0, 3.0, 0.0, 1.0]), np.array([0.0, 2.0, 5.0, -1.0]), np.array([0, 2, 2, 1]), 1.0)
    assert kinds == ["text", "both", "examples", "text"]  # the last: both push it down, its examples more


def test_weights_round_trip_through_model_metrics_and_older_models_get_the_defaults():
    weights = FusionWeights(28.0, 0.86, 0.5)
    assert FusionWeights.from_metrics({METRICS_KEY: {**weights.to_dict(), "nll": {}}}) == weights
    assert FusionWeights.from_metrics({}) == FusionWeights()


def test_a_name_that_does_not_pick_out_its_own_examples_gives_way_to_them():
    from core.model.example_term import text_sharpness, text_trust

    # text ranks label 0 first for both its examples and for label 1's one example; label 2 has none
    scores = np.array([[2.0, 0.0, 0.0], [1.0, 0.5, 0.0], [0.9, 0.1, 0.0]])
    labels = np.array([0, 0, 1])
    sharpness = text_sharpness(scores / 2.0, labels)
    # agreement: label 0 has 2 of its own right and takes 1 more (2 / 3); label 1 none of its own
    assert text_trust(scores, labels, 3, temperature=2.0) == pytest.approx([2 / 3 * sharpness, 0.0, 1.0])
    weights = FusionWeights(scale=10.0, offset=0.5, half_weight_at=1.0, text_drop=0.5)
    text = np.array([[3.0, 3.0, 3.0]])
    term = example_term(np.array([[0.5, 0.5, 0.0]]), np.array([1, 1, 0]), weights, text, np.array([1.0, 0.0, 1.0]))
    # at no similarity evidence a trusted name loses text_drop x weight of its logit, an untrusted one all of it
    assert term[0].tolist() == pytest.approx([-0.5 * 0.5 * 3.0, -3.0, 0.0])


def test_text_sharpness_keeps_a_text_the_recordings_bear_out_and_turns_down_a_surely_wrong_one():
    from core.model.example_term import text_sharpness

    labels = np.array([0, 1, 2])
    right = 4.0 * np.eye(3)
    assert text_sharpness(right, labels) == 1.0
    assert text_sharpness(right[[1, 2, 0]], labels) == 0.0  # sure of the wrong label on every example
    mixed = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [4.0, 0.0, 0.0]])  # two right, one surely wrong
    assert 0.0 < text_sharpness(mixed, labels) < 1.0