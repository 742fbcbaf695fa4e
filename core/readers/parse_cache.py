"""On-disk cache of parsed datasets: one .npz per dataset, keyed by every input file's path, mtime and size."""

import hashlib
import json
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.paths import cache_dir
from core.skeleton.clip import Clip

log = logging.getLogger(__name__)

CACHE_FORMAT = 1  # bump when the stored layout changes
# The parsing code is part of the key: editing a reader or a joint map invalidates the cache.
_CODE_FILES = ("skeleton/clip.py", "skeleton/joint_maps.py", "readers/common.py", "readers/ntu.py",
               "readers/kinect_v1.py", "readers/gtu.py", "readers/datasets.py", "readers/parse_cache.py",
               "readers/kinder_gator.py", "readers/msrc12.py", "../assets/labels/kinder_gator_names.tsv",
               "../assets/labels/msrc12.txt", "readers/bvh.py", "readers/asf_amc.py", "readers/mocap_datasets.py",
               "../assets/labels/mocap_names.tsv")

Loaded = tuple[list[Clip], list[str], list[tuple[str, str]]]  # clips, class names, bad files


def _code_digest() -> bytes:
    core_dir = Path(__file__).resolve().parent.parent
    return hashlib.sha256(b"".join((core_dir / code).read_bytes() for code in _CODE_FILES)).digest()


# Read when the process starts, with the code it runs: a file edited while a long run goes on must not make
# that run store what its older code parsed under the new code's key.
_CODE_DIGEST = _code_digest()


def _key(name: str, watched: list[Path]) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{name}".encode())
    digest.update(_CODE_DIGEST)
    for root in watched:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            stat = path.stat()
            digest.update(f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}\n".encode())
    return digest.hexdigest()[:20]


def _pack(loaded: Loaded) -> dict[str, np.ndarray]:
    """Clips -> one flat buffer per dtype plus a JSON header with shapes, offsets and metadata."""
    clips, class_names, bad_files = loaded
    buffers: dict[str, list[np.ndarray]] = {}
    sizes: dict[str, int] = {}

    def put(array: np.ndarray) -> list:
        dtype = array.dtype.str
        buffers.setdefault(dtype, []).append(array.ravel())
        offset = sizes.get(dtype, 0)
        sizes[dtype] = offset + array.size
        return [dtype, list(array.shape), offset]

    entries = []
    for clip in clips:
        arrays = {"joints": put(clip.joints), "valid": put(clip.valid)}
        plain = {}
        for key, value in clip.extras.items():
            if isinstance(value, np.ndarray):
                arrays["extras." + key] = put(value)
            else:
                plain[key] = value
        entries.append(dict(label=clip.label, label_name=clip.label_name, subject=clip.subject, view=clip.view,
                            source=clip.source, fps=clip.fps, arrays=arrays, extras=plain))
    header = json.dumps(dict(class_names=class_names, bad_files=bad_files, clips=entries))
    packed = {f"buffer{i}": np.concatenate(parts) for i, parts in enumerate(buffers.values())}
    packed["dtypes"] = np.array(list(buffers))
    packed["header"] = np.array(header)
    return packed


def _unpack(stored) -> Loaded:
    buffers = {dtype: stored[f"buffer{i}"] for i, dtype in enumerate(stored["dtypes"])}
    header = json.loads(str(stored["header"]))

    def get(spec) -> np.ndarray:
        dtype, shape, offset = spec
        return buffers[dtype][offset:offset + int(np.prod(shape))].reshape(shape)

    clips = []
    for entry in header["clips"]:
        arrays = entry.pop("arrays")
        extras = entry.pop("extras")
        extras.update({key[len("extras."):]: get(spec) for key, spec in arrays.items() if key.startswith("extras.")})
        clips.append(Clip(joints=get(arrays["joints"]), valid=get(arrays["valid"]), extras=extras, **entry))
    return clips, header["class_names"], [tuple(bad) for bad in header["bad_files"]]


def cached_clips(name: str, watched: list[Path], load: Callable[[], Loaded]) -> Loaded:
    """load() once per change of the watched files (folders are walked); later calls read the cached .npz."""
    path = cache_dir() / "datasets" / f"{name}-{_key(name, watched)}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return _unpack(stored)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
            log.warning("ignoring unreadable dataset cache %s: %s", path, error)
    loaded = load()
    try:
        packed = _pack(loaded)
    except TypeError as error:  # an extra that JSON cannot hold: serve uncached rather than fail
        log.warning("not caching %s: %s", name, error)
        return loaded
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{name}-*.npz"):
        stale.unlink(missing_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, **packed)
    temporary.replace(path)
    return loaded
