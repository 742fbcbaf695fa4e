"""Reader for preprocessed NTU-style arrays: (N, 3, T, 25, 2) `.npy` data with a labels file."""

import logging
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.readers.common import read_lines
from core.skeleton.clip import Clip

log = logging.getLogger(__name__)


def read_labels(path: str | Path) -> np.ndarray:
    """Class indices (N,) int64 from a text file (one integer per line), a `.npy` of integers, or a `.pkl`
    holding (sample_names, labels) as the AimCLR/CrosSCLR pipelines write it.

    Raises core.errors.SkeletonFileError naming the file and line for non-integers, negatives or an empty file.
    """
    path = Path(path)
    try:
        if path.suffix == ".npy":
            labels = np.load(path, allow_pickle=False)
        elif path.suffix == ".pkl":
            with open(path, "rb") as handle:
                loaded = pickle.load(handle)  # trusted local training files only
            labels = np.asarray(loaded[1] if isinstance(loaded, (tuple, list)) and len(loaded) == 2 else loaded)
        else:
            labels = _read_text_labels(path)
    except SkeletonFileError:
        raise
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, IndexError, TypeError) as error:
        raise SkeletonFileError(path, f"cannot read labels: {error}", field="labels") from error
    if labels.ndim != 1 or labels.size == 0:
        raise SkeletonFileError(path, f"labels must be a non-empty 1-D list, got shape {labels.shape}",
                                field="labels")
    if not np.issubdtype(labels.dtype, np.integer):
        if not (np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels))):
            raise SkeletonFileError(path, f"labels must be integers, got dtype {labels.dtype}", field="labels")
    labels = labels.astype(np.int64)
    if (labels < 0).any():
        first = int(np.flatnonzero(labels < 0)[0])
        raise SkeletonFileError(path, f"label {labels[first]} is negative", line=first + 1, field="labels")
    return labels


def _read_text_labels(path: Path) -> np.ndarray:
    labels = []
    for row, text in enumerate(read_lines(path)):
        if not text.strip():
            continue
        try:
            labels.append(int(text.strip()))
        except ValueError:
            raise SkeletonFileError(path, f"expected one integer, got {text.strip()[:40]!r}", line=row + 1,
                                    field="labels") from None
    return np.asarray(labels, dtype=np.int64)


def load_array_file(path: str | Path) -> np.ndarray:
    """The (N, 3, T, 25, M) array, memory-mapped. Raises SkeletonFileError for another shape or an unreadable file."""
    path = Path(path)
    try:
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise SkeletonFileError(path, f"cannot read array: {error}", field="data") from error
    if data.ndim != 5 or data.shape[1] != 3 or data.shape[3] != 25 or not 1 <= data.shape[4] <= 2:
        raise SkeletonFileError(path, f"expected shape (N, 3, T, 25, M<=2), got {data.shape}", field="data")
    if data.shape[0] == 0 or data.shape[2] == 0:
        raise SkeletonFileError(path, f"no samples or no frames: shape {data.shape}", field="data")
    return data


def iter_ntu_arrays(data_path: str | Path, labels_path: str | Path, class_names: Sequence[str] | None = None,
                    fps: float = 30.0) -> Iterator[Clip]:
    """One Clip per sample, read lazily from the memory-mapped array.

    Zero-padded frames at the end (every body all zeros) are not frames: they are cut. A body whose 25 joints are
    all zero in a frame is absent there (valid False); otherwise all its joints are valid (centred data has a
    joint exactly at the origin, so zeros inside a present body are real). extras["index"] is the row in the
    array. Raises core.errors.SkeletonFileError for a label count that differs from N, a sample with no frame,
    or NaN/inf values (naming the sample).
    """
    data_path = Path(data_path)
    data = load_array_file(data_path)
    labels = read_labels(labels_path)
    if len(labels) != data.shape[0]:
        raise SkeletonFileError(labels_path, f"{len(labels)} labels for {data.shape[0]} samples in {data_path}",
                                field="labels")
    for n in range(data.shape[0]):
        sample = np.asarray(data[n], dtype=np.float32).transpose(1, 3, 2, 0)  # (3, T, 25, M) -> (T, M, 25, 3)
        if not np.isfinite(sample).all():
            frame = int(np.argwhere(~np.isfinite(sample))[0, 0])
            raise SkeletonFileError(data_path, f"sample {n} frame {frame}: non-finite value", field="data")
        present = sample.any(axis=(2, 3))  # (T, M)
        frames = np.flatnonzero(present.any(axis=1))
        if len(frames) == 0:
            raise SkeletonFileError(data_path, f"sample {n} is all zeros (no frames)", field="data")
        num_frames = frames[-1] + 1
        label = int(labels[n])
        clip = Clip(joints=sample[:num_frames], valid=np.repeat(present[:num_frames, :, None], 25, axis=2),
                    label=label, label_name=class_names[label] if class_names and label < len(class_names) else None,
                    source=f"{data_path}#{n}", fps=fps)
        clip.extras.update(index=n, source_layout="ntu25")
        yield clip


def read_ntu_arrays(data_path: str | Path, labels_path: str | Path, class_names: Sequence[str] | None = None,
                    fps: float = 30.0) -> list[Clip]:
    """All samples of iter_ntu_arrays as a list (fine for small sets; iterate for NTU-60/120-sized arrays)."""
    return list(iter_ntu_arrays(data_path, labels_path, class_names, fps))
