"""The example library: examples per label in a clip folder that survive list edits, renames, export/import."""

import numpy as np
import pytest
from io_fixtures import waving_clip

from core.clips.clip_folder import ClipFolderError
from core.clips.example_library import ExampleLibrary, examples_folder_for


def frames(seconds=2.5, seed=0):
    clip = waving_clip(seconds, seed)
    return clip.joints, clip.valid, np.arange(clip.num_frames) / clip.fps


def test_added_examples_load_per_label_case_and_spacing_ignored(tmp_path):
    library = ExampleLibrary(tmp_path / "examples")
    library.add("wave the right hand", *frames())
    library.add("Wave  the right hand", *frames(seed=1))
    library.add("clap", *frames(seed=2))
    assert library.counts() == {"wave the right hand": 2, "clap": 1}
    loaded = library.load(["WAVE the right hand"])
    assert len(loaded.examples) == 2 and not loaded.problems
    example = loaded.examples[0]
    assert example.joints.shape[1:] == (1, 25, 3) and len(example.timestamps) == len(example.joints) >= 70
    assert library.load(["wave the right hand"]).examples[0] is example  # unchanged file: read once


def test_an_unreadable_example_is_named_and_skipped_and_the_others_stay(tmp_path):
    library = ExampleLibrary(tmp_path)
    good = library.add("clap", *frames())
    bad = library.add("clap", *frames(seed=1))
    (tmp_path / bad.file).write_text("not a skeleton file\n")
    loaded = library.load(["clap"])
    assert len(loaded.examples) == 1 and loaded.examples[0].key.startswith(str(tmp_path / good.file))
    assert len(loaded.problems) == 1 and bad.file in loaded.problems[0] and "'clap'" in loaded.problems[0]
    assert library.counts() == {"clap": 2}  # still listed: the user decides to delete it


def test_rename_carries_examples_and_delete_removes_one(tmp_path):
    library = ExampleLibrary(tmp_path)
    first = library.add("wave", *frames())
    library.add("wave", *frames(seed=1))
    assert library.rename("wave", "wave the left hand") == 2
    assert library.counts() == {"wave the left hand": 2}
    library.delete(first.file)
    assert library.counts() == {"wave the left hand": 1} and not (tmp_path / first.file).exists()
    with pytest.raises(ClipFolderError, match="no example"):
        library.delete(first.file)


def test_export_beside_a_list_and_import_elsewhere(tmp_path):
    library = ExampleLibrary(tmp_path / "mine")
    library.add("clap", *frames())
    library.add("jump", *frames(seed=1))
    target = examples_folder_for(tmp_path / "my labels.txt")
    assert target == tmp_path / "my labels.examples"
    assert library.export_to(target, ["clap"]) == 1
    other = ExampleLibrary(tmp_path / "theirs")
    assert other.import_from(target) == (1, [])
    assert other.counts() == {"clap": 1}
    assert other.import_from(target) == (0, [])  # already there: kept once


def test_too_short_an_example_is_refused_with_its_label(tmp_path):
    joints, valid, timestamps = frames()
    with pytest.raises(ValueError, match="'clap' needs at least two frames"):
        ExampleLibrary(tmp_path).add("clap", joints[:1], valid[:1], timestamps[:1])
