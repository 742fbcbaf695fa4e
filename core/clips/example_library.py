"""The example library: recorded examples of labels, kept apart from the label list so replacing the list,
importing a preset or renaming a label keeps them. A clip folder (NTU .skeleton files + manifest.csv) whose
manifest label names the label each example belongs to."""

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.clips.clip_eval import ground_truth, load_timed_sequence
from core.clips.clip_folder import STATUS_OK, ClipEntry, ClipFolder, ClipFolderError, open_clip_folder
from core.clips.recording import Recorder, RecorderConfig
from core.live.example_features import ExampleClip
from core.readers.label_presets import readable_name
from core.readers.labels import label_key

log = logging.getLogger(__name__)

DEFAULT_EXAMPLE_FOLDER = Path.home() / "smie-examples"
EXPORT_SUFFIX = ".examples"  # a label list exported to list.txt takes its examples to list.examples/ beside it


@dataclass
class LoadedExamples:
    """Examples read for a label list: the usable ones and, per unusable one, its file and the reason."""

    examples: list[ExampleClip]
    problems: list[str]


def examples_folder_for(list_file: str | Path) -> Path:
    """Where an exported label list keeps its examples: `<list name>.examples/` beside the list."""
    path = Path(list_file)
    return path.with_name(path.stem + EXPORT_SUFFIX)


