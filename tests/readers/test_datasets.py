"""Dataset registry on the real data (counts, axes, bone lengths, handedness) and on a generated data folder."""

import json

import numpy as np
import pytest
from io_fixtures import moving_body, write_gtu_text, write_utd_mat

from core.cli import main
from core.readers.datasets import dataset_names, load_dataset
from core.skeleton.layouts import NTU25

J = NTU25.index
EXPECTED = {  # name: (clips, classes with clips)
    "utd_mhad": (861, 27), "msr_action3d": (566, 20), "utkinect": (199, 10), "gtu": (508, 14), "ntu_samples": (12, 11),
    "kinder_gator": (1159, 66), "msrc12": (359, 12), "bandai_namco": (1154, 24), "hdm05": (288, 11)}


@pytest.fixture(scope="module")
def real(shared_data):
    return {name: load_dataset(name, shared_data) for name in dataset_names()}


def test_counts_classes_and_bad_files(real):
    for name, (clips, classes) in EXPECTED.items():
        dataset = real[name]
        assert (len(dataset.clips), len(dataset.labels_present())) == (clips, classes), name
        for clip in dataset.clips:
            assert clip.joints.shape[1:] == (clip.num_bodies, 25, 3) and clip.label_name is not None
            assert clip.label_name == dataset.class_names[clip.label]
    assert [p.rsplit("/", 1)[1] for p, _ in real["msr_action3d"].bad_files] == ["a13_s09_e02_skeleton3D.txt"]
    assert [p.rsplit("/", 1)[1] for p, _ in real["utkinect"].bad_files] == ["joints_s10_e02.txt#carry"]
    assert not real["utd_mhad"].bad_files and not real["gtu"].bad_files and not real["ntu_samples"].bad_files
    assert len(real["ntu_samples"].class_names) == 120 and real["gtu"].class_names[1] == "wave the right hand"


def _frames(dataset) -> np.ndarray:
    """First-body frames with every joint valid: (F, 25, 3)."""
    return np.concatenate([c.joints[:, 0][c.valid[:, 0].all(axis=1)] for c in dataset.clips])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_dataset_is_in_ntu_axes_and_metres(real, name):
    x = _frames(real[name])
    right = x[:, J["ShoulderRight"]] - x[:, J["ShoulderLeft"]]
    up = x[:, J["Head"]] - x[:, J["SpineBase"]]
    feet = x[:, J["FootLeft"]] - x[:, J["AnkleLeft"]] + x[:, J["FootRight"]] - x[:, J["AnkleRight"]]
    facing = feet[:, 2] < 0  # toes toward the sensor
    assert facing.mean() > 0.8, name
    # Facing the sensor, the right shoulder is on the sensor's left: larger X.
    assert (right[facing, 0] > 0).mean() > 0.97, name
    lying = 0.1 if name == "hdm05" else 0.01  # HDM05's lieDownFloor clips spend most frames lying on the floor
    assert (x[:, J["Head"], 1] > x[:, J["FootLeft"], 1]).mean() > 1 - lying, name
    assert (x[..., 2] > 0).all(), name
    # Right-handed frame with anatomical labels: (right x up) points backwards, against the toes.
    assert (np.einsum("fc,fc->f", np.cross(right, up), feet) < 0).mean() > 0.95, name
    upper_arm = np.median(np.linalg.norm(x[:, J["ShoulderLeft"]] - x[:, J["ElbowLeft"]], axis=-1))
    shin = np.median(np.linalg.norm(x[:, J["KneeRight"]] - x[:, J["AnkleRight"]], axis=-1))
    assert 0.2 < upper_arm < 0.4 and 0.3 < shin < 0.5, (name, upper_arm, shin)


def test_one_sided_actions_move_the_right_side(real):
    """Labels say which side moves; the data agree, so no dataset is mirrored."""
    def stroke_to_plus_x(clip, joint):  # the joint's X peak comes after its X minimum
        x = clip.joints[:, 0, joint, 0] - clip.joints[:, 0, J["SpineBase"], 0]
        return np.argmax(x) > np.argmin(x)

    utd = real["utd_mhad"].clips
    swipe_left = [stroke_to_plus_x(c, J["HandRight"]) for c in utd if c.label_name == "right arm swipe to the left"]
    swipe_right = [stroke_to_plus_x(c, J["HandRight"]) for c in utd if c.label_name == "right arm swipe to the right"]
    assert np.mean(swipe_left) < 0.3 and np.mean(swipe_right) > 0.9  # to the person's left = -X
    msr = real["msr_action3d"].clips

    def motion(clip, joint):
        present = clip.valid[:, 0, joint]
        return clip.joints[present, 0, joint].std(axis=0).sum()

    for action in ("high arm wave", "hammer", "draw x", "side kick"):
        clips = [c for c in msr if c.label_name == action]
        side = "Ankle" if action == "side kick" else "Hand"
        right = np.mean([motion(c, J[f"{side}Right"]) for c in clips])
        left = np.mean([motion(c, J[f"{side}Left"]) for c in clips])
        assert right > 3 * left, (action, right, left)
    kicks = [c for c in msr if c.label_name == "side kick"]
    assert np.mean([c.joints[c.valid[:, 0, 0], 0, J["AnkleRight"], 0].max() - c.joints[0, 0, J["AnkleRight"], 0]
                    > 0.15 for c in kicks if c.valid[0, 0].all()]) > 0.9  # the right foot goes out to +X


