"""Checkpoint folders: exact round trip of a real encoder + head, clear errors for mismatches and damaged files."""

import json
from dataclasses import asdict

import pytest
import torch

from core.model.baselines import (
    DeViSE,
    DeViSEConfig,
    RelationNet,
    RelationNetConfig,
)
from core.model.checkpoint import (
    METADATA_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    ModelMetadata,
    load_model,
    read_metadata,
    save_model,
)
from core.model.smie import SMIEConfig, SMIEHead
from core.model.stgcn import STGCN, STGCNConfig
from core.model.stgcn_fused import fuse_for_inference
from core.skeleton.preprocess import PreprocessConfig


def make_model(seed: int = 0):
    """A randomly initialised encoder + SMIE head whose BatchNorm statistics are not the defaults."""
    torch.manual_seed(seed)
    encoder = STGCN(STGCNConfig(num_classes=5))
    with torch.no_grad():  # a few training-mode passes move the running statistics away from 0/1
        for _ in range(2):
            encoder(torch.randn(4, 3, 50, 25, 2))
    head = SMIEHead(SMIEConfig(text_dim=384))
    return encoder.eval(), head.eval()


def make_metadata(**changes) -> ModelMetadata:
    fields = dict(text_model="all-MiniLM-L6-v2", text_dim=384, layout="ntu25", preprocess=asdict(PreprocessConfig()),
                  seen_classes=["wave", "clap", "jump", "sit down", "stand up"], hyperparameters={"epochs": 1},
                  data_fingerprint="test", metrics={"seen_val_top1": 0.5})
    fields.update(changes)
    return ModelMetadata(**fields)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    encoder, head = make_model()
    folder = save_model(tmp_path_factory.mktemp("model") / "m", encoder, head, make_metadata())
    return folder, encoder, head


def copy_checkpoint(folder, tmp_path):
    target = tmp_path / "copy"
    target.mkdir()
    for name in (WEIGHTS_FILE, METADATA_FILE):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


def test_round_trip_gives_identical_outputs(saved):
    folder, encoder, head = saved
    loaded = load_model(folder)
    x = torch.randn(3, 3, 50, 25, 2)
    s = torch.nn.functional.normalize(torch.randn(4, 384), dim=1)
    with torch.no_grad():
        features = encoder.forward_features(x)
        reloaded_features = loaded.encoder.forward_features(x)
        assert torch.equal(features, reloaded_features)
        assert torch.equal(head.score(features, s), loaded.head.score(reloaded_features, s))
    assert not loaded.encoder.training and not loaded.head.training
    assert loaded.metadata.seen_classes == ["wave", "clap", "jump", "sit down", "stand up"]
    assert PreprocessConfig(**loaded.metadata.preprocess) == PreprocessConfig()


def test_model_json_records_the_configs(saved):
    folder, encoder, head = saved
    raw = json.loads((folder / METADATA_FILE).read_text())
    assert raw["head_kind"] == "smie" and raw["format_version"] == 1 and raw["created"]
    assert STGCNConfig(**raw["encoder_config"]) == encoder.config
    assert SMIEConfig(**raw["head_config"]) == head.config
    assert raw["text_model"] == "all-MiniLM-L6-v2" and raw["text_dim"] == 384 and raw["layout"] == "ntu25"
    assert not list(folder.glob("*.tmp")), "atomic writes left temporary files"


def test_text_model_and_layout_mismatches_name_both_values(saved):
    folder, _, _ = saved
    load_model(folder, expect_text_model="sentence-transformers/all-MiniLM-L6-v2")  # an alias of the same model
    with pytest.raises(CheckpointError, match=r"'all-MiniLM-L6-v2'.*'all-mpnet-base-v2'"):
        load_model(folder, expect_text_model="all-mpnet-base-v2")
    with pytest.raises(CheckpointError, match=r"384-d.*768-d"):
        load_model(folder, expect_text_dim=768)
    with pytest.raises(CheckpointError, match=r"'ntu25'.*'mediapipe33'"):
        load_model(folder, expect_layout="mediapipe33")


