"""`smie run --examples DIR`: a folder's clips become examples of their labels, new labels are added, and an
unusable clip is named on stderr without stopping the run."""

import json

import numpy as np
import pytest
from io_fixtures import waving_clip

from core.cli import main
from core.clips.example_library import ExampleLibrary
from core.commands.bench_pipeline import save_random_model
from core.live.sources.replay import save_recording


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("model"))


def add_example(library, label, seed):
    clip = waving_clip(2.5, seed)
    return library.add(label, clip.joints, clip.valid, np.arange(clip.num_frames) / clip.fps)


def test_examples_attach_to_listed_labels_and_add_the_others(model_dir, tmp_path, capsys):
    library = ExampleLibrary(tmp_path / "examples")
    add_example(library, "wave hand", 0)
    add_example(library, "Wave hand", 1)
    add_example(library, "salute", 2)
    broken = add_example(library, "salute", 3)
    (library.path / broken.file).write_text("garbage\n")
    clip = waving_clip(2.0, seed=7)
    source = save_recording(tmp_path / "wave.npz", clip.joints, clip.valid, np.arange(clip.num_frames) / 30.0,
                            fps=30.0)
    assert main(["run", "--source", str(source), "--model", str(model_dir), "--labels", "wave hand,clap",
                 "--examples", str(library.path), "--fast", "--jsonl", "--top", "3"]) == 0
    captured = capsys.readouterr()
    results = [json.loads(line) for line in captured.out.splitlines()]
    assert results and all(result["labels"] == ["wave hand", "clap", "salute"] for result in results)
    scored = [result for result in results if result["state"] in ("ok", "unsure")]
    evidence = {entry["label"]: entry["evidence"] for entry in scored[0]["top"]}
    assert evidence["clap"] == "text" and evidence["salute"] in ("examples", "both", "text")
    assert f"example not used: example {broken.file} of 'salute'" in captured.err


def test_a_missing_examples_folder_is_refused_by_name(model_dir, tmp_path, capsys):
    clip = waving_clip(2.0)
    source = save_recording(tmp_path / "wave.npz", clip.joints, clip.valid, np.arange(clip.num_frames) / 30.0,
                            fps=30.0)
    assert main(["run", "--source", str(source), "--model", str(model_dir), "--labels", "clap",
                 "--examples", str(tmp_path / "nowhere")]) == 2
    assert f"clip folder not found: {tmp_path / 'nowhere'}" in capsys.readouterr().err
