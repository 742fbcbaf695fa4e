"""Zero-shot ablation rows, pooled seen classes of a split, and merging per-seed benchmark summaries."""

import json

import numpy as np
import pytest
from io_fixtures import class_arrays

from core.benchmark.zsl_ablation import (
    ABLATION_STEPS,
    COMPARED_METHODS,
    ablation_configs,
    row_label,
)
from core.benchmark.zsl_bench import _z_scored, run_split, summarise
from core.benchmark.zsl_runs import (
    BenchConfig,
    encoder_cache_key,
    head_training_set,
    pretrained_encoder,
    seen_training_set,
)
from core.cli import main
from core.commands.bench_zsl import merge_summaries
from core.model.text import PROMPT_TEMPLATES, TextEncoder, embed_labels
from core.readers.labels import LabelSpec
from core.training.class_text import train_and_test_text
from core.training.pretrain import PretrainConfig
from core.training.protocols import Split


def test_ablation_rows_add_one_lever_each_and_compare_methods_last():
    rows = ablation_configs(BenchConfig(seeds=3, pretrain={"epochs": 7}))
    assert [name for name, _ in rows] == [name for name, _ in ABLATION_STEPS.values()]
    first, last = rows[0][1], rows[-1][1]
    assert not first.pool_seen and first.text == "names" and first.smie == {} and first.methods == ("smie",)
    assert last.pool_seen and last.text == "mixed" and last.smie == {"negatives": "all"}
    assert last.pretrain == {"epochs": 7, "mirror": True} and last.seeds == 3
    assert last.streams == ("joint", "bone", "motion") and rows[-3][1].streams == ("joint",)
    assert last.finetune == {"blocks": 2} and rows[-2][1].finetune == {}
    assert last.methods == ("smie",) + COMPARED_METHODS
    assert "mirror" not in rows[-5][1].pretrain, "a later lever must not leak into an earlier row"
    assert rows[-3][1].methods == ("smie_attributes",) and rows[-3][1].pretrain.get("mirror")
    chosen = ablation_configs(BenchConfig(), ("base", "negatives", "mirror"))
    assert [config.pool_seen for _, config in chosen] == [False] * 3 and chosen[1][1].smie == {"negatives": "all"}
    with pytest.raises(ValueError, match="unknown ablation steps"):
        ablation_configs(BenchConfig(), ("base", "bones"))


def test_pooled_seen_classes_leave_out_every_class_that_is_or_covers_an_unseen_one():
    utd = class_arrays("d", ["right hand draw x", "walking in place", "arm curl (two arms)"], per_class=2)
    others = class_arrays("d", ["draw x", "walk", "jump", "Arm Curl (two arms)"], per_class=2)
    split = Split("t", tuple(utd.class_names), (0, 2))  # unseen: draw x (covered by "draw x"), arm curl
    seen, names = seen_training_set(utd, split, others)
    assert names == ["walking in place", "walk", "jump"]
    assert len(seen.x) == 6 and seen.labels.tolist() == [0, 0, 1, 1, 2, 2]
    alone, alone_names = seen_training_set(utd, split)
    assert alone_names == ["walking in place"] and len(alone.x) == 2
    pooled = BenchConfig(pool_seen=True)
    assert head_training_set(seen, names, split, pooled)[1] == names, "by default the heads learn the pool too"
    head_seen, head_names = head_training_set(seen, names, split, BenchConfig(pool_seen=True, pool_head=False))
    assert head_names == ["walking in place"] and head_seen.labels.tolist() == [0, 0]


def test_merge_summaries_pools_the_seeds_of_several_runs(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(summarise({"smie": {"ru5": [0.5]}})))
    b.write_text(json.dumps(summarise({"smie": {"ru5": [0.3, 0.4]}, "devise": {"ru5": [0.2]}})))
    merged = summarise(merge_summaries([a, b]))
    assert merged["smie"]["ru5"]["runs"] == [50.0, 30.0, 40.0] and merged["smie"]["ru5"]["mean"] == 40.0
    assert merged["devise"]["ru5"]["runs"] == [20.0]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        merge_summaries([a, bad])