def test_missing_and_corrupt_files_name_the_file(saved, tmp_path):
    folder, _, _ = saved
    with pytest.raises(CheckpointError, match=METADATA_FILE):
        load_model(tmp_path)
    copy = copy_checkpoint(folder, tmp_path)
    (copy / WEIGHTS_FILE).unlink()
    with pytest.raises(CheckpointError, match=f"{WEIGHTS_FILE}: missing"):
        load_model(copy)
    (copy / WEIGHTS_FILE).write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match=f"{WEIGHTS_FILE}: not a readable safetensors"):
        load_model(copy)
    (copy / METADATA_FILE).write_text("{ not json")
    with pytest.raises(CheckpointError, match=f"{METADATA_FILE}: not readable JSON"):
        read_metadata(copy)


def test_missing_tensor_and_bad_fields_are_named(saved, tmp_path):
    from safetensors.torch import load_file, save_file

    folder, _, _ = saved
    copy = copy_checkpoint(folder, tmp_path)
    tensors = load_file(str(copy / WEIGHTS_FILE))
    del tensors["head.layers.0.weight"]
    save_file(tensors, str(copy / WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match=r"weights.safetensors: head tensors .*missing \['layers.0.weight'\]"):
        load_model(copy)

    raw = json.loads((folder / METADATA_FILE).read_text())
    for change, message in [({"format_version": 99}, "format_version 99"),
                            ({"text_model": ""}, r"missing field\(s\) \['text_model'\]"),
                            ({"head_kind": "transformer"}, "unknown head_kind 'transformer'"),
                            ({"head_config": {**raw["head_config"], "text_dim": 768}}, "differs from the head's 768"),
                            ({"encoder_config": {**raw["encoder_config"], "bogus": 1}}, "cannot rebuild")]:
        (copy / METADATA_FILE).write_text(json.dumps({**raw, **change}))
        with pytest.raises(CheckpointError, match=message):
            load_model(copy)


def test_weights_that_do_not_fit_the_configs_are_a_checkpoint_error(saved, tmp_path):
    folder, _, _ = saved
    copy = copy_checkpoint(folder, tmp_path)
    raw = json.loads((copy / METADATA_FILE).read_text())
    raw["text_dim"] = raw["head_config"]["text_dim"] = 768  # consistent metadata, weights for 384-d text
    (copy / METADATA_FILE).write_text(json.dumps(raw))
    with pytest.raises(CheckpointError, match=r"head.layers.0.weight has shape \(1024, 640\).*\(1024, 1024\)"):
        load_model(copy)


def test_save_refuses_inconsistent_or_inference_only_models(tmp_path):
    encoder, head = make_model()
    with pytest.raises(CheckpointError, match="differs from the head's 384"):
        save_model(tmp_path / "a", encoder, head, make_metadata(text_dim=768))
    with pytest.raises(CheckpointError, match="differs from the encoder's 'ntu25'"):
        save_model(tmp_path / "b", encoder, head, make_metadata(layout="mediapipe33"))
    with pytest.raises(CheckpointError, match="trainable STGCN"):
        save_model(tmp_path / "c", fuse_for_inference(encoder), head, make_metadata())


@pytest.mark.parametrize("kind", ["devise", "relationnet"])
def test_baseline_heads_round_trip(kind, tmp_path):
    encoder, _ = make_model()
    torch.manual_seed(1)
    head = DeViSE(DeViSEConfig()) if kind == "devise" else RelationNet(RelationNetConfig(loss="bce"))
    loaded = load_model(save_model(tmp_path / kind, encoder, head.eval(), make_metadata()))
    assert loaded.metadata.head_kind == kind and loaded.head.config == head.config
    v, s = torch.randn(2, 256), torch.randn(3, 384)
    with torch.no_grad():
        assert torch.equal(head.score(v, s), loaded.head.score(v, s))


@pytest.mark.parametrize("changes", [{"input_stream": "bone"}, {"input_stream": "motion", "temporal_kernel": 5}])
def test_encoder_architecture_settings_round_trip(changes, tmp_path):
    torch.manual_seed(0)
    encoder = STGCN(STGCNConfig(num_classes=5, **changes)).eval()
    folder = save_model(tmp_path / "m", encoder, SMIEHead(SMIEConfig(text_dim=384)).eval(), make_metadata())
    model = load_model(folder)
    assert all(getattr(model.encoder.config, key) == value for key, value in changes.items())
    x = torch.randn(2, 3, 50, 25, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.encoder.forward_features(x), encoder.forward_features(x))
