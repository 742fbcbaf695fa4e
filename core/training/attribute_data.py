"""Global windows beside the training arrays: each clip's first body before centring and rotation
(core.skeleton.attributes.global_window), which the attribute measurements of travel, turning and pelvis height
need and the normalised arrays no longer hold. Cached per dataset in cache_dir()/attributes, matched to any
TrainingArrays (pooled, restricted, subset) row by row through its dataset and source."""

import hashlib
import json
import logging
from dataclasses import asdict

import numpy as np

from core.paths import atomic_write, cache_dir
from core.skeleton.attributes import global_window
from core.skeleton.preprocess import PreprocessConfig

log = logging.getLogger(__name__)
CACHE_FORMAT = 1


def _key(dataset_name: str, clips, config: PreprocessConfig) -> str:
    digest = hashlib.sha256(json.dumps([CACHE_FORMAT, dataset_name, asdict(config)], sort_keys=True).encode())
    for clip in clips:
        digest.update(f"{clip.source}|{clip.num_frames}|{clip.label_name}".encode())
        digest.update(np.ascontiguousarray(clip.joints[:: max(1, clip.num_frames // 4)]).tobytes())
    return digest.hexdigest()[:16]


def dataset_windows(dataset_name: str, config: PreprocessConfig | None = None) -> dict[str, np.ndarray]:
    """source -> (num_frames, 25, 3) float32 global window of every clip of a registered dataset (clips with
    fewer than two frames of a first body are left out, as load_arrays leaves them out)."""
    # imported on use: reading a dataset's clips pulls in every reader
    from core.training.training_data import dataset_clips

    config = config or PreprocessConfig()
    clips, _ = dataset_clips(dataset_name)
    path = cache_dir() / "attributes" / f"{dataset_name}-{_key(dataset_name, clips, config)}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as cached:
            return dict(zip(cached["sources"].tolist(), cached["windows"]))
    sources, windows = [], []
    for clip in clips:
        window = global_window(clip.joints, clip.valid, config)
        if window is not None:
            sources.append(str(clip.source))
            windows.append(window)
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (0, config.num_frames, 25, 3)
    stacked = np.stack(windows).astype(np.float32) if windows else np.zeros(shape, np.float32)

    def write(temporary):
        with open(temporary, "wb") as handle:
            np.savez(handle, sources=np.asarray(sources), windows=stacked)

    atomic_write(path, write)
    log.info("%s: %d global windows cached in %s", dataset_name, len(sources), path)
    return dict(zip(sources, stacked))


def global_windows(arrays, config: PreprocessConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """((N, num_frames, 25, 3) float32 global windows of the arrays' rows, (N,) bool: found). Rows of a user's
    arrays ("arrays:..." datasets, already normalised) have none: zeros and False."""
    config = config or PreprocessConfig()
    out = np.zeros((len(arrays.labels), config.num_frames, 25, 3), np.float32)
    found = np.zeros(len(arrays.labels), bool)
    datasets = np.asarray(arrays.datasets)
    for name in dict.fromkeys(datasets.tolist()):
        if str(name).startswith("arrays:"):
            continue
        try:
            table = dataset_windows(str(name), config)
        except (KeyError, ValueError, OSError) as error:  # not a registered dataset on this machine
            log.info("no global windows for %s (%s): attributes of its clips use the normalised ones only",
                     name, error)
            continue
        for row in np.flatnonzero(datasets == name):
            window = table.get(arrays.sources[row])
            if window is not None:
                out[row], found[row] = window, True
    return out, found