def test_an_encoder_override_is_trained_cached_and_reloaded_with_its_architecture(tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    names = ["a", "b"]
    train = class_arrays("d", names, per_class=4)
    train.x[:] = np.random.default_rng(0).normal(size=train.x.shape).astype(np.float32)
    config = PretrainConfig(epochs=1, device="cpu")
    plain_key = encoder_cache_key("s", 0, names, config, "8", {})
    key = encoder_cache_key("s", 0, names, config, "8", {"temporal_kernel": 3})
    assert key != plain_key, "encoders of another architecture must not share a cache entry"
    trained, info = pretrained_encoder(train, train, names, config, key, False, {"temporal_kernel": 3})
    assert "best_val_acc" in info and trained.config.temporal_kernel == 3
    cached, info = pretrained_encoder(train, train, names, config, key, False, {"temporal_kernel": 3})
    assert "cached" in info and cached.blocks[0].tcn[2].kernel_size == (3, 1)
    for name, tensor in trained.state_dict().items():
        assert np.array_equal(tensor.numpy(), cached.state_dict()[name].numpy()), name


def test_z_scoring_keeps_each_clips_ranking_and_removes_the_heads_scale():
    scores = np.array([[1.0, 3.0, 2.0], [-10.0, -30.0, -20.0]])
    z = _z_scored(scores)
    assert np.allclose(z.mean(axis=1), 0) and np.allclose(z.std(axis=1), 1)
    assert (z.argsort(axis=1) == scores.argsort(axis=1)).all()
    assert np.allclose(_z_scored(100 * scores + 7), z)


def test_several_streams_train_one_encoder_each_and_report_members_and_their_mean(tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    names = ["walking in place", "two hand push", "right hand wave", "squat (two arms stretch out)"]
    arrays = class_arrays("d", names, per_class=6)
    arrays.x[:] = np.random.default_rng(0).normal(size=arrays.x.shape).astype(np.float32)
    config = BenchConfig(methods=("smie",), pretrain={"epochs": 1, "device": "cpu"},
                         head={"epochs": 1, "device": "cpu"}, streams=("joint", "bone"))
    result = run_split(arrays, Split("t", tuple(names), (1, 2)), 0, config, TextEncoder(), progress=False)
    assert set(result["methods"]) == {"smie", "smie[joint]", "smie[bone]"}
    assert set(result["pretrain"]) == {"joint", "bone"} and result["seen_classes"] == 2
    assert all(0 <= metrics["top1"] <= 1 and metrics["n"] == 12 for metrics in result["methods"].values())
    cached = sorted((tmp_path / "encoders").iterdir())
    assert len(cached) == 2, "each stream trains and caches its own encoder"
    before = [path.read_bytes() for path in cached]
    config.streams, config.finetune = ("joint",), {"blocks": 1, "epochs": 1, "batch_size": 8}
    tuned = run_split(arrays, Split("t", tuple(names), (1, 2)), 0, config, TextEncoder(), progress=False)
    assert set(tuned["methods"]) == {"smie"} and tuned["methods"]["smie"]["n"] == 12
    assert [path.read_bytes() for path in sorted((tmp_path / "encoders").iterdir())] == before, \
        "fine-tuning works on a copy: the cached pretrained encoder stays as it was"


def test_bench_zsl_names_a_bad_stream_or_block_count_before_reading_any_data(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SMIE_DATA", str(tmp_path / "nowhere"))
    assert main(["bench-zsl", "--streams", "joint,depth"]) == 2
    assert "--streams 'joint,depth': give one or more of joint, bone, motion" in capsys.readouterr().out
    assert main(["bench-zsl", "--finetune-blocks", "11"]) == 2
    assert "--finetune-blocks 11: give 0 (frozen encoder) to 10" in capsys.readouterr().out
    assert main(["bench-zsl", "--select-text", "--pool-seen"]) == 2
    assert "--select-text and --pool-seen cannot be combined" in capsys.readouterr().out
    assert main(["bench-zsl", "--head-target-only", "--methods", "smie"]) == 2
    assert "--head-target-only needs --pool-seen" in capsys.readouterr().out
    assert main(["bench-zsl", "--head-target-only", "--pool-seen", "--methods", "smie,smie_attributes"]) == 2
    assert "without smie_attributes" in capsys.readouterr().out


def test_prompt_templates_reach_the_training_and_test_text(tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    encoder = TextEncoder()
    seen, unseen = ["two hand push", "right hand wave"], ["walking in place"]
    plain_seen, plain_unseen = train_and_test_text(encoder, seen, unseen, "mixed")
    seen_text, unseen_text = train_and_test_text(encoder, seen, unseen, "mixed", PROMPT_TEMPLATES)
    assert seen_text.shape == plain_seen.shape == (2, 2, encoder.dim) and unseen_text.shape == (1, encoder.dim)
    expected_names = embed_labels(encoder, [LabelSpec(n) for n in seen], PROMPT_TEMPLATES, use_descriptions=False)
    assert np.allclose(seen_text[0], expected_names, atol=1e-6)
    assert not np.allclose(seen_text[0], plain_seen[0], atol=1e-3), "the templates changed nothing"
    assert np.allclose(np.linalg.norm(unseen_text, axis=1), 1, atol=1e-5)


def test_ablation_rows_name_each_streams_member_in_its_own_row():
    row = "+ bone and motion streams"
    assert row_label(row, "smie") == row
    assert row_label(row, "smie[bone]") == "+ bone and motion streams, bone stream alone"
    assert row_label(row, "devise") == "devise with every lever above"
    assert row_label(row, "devise[motion]") == "devise with every lever above, motion stream alone"


def test_a_setting_added_later_keeps_earlier_cache_keys_at_its_old_value():
    import hashlib
    import json
    from dataclasses import asdict

    config = PretrainConfig(epochs=25)
    later = ("legs_unseen_prob", "balance")
    settings = {k: v for k, v in asdict(config).items() if k not in ("device", "threads", *later)}
    before_the_setting = hashlib.sha256(json.dumps(["s", 0, ["a"], settings, "8"], sort_keys=True).encode())
    assert encoder_cache_key("s", 0, ["a"], config, "8", {}) == before_the_setting.hexdigest()[:16]
    legs_hidden = PretrainConfig(epochs=25, legs_unseen_prob=0.3)
    assert encoder_cache_key("s", 0, ["a"], legs_hidden, "8", {}) != before_the_setting.hexdigest()[:16]
