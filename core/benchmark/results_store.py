"""Finished zero-shot results on disk, one JSON file per (target, split, seed, method, settings), written the
moment a run ends, so a stopped benchmark continues where it stopped instead of starting again."""

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

from core.benchmark.zsl_runs import BenchConfig
from core.paths import PROJECT_ROOT, atomic_write

log = logging.getLogger(__name__)

DEFAULT_RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
# BenchConfig fields that choose which runs are made, not what one run computes.
NOT_IN_KEY = ("splits", "seeds", "first_seed", "methods")
RUN_SETTINGS = ("device", "threads")  # inside the pretrain / head overrides: where a run computes, not what
# BenchConfig fields added after results were stored: at these values they are left out of the key, so the
# stored results (made with them, before they existed) keep their files.
FIELDS_ADDED_LATER = {"pool_head": True}


# Methods whose computation changed for some settings after results were stored: {method: (the settings it
# changed for, a word for the new way)}. Their new results get their own key; the old files stay as they were.
# The attribute row of pooled runs fits on a pooled second encoder (it pooled none before).
CHANGED_METHODS = {"smie_attributes": (lambda config: config.pool_seen, "pooled-second-encoder")}


def settings_key(config: BenchConfig, method: str | None = None) -> str:
    """A short digest of everything that changes one run's numbers (for `method`, also how it is computed)."""
    settings = {k: v for k, v in dataclasses.asdict(config).items() if k not in NOT_IN_KEY
                and not (k in FIELDS_ADDED_LATER and v == FIELDS_ADDED_LATER[k])}
    for group in ("pretrain", "head"):
        settings[group] = {k: v for k, v in settings[group].items() if k not in RUN_SETTINGS}
    applies, how = CHANGED_METHODS.get(method, (lambda config: False, ""))
    if applies(config):
        settings["computed"] = how
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:12]


class ResultStore:
    """Results of one benchmark configuration under `root`/<target>/<split>/seed<N>/<method>-<key>.json, the key
    settings_key(config, method)."""

    def __init__(self, config: BenchConfig, root: Path = DEFAULT_RESULTS_DIR):
        self.root = Path(root)
        self.config = config

    def path(self, target: str, split: str, seed: int, method: str) -> Path:
        key = settings_key(self.config, method.split("[")[0])
        return self.root / target / split / f"seed{seed}" / f"{method}-{key}.json"

    def load(self, target: str, split: str, seed: int, method: str) -> dict | None:
        """The stored record ({"metrics", "pretrain", "seen_classes", "settings"}), or None when the run is still
        to be made. An unreadable file is reported and made again."""
        path = self.path(target, split, seed, method)
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            record["metrics"]["top1"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s: unreadable result (%s); running it again", path, error)
            return None
        return record

    def save(self, target: str, split: str, seed: int, method: str, metrics: dict, details: dict) -> Path:
        """Write one finished result atomically (a stop while writing leaves no half file)."""
        path = self.path(target, split, seed, method)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"metrics": metrics, **details, "settings": dataclasses.asdict(self.config)}
        text = json.dumps(record, indent=1, sort_keys=True, default=str) + "\n"
        atomic_write(path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8"))
        return path


def run_or_load(store: ResultStore | None, target: str, split: str, seed: int, config: BenchConfig, run) -> dict:
    """run_split's result for the split (its name) and seed: stored methods are read back, the others run (all in one call,
    sharing the split's encoder) and stored as each finishes. run(config) -> run_split's result dict."""
    if store is None:
        return run(config)
    stored = {m: store.load(target, split, seed, m) for m in config.methods}
    missing = tuple(m for m, record in stored.items() if record is None)
    result: dict = {"methods": {}}
    if missing:
        result = run(dataclasses.replace(config, methods=missing))
        details = {k: v for k, v in result.items() if k != "methods"}
        for method in missing:
            store.save(target, split, seed, method, result["methods"][method], details)
        for name, metrics in result["methods"].items():  # per-stream rows ride along with their method
            if name not in missing and "[" in name:
                store.save(target, split, seed, name, metrics, details)
    else:
        log.info("%s seed %d: every method already in %s", split, seed, store.root)
    for method, record in stored.items():
        if record is not None:
            result["methods"][method] = record["metrics"]
            for key in ("pretrain", "seen_classes", "text_selection"):
                if key in record and key not in result:
                    result[key] = record[key]
            for stream in config.streams if len(config.streams) > 1 else ():
                row = store.load(target, split, seed, f"{method}[{stream}]")
                if row is not None:
                    result["methods"][f"{method}[{stream}]"] = row["metrics"]
    return result
