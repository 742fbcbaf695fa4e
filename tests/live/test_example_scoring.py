"""Labels with recorded examples, scored live: examples attach by name, fuse with the text score, carry their
evidence, and change atomically with the label set."""

import numpy as np
import pytest
from io_fixtures import waving_clip

from core.commands.bench_pipeline import save_random_model
from core.live.clip_windows import live_windows
from core.live.example_features import ExampleClip, example_windows
from core.live.recognizer import Recognizer
from core.live.scorer import LiveScorer
from core.skeleton.preprocess import normalize_sequence


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    return Recognizer.load(save_random_model(tmp_path_factory.mktemp("model")), "cpu")


def example(label, clip, key):
    return ExampleClip(key, label, clip.joints, clip.valid, np.arange(clip.num_frames) / clip.fps)


def test_example_windows_are_the_live_windows_plus_the_whole_clip(recognizer):
    clip = waving_clip(4.0)
    windows = example_windows(example("wave", clip, "a"), recognizer.preprocess_config, 2.0, 0.5)
    # 120 frames over 3.97 s: windows end at 2.0, 2.5, 3.0 and 3.5 s, and the whole clip
    assert windows.shape == (4 + 1, 3, recognizer.preprocess_config.num_frames, 25, 2)
    with pytest.raises(ValueError, match="example empty: no two frames"):
        empty = ExampleClip("empty", "wave", clip.joints[:5], np.zeros_like(clip.valid[:5]), np.arange(5) / 30)
        example_windows(empty, recognizer.preprocess_config, 2.0)


def test_examples_attach_by_name_and_raise_their_label(recognizer):
    labels = ["wave hand", "clap", "jump"]
    plain = recognizer.set_labels(labels)
    assert plain.examples is None and plain.example_counts() == {}
    examples = [example("Wave  hand", waving_clip(3.0, seed), f"w{seed}") for seed in range(2)]
    examples.append(example("not listed", waving_clip(3.0), "x"))
    with_examples = recognizer.set_labels(labels, examples)
    assert with_examples.example_counts() == {"wave hand": 2}
    trust = with_examples.examples.text_trust  # how far each label's name agrees with its examples
    assert trust.shape == (3,) and 0 <= trust[0] <= 1 and trust[1:].tolist() == [1.0, 1.0]
    query = waving_clip(2.0, seed=5)
    windows = live_windows(query.joints, query.valid, np.arange(query.num_frames) / 30, 2.0, 0.2,
                           recognizer.preprocess_config.num_frames)
    features = recognizer.encode(np.stack([normalize_sequence(window.joints, window.valid,
                                                              recognizer.preprocess_config) for window in windows]))
    text, term = recognizer.score_parts(features, with_examples)
    assert term.shape == text.shape and (term[:, 1:] == 0).all()  # labels without examples: text only
    fused = recognizer.score(features, with_examples)
    expected = text + recognizer.temperature_for(3) * term
    assert fused == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert (fused[:, 0] - text[:, 0] > 0).all()  # a waving window is like its waving examples


def test_bad_example_is_reported_and_the_label_set_still_made(recognizer):
    clip = waving_clip(3.0)
    broken = ExampleClip("broken", "clap", clip.joints, np.zeros_like(clip.valid), np.arange(clip.num_frames) / 30)
    label_set = recognizer.set_labels(["clap", "jump"], [broken, example("clap", clip, "good")])
    assert label_set.example_counts() == {"clap": 1}
    assert len(label_set.example_problems) == 1 and "broken" in label_set.example_problems[0]


def test_live_results_name_their_evidence_and_examples_swap_with_the_labels(recognizer):
    scorer = LiveScorer(recognizer, ["wave hand", "clap"])
    window_clip = waving_clip(2.0, seed=3)
    window = live_windows(window_clip.joints, window_clip.valid, np.arange(window_clip.num_frames) / 30, 2.0,
                          0.2, recognizer.preprocess_config.num_frames)[0]
    before = scorer.score_window(window)
    assert {entry["evidence"] for entry in before.top} == {"text"}
    version = scorer.label_set.version
    scorer.set_labels(["wave hand", "clap"], [example("wave hand", waving_clip(3.0), "w")])
    assert scorer.label_set.version > version
    after = scorer.score_window(window)
    kinds = {entry["label"]: entry["evidence"] for entry in after.top}
    assert kinds["clap"] == "text" and kinds["wave hand"] in ("examples", "both", "text")
    scorer.set_labels(["wave hand", "clap", "jump"])  # a list edit keeps the examples given last
    assert scorer.label_set.example_counts() == {"wave hand": 1}