def test_cache_returns_the_same_clips(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path))
    fresh = load_dataset("utkinect", shared_data, use_cache=False)
    first = load_dataset("utkinect", shared_data)
    cached = load_dataset("utkinect", shared_data)
    assert list((tmp_path / "datasets").glob("utkinect-*.npz"))
    for dataset in (first, cached):
        assert dataset.class_names == fresh.class_names and dataset.bad_files == fresh.bad_files
        for a, b in zip(dataset.clips, fresh.clips, strict=True):
            np.testing.assert_array_equal(a.joints, b.joints)
            np.testing.assert_array_equal(a.valid, b.valid)
            np.testing.assert_array_equal(a.extras["frame_numbers"], b.extras["frame_numbers"])
            assert (a.label, a.label_name, a.subject, a.source, a.fps) == (b.label, b.label_name, b.subject,
                                                                            b.source, b.fps)


@pytest.fixture
def small_root(tmp_path, monkeypatch):
    """A generated data folder: UTD-MHAD with 3 good files and one bad, GTU with 2 classes."""
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    utd = tmp_path / "data" / "utd_mhad"
    utd.mkdir(parents=True)
    (utd / "classes.txt").write_text("swipe left\nswipe right\n")
    for i, name in enumerate(("a1_s1_t1", "a1_s2_t1", "a2_s1_t1")):
        write_utd_mat(utd / f"{name}_skeleton.mat", moving_body(20 + i, seed=i))
    (utd / "a2_s2_t1_skeleton.mat").write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    gtu = tmp_path / "data" / "gtu"
    (gtu / "1").mkdir(parents=True)
    (gtu / "2").mkdir()
    (gtu / "classes.txt").write_text("1\t1\tA\tA\topen the arms\n2\t7\tB\tB\twave the right hand\n")
    write_gtu_text(gtu / "1" / "movement1.txt", moving_body(30))
    write_gtu_text(gtu / "2" / "movement2.txt", moving_body(31))
    return tmp_path / "data"


def test_bad_files_are_skipped_and_listed(small_root):
    for _ in range(2):  # fresh, then from the cache
        dataset = load_dataset("utd_mhad", small_root)
        assert [c.source.rsplit("/", 1)[1] for c in dataset.clips] == [
            "a1_s1_t1_skeleton.mat", "a1_s2_t1_skeleton.mat", "a2_s1_t1_skeleton.mat"]
        assert [(p.rsplit("/", 1)[1], "cannot read .mat" in r) for p, r in dataset.bad_files] == [
            ("a2_s2_t1_skeleton.mat", True)]
    gtu = load_dataset("gtu", small_root)
    assert [(c.label, c.label_name) for c in gtu.clips] == [(0, "open the arms"), (1, "wave the right hand")]
    with pytest.raises(FileNotFoundError, match="msr_action3d"):
        load_dataset("msr_action3d", small_root)


def test_cli_data_info(small_root, monkeypatch, capsys):
    monkeypatch.setenv("SMIE_DATA", str(small_root))
    assert main(["data", "info", "--json", "--dataset", "utd_mhad", "--dataset", "gtu"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info) == {"utd_mhad", "gtu"}
    assert (info["utd_mhad"]["clips"], info["utd_mhad"]["classes"], len(info["utd_mhad"]["bad_files"])) == (3, 2, 1)
    assert info["utd_mhad"]["frames"] == {"min": 20, "median": 21.0, "max": 22}
    assert main(["data", "info"]) == 2  # the other datasets are missing here
    assert "Set SMIE_DATA" in capsys.readouterr().err
    monkeypatch.setenv("SMIE_DATA", str(small_root / "nowhere"))
    assert main(["data", "info", "--json"]) == 2


def test_cli_data_info_real(shared_data, capsys):
    assert main(["data", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert list(info) == list(EXPECTED)
    for name, (clips, classes) in EXPECTED.items():
        assert (info[name]["clips"], info[name]["classes"]) == (clips, classes)
    assert len(info["msr_action3d"]["bad_files"]) == 1 and info["msr_action3d"]["frames"]["max"] == 936
