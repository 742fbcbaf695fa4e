"""Where the project finds its data, assets, models and caches, and how it replaces a file whole."""

import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_MODEL_DIR = MODELS_DIR / "default"


def data_root() -> Path:
    """The shared skeleton datasets: $SMIE_DATA, else ../shared/data beside the project."""
    override = os.environ.get("SMIE_DATA")
    if override:
        return Path(override).expanduser()
    return PROJECT_ROOT.parent / "shared" / "data"


def cache_dir() -> Path:
    """Per-user cache (text embeddings, pretrained encoders): $SMIE_CACHE, else ~/.cache/smie-live."""
    override = os.environ.get("SMIE_CACHE")
    root = Path(override).expanduser() if override else Path.home() / ".cache" / "smie-live"
    root.mkdir(parents=True, exist_ok=True)
    return root


def atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename: a crash never leaves half a file.
    write(temporary_path) writes the content."""
    path = Path(path)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(handle)
    try:
        write(temp_name)
        os.replace(temp_name, path)
    finally:
        Path(temp_name).unlink(missing_ok=True)
