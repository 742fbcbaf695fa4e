"""The dataset registry: load UTD-MHAD, MSR Action3D, UTKinect, GTU and the NTU samples as NTU-25 clips."""

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import SkeletonFileError
from core.paths import data_root
from core.readers.common import read_each, read_each_cut
from core.readers.gtu import read_gtu, read_gtu_classes
from core.readers.kinder_gator import load_kinder_gator
from core.readers.kinect_v1 import read_msr_action3d, read_utd_mhad, read_utkinect, read_utkinect_labels
from core.readers.mocap_datasets import load_bandai_namco, load_hdm05
from core.readers.msrc12 import load_msrc12
from core.readers.ntu import read_ntu_skeleton
from core.readers.parse_cache import cached_clips
from core.skeleton.clip import Clip

log = logging.getLogger(__name__)

NTU_CLASS_FILE = "label_map_ntu120.txt"  # in <data root>/text: NTU-120 names, line N = action A00N


@dataclass
class Dataset:
    """One loaded dataset. Labels index class_names; bad_files lists (path, reason) for everything skipped."""

    name: str
    clips: list[Clip]
    class_names: list[str]
    bad_files: list[tuple[str, str]] = field(default_factory=list)
    load_seconds: float = 0.0  # wall time of load_dataset, cache included

    def labels_present(self) -> list[int]:
        return sorted({clip.label for clip in self.clips if clip.label is not None})


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _load_utd_mhad(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    names = _lines(folder / "classes.txt")
    files = sorted(folder.glob("a*_s*_t*_skeleton.mat"), key=_natural_key)
    return read_each(files, lambda p: read_utd_mhad(p, names), bad_files), names


def _load_msr_action3d(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    names = _lines(folder / "classes.txt")
    files = sorted(folder.glob("a*_s*_e*_skeleton3D.txt"))
    return read_each(files, lambda p: read_msr_action3d(p, names), bad_files), names


def _load_utkinect(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    names = _lines(folder / "classes.txt")
    segments = read_utkinect_labels(folder / "actionLabel.txt")
    by_file = {folder / f"joints_{sequence}.txt": cut for sequence, cut in segments.items()}
    return read_each_cut(by_file, lambda path: read_utkinect(path, by_file[path], names), bad_files), names


def _load_gtu(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    by_folder = read_gtu_classes(folder / "classes.txt")
    names = list(by_folder.values())
    clips = []
    for label, sub in enumerate(by_folder):
        files = sorted((folder / sub).glob("*.txt"), key=_natural_key)
        clips += read_each(files, lambda p, label=label: read_gtu(p, label, names), bad_files)
    return clips, names


def _load_ntu_samples(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    names = _lines(folder.parent / "text" / NTU_CLASS_FILE)
    files = sorted(folder.glob("*.skeleton"))
    return read_each(files, lambda p: read_ntu_skeleton(p, class_names=names), bad_files), names


def _natural_key(path: Path) -> tuple:
    """a2 before a10: split digits from text in the name."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name))


@dataclass(frozen=True)
class DatasetEntry:
    """Where a dataset lives under data_root(), how it is read, and the joint layout its files hold."""

    folder: str
    loader: Callable[[Path, list], tuple[list[Clip], list[str]]]  # (folder, bad_files) -> (clips, class_names)
    joint_source: str  # core.skeleton.joint_maps source name: which NTU joints are synthesised


# The one dataset registry: every name a command, a training run or a benchmark accepts comes from here.
DATASETS = {
    "utd_mhad": DatasetEntry("utd_mhad", _load_utd_mhad, "utd_mhad20"),
    "msr_action3d": DatasetEntry("msr_action3d", _load_msr_action3d, "msr_action3d20"),
    "utkinect": DatasetEntry("utkinect", _load_utkinect, "kinect_v1_sdk20"),
    "gtu": DatasetEntry("gtu", _load_gtu, "ntu25"),
    "ntu_samples": DatasetEntry("ntu_samples", _load_ntu_samples, "ntu25"),
    "kinder_gator": DatasetEntry("kinder_gator", load_kinder_gator, "kinect_v1_sdk20"),
    "msrc12": DatasetEntry("msrc12", load_msrc12, "kinect_v1_sdk20"),
    # Both Bandai-Namco sets are one dataset: same three actors, skeleton, studio and processing, walk/run in both.
    "bandai_namco": DatasetEntry("bandai_namco", load_bandai_namco, "bandai_namco22"),
    "hdm05": DatasetEntry("hdm05", load_hdm05, "hdm05_31"),
}


def dataset_names() -> tuple[str, ...]:
    return tuple(DATASETS)


def other_datasets(target: str) -> tuple[str, ...]:
    """Every registered dataset but `target`: what a cross-dataset run pools to test zero-shot on `target`."""
    return tuple(name for name in DATASETS if name != target)


def joint_source(name: str) -> str:
    """The joint layout (core.skeleton.joint_maps source name) a registered dataset's files hold."""
    return DATASETS[name].joint_source


def dataset_folder(name: str, root: str | Path | None = None) -> Path:
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return Path(root if root is not None else data_root()) / DATASETS[name].folder


def load_dataset(name: str, root: str | Path | None = None, use_cache: bool = True) -> Dataset:
    """All clips of one dataset from `root` (default core.paths.data_root(), $SMIE_DATA overrides).

    Bad files are skipped with a logged warning and listed in bad_files; the load never aborts for them.
    Parsed clips are cached in core.paths.cache_dir() keyed by every file's path, mtime and size.
    Raises FileNotFoundError naming the folder when the dataset (or its class list) is not there.
    """
    folder = dataset_folder(name, root)
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset {name!r} not found: no folder {folder} "
                                f"(set SMIE_DATA to the folder holding {', '.join(DATASETS)})")
    started = time.perf_counter()
    loader = DATASETS[name].loader

    def load():
        bad_files: list[tuple[str, str]] = []
        try:
            clips, class_names = loader(folder, bad_files)
        except (OSError, SkeletonFileError) as error:
            raise FileNotFoundError(f"dataset {name!r} in {folder}: cannot read its file list or classes: "
                                    f"{error}") from error
        return clips, class_names, bad_files

    watched = [folder] + ([folder.parent / "text" / NTU_CLASS_FILE] if name == "ntu_samples" else [])
    clips, class_names, bad_files = cached_clips(name, watched, load) if use_cache else load()
    dataset = Dataset(name, clips, class_names, bad_files, time.perf_counter() - started)
    log.debug("%s: %d clips, %d classes, %d bad files/segments in %.2f s", name, len(clips), len(class_names),
             len(bad_files), dataset.load_seconds)
    return dataset


def checked_data_root(names: list[str]):
    """The data root, after checking every named dataset is known and has its folder; ValueError says which not."""
    unknown = [name for name in names if name not in dataset_names()]
    if unknown:
        raise ValueError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(dataset_names())}")
    root = data_root()
    missing = [name for name in names if not dataset_folder(name, root).is_dir()]
    if missing:
        raise ValueError(f"data folder not found: {', '.join(str(dataset_folder(n, root)) for n in missing)}\n"
                         f"Set SMIE_DATA to the folder holding {', '.join(dataset_names())}.")
    return root
