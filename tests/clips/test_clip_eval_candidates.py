"""Clip evaluation with too few candidates: warnings in the report, extra candidates, each clip's prediction."""

import json

import numpy as np
import pytest
from io_fixtures import moving_body

from core.cli import main
from core.clips.clip_eval import evaluate_clip_folder, merge_candidates
from core.clips.clip_folder import ClipEntry, ClipFolder
from core.commands.bench_pipeline import save_random_model
from core.live.recognizer import Recognizer
from core.readers.labels import LabelSpec
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip

EXTRA = [LabelSpec("clap"), LabelSpec("Wave the  right hand"), LabelSpec("kick"), LabelSpec("sit down"),
         LabelSpec("jump"), LabelSpec("bow")]


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    return Recognizer.load(save_random_model(tmp_path_factory.mktemp("model")), "cpu")


@pytest.fixture
def one_label_dir(tmp_path):
    """Two clips, both labelled "wave the right hand"."""
    folder = ClipFolder(tmp_path / "clips")
    folder.path.mkdir()
    for i in range(2):
        frames = 45 + 5 * i
        clip = Clip(joints=moving_body(frames, seed=i, wave=0.3)[:, None], valid=np.ones((frames, 1, 25), bool))
        write_ntu_skeleton(folder.clip_path(f"wave{i}.skeleton"), clip)
    folder.upsert(ClipEntry("wave0.skeleton", "wave the right hand"), ClipEntry("wave1.skeleton", "wave the right hand"))
    return folder.path


def test_one_candidate_label_is_reported_as_trivial(one_label_dir, recognizer):
    report = evaluate_clip_folder(one_label_dir, recognizer)
    summary = report.to_dict()
    assert summary["top1"] == 1.0 and summary["labels"] == ["wave the right hand"]
    assert len(summary["warnings"]) == 1 and "top-1 is trivial with fewer than two candidate" in summary["warnings"][0]
    assert summary["clips"] == [{"file": f"wave{i}.skeleton", "label": "wave the right hand",
                                 "predicted": "wave the right hand", "correct": True} for i in range(2)]
    json.dumps(summary)  # what `smie eval-clips --json` prints


def test_extra_candidates_join_the_folders_labels_and_the_warning_goes(one_label_dir, recognizer):
    report = evaluate_clip_folder(one_label_dir, recognizer, extra_labels=EXTRA)
    assert report.labels == ["wave the right hand", "clap", "kick", "sit down", "jump", "bow"], \
        "the folder's label first, the list's spelling of it not added twice"
    assert report.n == 2 and report.warnings == []
    predicted = [clip["predicted"] for clip in report.to_dict()["clips"]]
    assert predicted == [report.labels[i] for i in report.scores.argmax(axis=1)]
    assert [clip["correct"] for clip in report.clips()] == [p == "wave the right hand" for p in predicted]


def test_five_or_fewer_candidates_make_top5_trivial(one_label_dir, recognizer):
    report = evaluate_clip_folder(one_label_dir, recognizer, labels=["wave the right hand", "clap"])
    assert len(report.warnings) == 1 and report.warnings[0].startswith("top-5 is trivial with 5 or fewer")


def test_merge_candidates_keeps_order_and_drops_duplicates():
    assert merge_candidates(["b", "a"], None, ["A", "c", "b"]) == ["b", "a", "c"]
    assert merge_candidates(["b"], ["x"], None) == ["x"], "given labels replace the folder's"


def test_eval_clips_json_carries_the_warning(one_label_dir, tmp_path, capsys):
    model_dir = save_random_model(tmp_path / "model")
    assert main(["eval-clips", str(one_label_dir), "--model", str(model_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 2 and "top-1 is trivial" in report["warnings"][0]
