"""What every benchmark script shares: the model it measures (the default one, else random weights), the
machine it ran on, and printing (and optionally saving) its JSON report."""

import json
import os
import platform
from pathlib import Path

from core.commands.bench_pipeline import save_random_model
from core.paths import DEFAULT_MODEL_DIR


def model_or_random(model, scratch) -> tuple[Path, str]:
    """(model folder, how the report names it): `model`, else models/default when present, else random weights
    saved under `scratch`."""
    chosen = model or (DEFAULT_MODEL_DIR if (DEFAULT_MODEL_DIR / "model.json").is_file() else None)
    return (Path(chosen), str(chosen)) if chosen else (save_random_model(scratch), "random weights")


def machine() -> dict:
    return {"machine": f"{platform.machine()} {platform.processor() or platform.system()}, {os.cpu_count()} cores",
            "python": platform.python_version()}


def emit(report: dict, out=None) -> None:
    """Print the report as indented JSON, and write it to `out` too when given."""
    text = json.dumps(report, indent=2)
    print(text)
    if out:
        Path(out).write_text(text + "\n")