class ExampleLibrary:
    """Examples per label in one folder. Reads are cached per file version, so handing the scorer every
    example again after an edit costs no re-reading of unchanged files."""

    def __init__(self, path: str | Path = DEFAULT_EXAMPLE_FOLDER):
        self.folder, recovered = open_clip_folder(Path(path).expanduser(), create=True)
        self.path = self.folder.path
        self.recovered = recovered  # interrupted recordings put right (or dropped) on opening
        self._cache: dict[str, tuple[tuple, ExampleClip]] = {}

    def entries(self, label: str | None = None) -> list[ClipEntry]:
        """Finished examples, of one label (case and spacing ignored) or of all."""
        key = None if label is None else label_key(label)
        return [entry for entry in self.folder.entries()
                if entry.status == STATUS_OK and (key is None or label_key(entry.label) == key)]

    def counts(self) -> dict[str, int]:
        """label_key -> number of examples."""
        counts: dict[str, int] = {}
        for entry in self.entries():
            counts[label_key(entry.label)] = counts.get(label_key(entry.label), 0) + 1
        return counts

    def load(self, labels=None) -> LoadedExamples:
        """The examples of `labels` (names; None: every label). An example that cannot be read is reported by
        file name with the reason and skipped; the label and its other examples stay."""
        keys = None if labels is None else {label_key(str(getattr(name, "name", name))) for name in labels}
        loaded, problems = [], []
        for entry in self.entries():
            if keys is not None and label_key(entry.label) not in keys:
                continue
            try:
                loaded.append(self.example(entry))
            except (ValueError, OSError) as error:
                problems.append(f"example {entry.file} of {entry.label!r}: {error}")
        for problem in problems:
            log.warning("%s: %s (skipped)", self.path, problem)
        return LoadedExamples(loaded, problems)

    def example(self, entry: ClipEntry) -> ExampleClip:
        """One example's frames (cached while its file is unchanged); ValueError / OSError when unreadable."""
        path = self.folder.clip_path(entry)
        stat = path.stat()
        version = (stat.st_size, stat.st_mtime_ns, entry.label)
        cached = self._cache.get(entry.file)
        if cached and cached[0] == version:
            return cached[1]
        joints, valid, timestamps, _ = load_timed_sequence(path)
        example = ExampleClip(f"{path}@{stat.st_mtime_ns}", entry.label, joints, valid, timestamps)
        self._cache[entry.file] = (version, example)
        return example

    def recorder(self, label: str, source: str = "", fps: float = RecorderConfig.fps) -> Recorder:
        """A crash-safe recorder writing one new example of `label` (finish() it when done)."""
        return Recorder(self.folder, label, source=source, notes="example", config=RecorderConfig(fps=fps))

    def add(self, label: str, joints: np.ndarray, valid: np.ndarray, timestamps: np.ndarray,
            source: str = "") -> ClipEntry:
        """Store frames the app already holds (e.g. the last 2 s) as a new example of `label`:
        joints (T, M, 25, 3) metres, valid (T, M, 25), timestamps (T,) seconds."""
        if len(timestamps) < 2:
            raise ValueError(f"an example of {label!r} needs at least two frames, got {len(timestamps)}")
        with self.recorder(label, source) as recorder:
            for frame_joints, frame_valid, timestamp in zip(joints, valid, timestamps):
                recorder.add_skeleton(float(timestamp), frame_joints, frame_valid)
        if recorder.finished is None:
            raise ValueError(f"an example of {label!r} held no frame to keep")
        return recorder.finished

    def delete(self, file: str):
        """Remove one example (its file and its manifest row)."""
        if not any(entry.file == file for entry in self.folder.entries()):
            raise ClipFolderError(f"{self.path}: no example {file!r}")
        self.folder.clip_path(file).unlink(missing_ok=True)
        self.folder.remove(file)
        self._cache.pop(file, None)

    def rename(self, old: str, new: str) -> int:
        """Give the examples of label `old` to label `new` (a renamed label keeps its examples). Returns how many."""
        moved = [entry for entry in self.folder.entries() if label_key(entry.label) == label_key(old)]
        for entry in moved:
            entry.label = new
        if moved:
            self.folder.upsert(*moved)
        return len(moved)

    def export_to(self, folder: str | Path, labels) -> int:
        """Copy the examples of `labels` into a clip folder (made when missing). Returns how many."""
        target = ClipFolder(folder)
        copied = []
        taken = {entry.file for entry in target.entries()} if target.manifest_path.is_file() else set()
        for entry in self.entries():
            if label_key(entry.label) not in {label_key(str(getattr(n, "name", n))) for n in labels}:
                continue
            if entry.file in taken:
                continue
            target.path.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.folder.clip_path(entry), target.clip_path(entry.file))
            copied.append(entry)
        if copied:
            target.upsert(*copied)
        return len(copied)

    def import_from(self, folder: str | Path) -> tuple[int, list[str]]:
        """Copy a clip folder's examples in (files already here by name are kept as they are). Returns (copied,
        problems: one line per example that could not be read, named)."""
        source, _ = open_clip_folder(folder)
        taken = {entry.file for entry in self.folder.entries()}
        copied, problems = [], []
        for entry in source.entries():
            if entry.status != STATUS_OK or entry.file in taken:
                continue
            path = source.clip_path(entry)
            try:
                load_timed_sequence(path)
            except (ValueError, OSError) as error:
                problems.append(f"example {entry.file} of {entry.label!r} in {source.path}: {error}")
                continue
            shutil.copy2(path, self.folder.clip_path(entry.file))
            copied.append(entry)
        if copied:
            self.folder.upsert(*copied)
        return len(copied), problems


def examples_from_folder(path: str | Path, pose_model=None) -> tuple[list[str], LoadedExamples]:
    """Every labelled clip of a clip folder (manifest.csv or labels.csv; skeleton files or videos) as an example
    of its label: (label names in first-seen order, the examples and, per clip that cannot be used, why).
    Raises ClipFolderError when the folder is missing or its manifest / labels.csv is bad."""
    folder, _ = open_clip_folder(path)
    items, skipped = ground_truth(folder)
    names: dict[str, str] = {}
    loaded = LoadedExamples([], [f"{item.file}: {item.reason}" for item in skipped])
    for item in items:
        name = readable_name(item.label)
        names.setdefault(label_key(name), name)
        clip_path = folder.path / item.file
        try:
            joints, valid, timestamps, _ = load_timed_sequence(clip_path, pose_model)
        except (ValueError, OSError) as error:
            loaded.problems.append(f"example {item.file} of {name!r}: {error}")
            continue
        loaded.examples.append(ExampleClip(f"{clip_path}@{clip_path.stat().st_mtime_ns}", name, joints, valid,
                                           timestamps))
    return list(names.values()), loaded
