"""Per-epoch training state on disk, so a stopped training run resumes from its last finished epoch."""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from core.paths import atomic_write

log = logging.getLogger(__name__)

STATE_FILE = "training_state.pt"
STATE_FORMAT = 1  # bump when TrainingState changes
SAMPLED_ROWS = 256  # rows of the training array hashed into the fingerprint: cheap on arrays of tens of GB
NOT_FINGERPRINTED = ("device", "threads")  # settings that do not change what a run computes


@dataclass
class TrainingState:
    """Everything an epoch loop needs to go on exactly where it stopped."""

    fingerprint: str  # run_fingerprint of the run that wrote it
    model: dict
    optimizer: dict
    schedule: dict
    numpy_rng: dict  # np.random.Generator.bit_generator.state (batch order)
    torch_generator: torch.Tensor  # augmentation generator state
    torch_rng: torch.Tensor  # torch's global generator (dropout)
    best_model: dict | None
    best_accuracy: float
    history: list[dict]
    world_size: int = 1  # processes of the run that wrote it (torchrun); 1 for one process
    rank_generators: list | None = None  # per rank (torch_generator, torch_rng) of a torchrun run, rank 0 first


def rank_generators(state: TrainingState, rank: int, world_size: int):
    """(torch_generator, torch_rng) state saved for this rank, or None when the state was written with another
    world size (the caller seeds that rank afresh and warns) or has none for it."""
    if state.world_size != world_size:
        return None
    if state.rank_generators is None:
        return (state.torch_generator, state.torch_rng) if rank == 0 else None
    return tuple(state.rank_generators[rank]) if rank < len(state.rank_generators) else None


def world_size_warning(state: TrainingState, world_size: int) -> str | None:
    """What changes when a run saved with one world size resumes with another; None when they agree."""
    if state.world_size == world_size:
        return None
    return (f"the training state was written by {state.world_size} process(es) and resumes in {world_size}: the "
            "global batches stay the same, but the sample order each rank sees and every rank's augmentation and "
            "dropout draws change, so the result will differ from an uninterrupted run")


def run_fingerprint(config, model_config, *arrays: np.ndarray) -> str:
    """A digest of the settings and the data a run trains on: a state written by another run is never resumed.
    Each array counts by shape, dtype and a strided sample of its rows."""
    settings = {k: v for k, v in asdict(config).items() if k not in NOT_FINGERPRINTED}
    digest = hashlib.sha256(json.dumps([STATE_FORMAT, settings, asdict(model_config)], sort_keys=True,
                                       default=str).encode())
    for array in arrays:
        digest.update(f"{array.shape}|{array.dtype}".encode())
        step = max(1, len(array) // SAMPLED_ROWS)
        digest.update(np.ascontiguousarray(array[::step]).tobytes())
    return digest.hexdigest()[:20]


def save_state(folder: Path, state: TrainingState) -> Path:
    """Write the state atomically (a stop while writing leaves the previous epoch's state intact)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STATE_FILE
    atomic_write(path, lambda temporary: torch.save({f.name: getattr(state, f.name) for f in fields(TrainingState)},
                                                    temporary))
    return path


def load_state(folder: Path, fingerprint: str) -> TrainingState | None:
    """The state saved in folder, or None when there is none. Raises ValueError naming the file when the state
    belongs to another run (other settings or data) or cannot be read."""
    path = Path(folder) / STATE_FILE
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        state = TrainingState(**saved)
    except Exception as error:  # a truncated or foreign file: torch raises several types
        raise ValueError(f"{path}: unreadable training state ({error}); delete it to train from the start") from error
    if state.fingerprint != fingerprint:
        raise ValueError(f"{path}: training state of another run (other settings or data); delete it to train "
                         "from the start, or train into another folder")
    return state


def remove_state(folder: Path) -> None:
    """Drop the state once training has finished: a later run in the same folder starts afresh."""
    (Path(folder) / STATE_FILE).unlink(missing_ok=True)
