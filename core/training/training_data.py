"""Training arrays: datasets read once, preprocessed to (N, 3, 50, 25, 2), cached on disk, pooled by class name.

The cached clips are a .npy read memory-mapped: subsets and pools of them are row indices (LazyRows), and a
training process reads only the rows of its batches, so NTU-120's tens of GB are never loaded whole."""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.paths import atomic_write, cache_dir
from core.readers.datasets import load_dataset
from core.readers.label_presets import load_preset, readable_name
from core.readers.ntu_arrays import iter_ntu_arrays, load_array_file, read_ntu_arrays
from core.skeleton.layouts import get_layout
from core.skeleton.preprocess import PreprocessConfig, PreprocessError, normalize_clip

log = logging.getLogger(__name__)
CACHE_FORMAT = 2  # 2: clips in a memory-mappable .npy beside a .npz of labels and sources


class LazyRows:
    """Rows of one or more arrays (memory-mapped .npy files), read only when indexed. Indexing behaves like a
    numpy array's: a slice or take() gives another LazyRows (no data read), integer or boolean indices give an
    ndarray of those rows, np.asarray() reads them all. len, shape, dtype and ndim are the array's."""

    def __init__(self, bases, which: np.ndarray | None = None, rows: np.ndarray | None = None):
        self.bases = tuple(bases)
        if rows is None:
            assert len(self.bases) == 1, "several bases need the base and row of every row"
            rows = np.arange(len(self.bases[0]), dtype=np.int64)
            which = np.zeros(len(rows), dtype=np.int32)
        self.which, self.rows = np.asarray(which), np.asarray(rows, dtype=np.int64)
        self.dtype = self.bases[0].dtype
        self.shape = (len(self.rows),) + tuple(self.bases[0].shape[1:])
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, index) -> "LazyRows":
        return LazyRows(self.bases, self.which[index], self.rows[index])

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.take(key)
        if isinstance(key, (int, np.integer)):
            return np.array(self.bases[self.which[key]][self.rows[key]])
        if isinstance(key, tuple):
            return np.asarray(self)[key]
        key = np.asarray(key)
        return self._read(self.which[key], self.rows[key])

    def _read(self, which: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows),) + self.shape[1:], dtype=self.dtype)
        for number, base in enumerate(self.bases):
            pick = np.flatnonzero(which == number)
            if len(pick):
                ascending = pick[np.argsort(rows[pick], kind="stable")]  # read the file front to back
                out[ascending] = base[rows[ascending]]
        return out

    def __array__(self, dtype=None, copy=None):
        out = self._read(self.which, self.rows)
        return out if dtype is None else out.astype(dtype, copy=False)

    @staticmethod
    def concatenate(parts: list) -> "LazyRows":
        """One LazyRows of the rows of every part in order (LazyRows or arrays)."""
        parts = [part if isinstance(part, LazyRows) else LazyRows([part]) for part in parts]
        bases, which = [], []
        for part in parts:
            offset = len(bases)
            bases += part.bases
            which.append(part.which + offset)
        return LazyRows(bases, np.concatenate(which), np.concatenate([part.rows for part in parts]))


