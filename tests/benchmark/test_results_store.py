"""Finished benchmark results are stored one file per run and never made twice; a stopped benchmark continues."""

import dataclasses
import json

from core.benchmark.results_store import ResultStore, run_or_load, settings_key
from core.benchmark.zsl_runs import BenchConfig

SPLIT = "ru5"


class CountingRun:
    """run_split's stand-in for the store: a result per requested method, and a log of what was asked."""

    def __init__(self):
        self.asked: list[tuple[str, ...]] = []

    def __call__(self, config: BenchConfig) -> dict:
        self.asked.append(config.methods)
        return {"methods": {m: {"top1": 0.1 * (i + 1), "top5": 1.0} for i, m in enumerate(config.methods)},
                "pretrain": {"best_val_acc": 0.9}, "seen_classes": 2}


def test_a_second_run_reads_every_result_back_without_running(tmp_path):
    config = BenchConfig(methods=("smie", "devise"))
    store, run = ResultStore(config, tmp_path), CountingRun()
    first = run_or_load(store, "utd_mhad", SPLIT, 0, config, run)
    again = run_or_load(store, "utd_mhad", SPLIT, 0, config, run)
    assert run.asked == [("smie", "devise")]
    assert again["methods"] == first["methods"] and again["seen_classes"] == 2
    assert store.path("utd_mhad", "ru5", 0, "smie").is_file()


def test_only_the_missing_or_unreadable_methods_run_again(tmp_path):
    config = BenchConfig(methods=("smie", "devise", "revise"))
    store, run = ResultStore(config, tmp_path), CountingRun()
    run_or_load(store, "utd_mhad", SPLIT, 0, config, run)
    store.path("utd_mhad", "ru5", 0, "devise").unlink()
    store.path("utd_mhad", "ru5", 0, "revise").write_text("{not json")
    result = run_or_load(store, "utd_mhad", SPLIT, 0, config, run)
    assert run.asked[-1] == ("devise", "revise")
    assert set(result["methods"]) == {"smie", "devise", "revise"}


def test_other_settings_are_other_runs_but_the_device_is_not(tmp_path):
    config = BenchConfig(methods=("smie",))
    assert settings_key(config) != settings_key(dataclasses.replace(config, text="descriptions"))
    assert settings_key(config) == settings_key(dataclasses.replace(config, pretrain={"device": "cuda"}))
    assert settings_key(config) == settings_key(dataclasses.replace(config, seeds=5, splits=("ru9",)))
    run = CountingRun()
    run_or_load(ResultStore(config, tmp_path), "utd_mhad", SPLIT, 0, config, run)
    other = dataclasses.replace(config, text="descriptions")
    run_or_load(ResultStore(other, tmp_path), "utd_mhad", SPLIT, 0, other, run)
    run_or_load(ResultStore(config, tmp_path), "utd_mhad", SPLIT, 1, config, run)
    assert len(run.asked) == 3


def test_a_method_computed_another_way_for_some_settings_gets_its_own_file_and_the_others_keep_theirs(tmp_path):
    pooled = BenchConfig(methods=("smie", "smie_attributes"), pool_seen=True)
    alone = dataclasses.replace(pooled, pool_seen=False)
    store = ResultStore(pooled, tmp_path)
    smie, attributes = (store.path("utd_mhad", SPLIT, 0, m).name for m in ("smie", "smie_attributes"))
    assert smie == f"smie-{settings_key(pooled)}.json", "SMIE of pooled runs keeps the key it was stored under"
    assert attributes != f"smie_attributes-{settings_key(pooled)}.json", "the pooled attribute row is made anew"
    assert ResultStore(alone, tmp_path).path("utd_mhad", SPLIT, 0, "smie_attributes").name == \
        f"smie_attributes-{settings_key(alone)}.json", "runs without pooling keep theirs"
    old = tmp_path / "utd_mhad" / SPLIT / "seed0" / f"smie_attributes-{settings_key(pooled)}.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text('{"metrics": {"top1": 0.2}}')
    run = CountingRun()
    run_or_load(store, "utd_mhad", SPLIT, 0, pooled, run)
    assert run.asked == [("smie", "smie_attributes")] and old.read_text() == '{"metrics": {"top1": 0.2}}'


def test_every_committed_result_is_found_again_under_its_file_name():
    """Settings added to the benchmark later must not move results stored before them: each committed file's
    own settings give back its key (for a method computed another way since, the key it was stored under)."""
    from core.benchmark.results_store import DEFAULT_RESULTS_DIR

    files = sorted(DEFAULT_RESULTS_DIR.glob("*/*/seed*/*-*.json"))
    assert files, f"no stored results under {DEFAULT_RESULTS_DIR}"
    for path in files:
        method, key = path.stem.rsplit("-", 1)
        config = BenchConfig(**json.loads(path.read_text(encoding="utf-8"))["settings"])
        assert key in (settings_key(config, method.split("[")[0]), settings_key(config)), path
