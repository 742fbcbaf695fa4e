"""Few-shot episodes: examples drawn per class, the rest scored by text and examples fused, beside the nearest
class mean and the text alone; thin classes left out."""

import json

import numpy as np
import pytest
from io_fixtures import moving_body

from core.cli import main
from core.clips.clip_eval import evaluate_clip_folder, load_timed_sequence
from core.clips.clip_folder import ClipEntry, ClipFolder
from core.clips.few_shot import clip_window_features, few_shot_episodes, nearest_class_mean
from core.commands.bench_pipeline import save_random_model
from core.live.recognizer import Recognizer
from core.model.example_term import FusionWeights
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip


def _clusters(per_class=(6, 6, 2), spread=0.1, seed=0):
    """Features around one direction per class; text scores that always name class 0."""
    rng = np.random.default_rng(seed)
    centres = np.eye(8)[: len(per_class)]
    truth = np.repeat(np.arange(len(per_class)), per_class)
    features = centres[truth] + rng.normal(0, spread, (len(truth), 8))
    text = np.zeros((len(truth), len(per_class)))
    text[:, 0] = 1.0
    return features.astype(np.float32), truth, text


def test_nearest_class_mean_is_the_cosine_to_each_mean():
    examples = [np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([[0.0, -1.0]])]
    scores = nearest_class_mean(np.array([[1.0, 1.0]]), examples)
    assert scores[0] == pytest.approx([1.0, -np.sqrt(0.5)])


def test_separated_classes_are_found_from_one_example_and_thin_classes_sit_out():
    features, truth, text = _clusters()
    report = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=2, draws=5)
    result = report.to_dict()
    assert result["top1"] == 1.0 and result["top1_std"] == 0.0
    assert result["text"]["top1"] == pytest.approx(0.5), "text names class 0 for every clip of a and b"
    assert result["left_out"] == {"c": 5}, "2 clips of c are not more than 2 shots"
    assert result["scored_per_draw"] == 8


def test_fused_scores_follow_the_text_without_example_weight_and_the_examples_with_much():
    features, truth, text = _clusters()
    labels = ["a", "b", "c"]
    text_only = few_shot_episodes(features, truth, labels, text, shots=2, draws=3, fusion=FusionWeights(0.0))
    assert text_only.fused_top1 == text_only.text_top1
    examples_only = few_shot_episodes(features, truth, labels, text, shots=2, draws=3,
                                      fusion=FusionWeights(1000.0, 0.0, 0.001))
    assert examples_only.fused_top1 == examples_only.examples_top1 == [1.0] * 3


def test_draws_are_seeded_and_differ_between_seeds():
    features, truth, text = _clusters(per_class=(5, 5, 5), spread=0.9)
    one = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=1, draws=4, seed=3)
    again = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=1, draws=4, seed=3)
    other = few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=1, draws=4, seed=4)
    assert one.examples_top1 == again.examples_top1 and one.examples_top1 != other.examples_top1


def test_bad_counts_are_refused():
    features, truth, text = _clusters()
    with pytest.raises(ValueError, match="shots must be at least 1, got 0"):
        few_shot_episodes(features, truth, ["a", "b", "c"], text, shots=0)


@pytest.fixture(scope="module")
def folder_and_model(tmp_path_factory):
    """Three labels of three clips each (waving more or less), and a randomly initialised model."""
    root = tmp_path_factory.mktemp("few_shot")
    folder = ClipFolder(root / "clips")
    folder.path.mkdir()
    entries = []
    for label, wave in (("still", 0.02), ("wave", 0.2), ("wave hard", 0.4)):
        for i in range(3):
            file = f"{label.replace(' ', '_')}{i}.skeleton"
            joints = moving_body(60, seed=i, wave=wave)[:, None]
            write_ntu_skeleton(folder.clip_path(file), Clip(joints=joints, valid=np.ones((60, 1, 25), bool)))
            entries.append(ClipEntry(file, label))
    folder.upsert(*entries)
    return folder.path, save_random_model(root / "model")


def test_eval_clips_shots_reports_the_episodes_of_the_folders_own_features(folder_and_model, capsys):
    folder, model = folder_and_model
    assert main(["eval-clips", str(folder), "--model", str(model), "--shots", "1", "--draws", "3", "--seed", "2",
                 "--no-windows", "--json"]) == 0
    few_shot = json.loads(capsys.readouterr().out)["few_shot"]
    recognizer = Recognizer.load(model, "cpu")
    report = evaluate_clip_folder(folder, recognizer)
    windows = clip_window_features(folder, report.files, recognizer, load_timed_sequence)
    expected = few_shot_episodes(report.features, report.truth, report.labels, report.scores, 1, 3, 2, windows,
                                 recognizer.fusion, report.temperature).to_dict()
    assert few_shot["top1"] == pytest.approx(expected["top1"]) and few_shot["top1_std"] == pytest.approx(
        expected["top1_std"])
    for kind in ("text", "nearest_class_mean"):
        assert few_shot[kind]["top1"] == pytest.approx(expected[kind]["top1"])
    assert few_shot["scored_per_draw"] == 6


def test_eval_clips_refuses_a_negative_shot_count(folder_and_model, capsys):
    folder, model = folder_and_model
    assert main(["eval-clips", str(folder), "--model", str(model), "--shots", "-1"]) == 2
    assert "--shots must be 0 or more" in capsys.readouterr().err