@dataclass
class TrainingArrays:
    """Preprocessed clips of one or more datasets. Classes are pooled by name (case-insensitive)."""

    x: np.ndarray | LazyRows  # (N, 3, T, V, M) float32; LazyRows over the memory-mapped cache when loaded
    labels: np.ndarray  # (N,) int64 index into class_names
    class_names: list[str]
    subjects: np.ndarray  # (N,) int64, -1 when unknown
    datasets: np.ndarray  # (N,) str, the dataset each clip came from
    sources: list[str]

    def subset(self, rows: np.ndarray) -> "TrainingArrays":
        """These rows; of memory-mapped clips, a view that reads nothing until indexed."""
        rows = np.asarray(rows)
        x = self.x.take(rows) if isinstance(self.x, LazyRows) else self.x[rows]
        return TrainingArrays(x, self.labels[rows], self.class_names, self.subjects[rows],
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
    """One dataset preprocessed; cached by a fingerprint of its clips (of a user's arrays: of the two files'
    paths, sizes and times, so a start never rereads tens of GB) and the preprocessing settings. The clips come
    back memory-mapped (x is a LazyRows)."""
    config = preprocess_config or PreprocessConfig()
    if dataset_name.startswith("arrays:"):
        data_path, labels_path, names = _arrays_spec(dataset_name)
        key = _file_fingerprint(dataset_name, [data_path, labels_path], config)
        count = len(load_array_file(data_path))
        clips = iter_ntu_arrays(data_path, labels_path, class_names=names)
    else:
        clip_list, names = dataset_clips(dataset_name)
        key, count, clips = _fingerprint(dataset_name, clip_list, config), len(clip_list), iter(clip_list)
    class_names = [readable_name(name) for name in names]  # what the text model reads
    cache_name = hashlib.sha256(dataset_name.encode()).hexdigest()[:12] if ":" in dataset_name else dataset_name
    base = cache_dir() / "arrays" / f"{cache_name}-{key}"
    cached = _read_cache(base, class_names)
    if cached is not None:
        return cached
    _write_cache(base, clips, count, dataset_name, config)
    return _read_cache(base, class_names)


def _arrays_spec(dataset_name: str) -> tuple[Path, Path, list[str]]:
    parts = dataset_name.split(":", 3)
    if len(parts) != 4:
        raise ValueError(f"{dataset_name!r}: expected arrays:PRESET:DATA.npy:LABELS")
    return Path(parts[2]), Path(parts[3]), [label.name for label in load_preset(parts[1])]


def _file_fingerprint(dataset_name: str, paths: list[Path], preprocess_config) -> str:
    digest = hashlib.sha256(json.dumps([CACHE_FORMAT, dataset_name, asdict(preprocess_config)]).encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _cache_files(base: Path) -> tuple[Path, Path]:
    return base.with_name(base.name + ".x.npy"), base.with_name(base.name + ".meta.npz")


def _read_cache(base: Path, class_names: list[str]) -> TrainingArrays | None:
    clips_path, meta_path = _cache_files(base)
    if not (clips_path.is_file() and meta_path.is_file()):
        return None
    with np.load(meta_path, allow_pickle=False) as meta:
        count = int(meta["count"])
        x = np.load(clips_path, mmap_mode="r")[:count]
        return TrainingArrays(LazyRows([x]), meta["labels"], class_names, meta["subjects"], meta["datasets"],
                              list(meta["sources"]))


def _write_cache(base: Path, clips, count: int, dataset_name: str, config) -> None:
    """Preprocess the clips one by one into a memory-mapped .npy of `count` rows (rows of skipped clips stay
    unused at the end), then write the labels beside it; the .npz is written last, so a stop in between leaves
    no cache that looks whole."""
    clips_path, meta_path = _cache_files(base)
    clips_path.parent.mkdir(parents=True, exist_ok=True)
    labels, subjects, sources = [], [], []

    def fill(temporary):
        x = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.float32,
                                      shape=(max(count, 1), 3, config.num_frames, get_layout(config.layout).num_joints,
                                             config.num_bodies))
        for clip in clips:
            try:
                x[len(labels)] = normalize_clip(clip, config)
            except PreprocessError as error:
                log.warning("skipping %s: %s", clip.source, error)
                continue
            labels.append(clip.label)
            subjects.append(-1 if clip.subject is None else int(clip.subject))
            sources.append(str(clip.source))
        x.flush()
        del x

    atomic_write(clips_path, fill)
    if not labels:
        raise ValueError(f"{dataset_name}: no clip could be preprocessed")

    def write_meta(temporary):
        with open(temporary, "wb") as handle:
            np.savez(handle, count=len(labels), labels=np.asarray(labels, dtype=np.int64),
                     subjects=np.asarray(subjects, dtype=np.int64),
                     datasets=np.asarray([dataset_name] * len(labels)), sources=np.asarray(sources))

    atomic_write(meta_path, write_meta)


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
    lazy = any(isinstance(p.x, LazyRows) for p in parts)
    x = LazyRows.concatenate([p.x for p in parts]) if lazy else np.concatenate([p.x for p in parts])
    return TrainingArrays(x, np.concatenate(labels), class_names,
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
