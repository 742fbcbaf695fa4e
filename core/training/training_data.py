"""Training arrays: datasets read once, preprocessed to (N, 3, 50, 25, 2), cached on disk, pooled by class name."""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass

import numpy as np

from core.paths import cache_dir
from core.readers.datasets import load_dataset
from core.readers.label_presets import load_preset, readable_name
from core.readers.ntu_arrays import read_ntu_arrays
from core.skeleton.preprocess import PreprocessConfig, PreprocessError, normalize_clip

log = logging.getLogger(__name__)


@dataclass
class TrainingArrays:
    """Preprocessed clips of one or more datasets. Classes are pooled by name (case-insensitive)."""

    x: np.ndarray  # (N, 3, T, V, M) float32
    labels: np.ndarray  # (N,) int64 index into class_names
    class_names: list[str]
    subjects: np.ndarray  # (N,) int64, -1 when unknown
    datasets: np.ndarray  # (N,) str, the dataset each clip came from
    sources: list[str]

    def subset(self, rows: np.ndarray) -> "TrainingArrays":
        rows = np.asarray(rows)
        return TrainingArrays(self.x[rows], self.labels[rows], self.class_names, self.subjects[rows],
                              self.datasets[rows], [self.sources[i] for i in rows])

    def restrict_classes(self, keep_names: list[str]) -> "TrainingArrays":
        """Only the clips of these classes, relabelled 0..len(keep_names)-1 in the given order."""
        position = {name.lower(): i for i, name in enumerate(keep_names)}
        old_to_new = np.array([position.get(name.lower(), -1) for name in self.class_names])
        rows = np.flatnonzero(old_to_new[self.labels] >= 0)
        kept = self.subset(rows)
        kept.labels = old_to_new[kept.labels]
        kept.class_names = list(keep_names)
        return kept


def _fingerprint(dataset_name: str, clips, preprocess_config) -> str:
    digest = hashlib.sha256(json.dumps(asdict(preprocess_config), sort_keys=True).encode())
    for clip in clips:
        digest.update(f"{dataset_name}|{clip.source}|{clip.num_frames}|{clip.label_name}".encode())
        digest.update(np.ascontiguousarray(clip.joints[:: max(1, clip.num_frames // 4)]).tobytes())
    return digest.hexdigest()[:16]


def dataset_clips(dataset_name: str) -> tuple[list, list[str]]:
    """(clips, class names) of a registered dataset, or of a user's preprocessed NTU-style arrays given as
    "arrays:PRESET:DATA.npy:LABELS" (PRESET names the class list in assets/labels, e.g. ntu60, pku_mmd)."""
    if dataset_name.startswith("arrays:"):
        parts = dataset_name.split(":", 3)
        if len(parts) != 4:
            raise ValueError(f"{dataset_name!r}: expected arrays:PRESET:DATA.npy:LABELS")
        names = [label.name for label in load_preset(parts[1])]
        return read_ntu_arrays(parts[2], parts[3], class_names=names), names
    loaded = load_dataset(dataset_name)
    return loaded.clips, list(loaded.class_names)


def load_arrays(dataset_name: str, preprocess_config=None) -> TrainingArrays:
    """One dataset preprocessed; cached by a fingerprint of its clips and the preprocessing settings."""
    config = preprocess_config or PreprocessConfig()
    clips, names = dataset_clips(dataset_name)
    class_names = [readable_name(name) for name in names]  # what the text model reads
    key = _fingerprint(dataset_name, clips, config)
    cache_name = hashlib.sha256(dataset_name.encode()).hexdigest()[:12] if ":" in dataset_name else dataset_name
    path = cache_dir() / "arrays" / f"{cache_name}-{key}.npz"
    if path.exists():
        cached = np.load(path, allow_pickle=False)
        return TrainingArrays(cached["x"], cached["labels"], class_names, cached["subjects"],
                              cached["datasets"], list(cached["sources"]))
    xs, labels, subjects, sources = [], [], [], []
    for clip in clips:
        try:
            xs.append(normalize_clip(clip, config))
        except PreprocessError as error:
            log.warning("skipping %s: %s", clip.source, error)
            continue
        labels.append(clip.label)
        subjects.append(-1 if clip.subject is None else int(clip.subject))
        sources.append(str(clip.source))
    arrays = TrainingArrays(np.stack(xs).astype(np.float32), np.asarray(labels, dtype=np.int64),
                            class_names, np.asarray(subjects, dtype=np.int64),
                            np.asarray([dataset_name] * len(xs)), sources)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, x=arrays.x, labels=arrays.labels, subjects=arrays.subjects,
             datasets=arrays.datasets, sources=np.asarray(sources))
    temporary.replace(path)
    return arrays


def pool(parts: list[TrainingArrays]) -> TrainingArrays:
    """Concatenate datasets; classes with the same name (case-insensitive) become one class."""
    class_names: list[str] = []
    position: dict[str, int] = {}
    labels = []
    for part in parts:
        mapping = []
        for name in part.class_names:
            if name.lower() not in position:
                position[name.lower()] = len(class_names)
                class_names.append(name)
            mapping.append(position[name.lower()])
        labels.append(np.asarray(mapping)[part.labels])
    return TrainingArrays(np.concatenate([p.x for p in parts]), np.concatenate(labels), class_names,
                          np.concatenate([p.subjects for p in parts]), np.concatenate([p.datasets for p in parts]),
                          [s for p in parts for s in p.sources])


def stratified_holdout(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_rows, validation_rows): `fraction` of each class's clips (at least one when it has two) held out."""
    rng = np.random.default_rng(seed)
    train, validation = [], []
    for c in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == c))
        count = int(round(fraction * len(rows))) if len(rows) > 1 else 0
        count = max(count, 1) if len(rows) > 1 else 0
        validation.extend(rows[:count])
        train.extend(rows[count:])
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(validation, dtype=np.int64))
