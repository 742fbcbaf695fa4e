"""Kinder-Gator reader: generated CSVs (plain and .gz, every error), the real files, and the side each class names."""

import collections
import logging

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_fixtures import MUTATIONS, moving_body, mutate, write_kinder_gator_csv

from core.errors import SkeletonFileError
from core.readers.common import read_lines
from core.readers.datasets import load_dataset
from core.readers.kinder_gator import (
    NAMES_TABLE,
    class_names,
    read_kinder_gator,
    read_names_table,
)
from core.readers.label_presets import LABELS_DIR, read_label_file
from core.skeleton.joint_maps import real_joint_mask
from core.skeleton.layouts import NTU25

J = NTU25.index
REAL = real_joint_mask("kinect_v1_sdk20")
NAME = "POSE-p342_01-{motion}-1455372173704.csv"


def mirrored(body: np.ndarray) -> np.ndarray:
    """The same motion done with the other side: left and right joints swapped, X negated."""
    out = body.copy()
    for left, right in NTU25.left_right_pairs:
        out[:, [left, right]] = body[:, [right, left]]
    out[..., 0] *= -1
    return out


def test_reads_plain_and_gzip_alike(tmp_path):
    body = moving_body(12)
    plain = tmp_path / NAME.format(motion="Bow")
    packed = tmp_path / (NAME.format(motion="Bow") + ".gz")
    write_kinder_gator_csv(plain, body, motion="Bow")
    write_kinder_gator_csv(packed, body, motion="Bow")
    a, b = read_kinder_gator(plain), read_kinder_gator(packed)
    np.testing.assert_array_equal(a.joints, b.joints)
    assert a.joints.shape == (12, 1, 25, 3) and a.valid.all()
    np.testing.assert_allclose(a.joints[:, 0][:, REAL], body[:, REAL], atol=1e-5)
    assert (a.label_name, a.subject, a.extras["motion"], a.extras["order"], a.extras["group"]) == (
        "bow", 342, "Bow", 1, None)  # group comes from the release's Adults/ or Children/ folder
    assert a.fps == pytest.approx(1000 / 33.3) and a.extras["timestamps"][1] == pytest.approx(0.0333)
    assert a.label == class_names(read_names_table()).index("bow")


def raising_right_hand(num_frames: int = 30) -> np.ndarray:
    """The standing body raising the right hand 0.6 m over its rest height and lowering it again."""
    body = moving_body(num_frames, wave=0.0)
    lift = 0.6 * np.sin(np.linspace(0, np.pi, num_frames))
    for name, share in (("ElbowRight", 0.5), ("WristRight", 1.0), ("HandRight", 1.0), ("HandTipRight", 1.0),
                        ("ThumbRight", 1.0)):
        body[:, J[name], 1] += share * lift
    return body


def test_side_comes_from_the_data_not_the_instruction(tmp_path):
    right_arm = raising_right_hand()
    cases = [("Raise-your-hand", right_arm, "raise the right hand"),
             ("Raise-your-other-hand", mirrored(right_arm), "raise the left hand"),
             ("Raise-your-hand", mirrored(right_arm), "raise the left hand"),  # child 342 starts with the left
             ("Raise-your-hand", (right_arm + mirrored(right_arm)) / 2 * [0, 1, 1] + right_arm * [1, 0, 0],
              "raise one hand")]  # both hands alike
    for motion, body, expected in cases:
        path = tmp_path / NAME.format(motion=motion)
        write_kinder_gator_csv(path, body, motion=motion)
        clip = read_kinder_gator(path)
        assert clip.label_name == expected, (motion, clip.extras["moving_side"])
    lean = moving_body(30, wave=0.0)
    tilt = np.linspace(0, 0.15, 30)[:, None]
    above = [j for name, j in J.items() if name not in ("SpineBase", "HipLeft", "HipRight") and "Knee" not in name
             and "Ankle" not in name and "Foot" not in name]
    lean[:, above, 0] -= tilt  # the upper body goes to -X: the performer's left
    path = tmp_path / NAME.format(motion="Put-your-hands-on-your-hips-and-lean-to-the-side")
    write_kinder_gator_csv(path, lean, motion="Put-your-hands-on-your-hips-and-lean-to-the-side")
    assert read_kinder_gator(path).label_name == "lean to the left with the hands on the hips"


def test_untracked_joints_are_invalid(tmp_path):
    body = moving_body(5)
    body[2, J["HandLeft"]] = 0.0
    path = tmp_path / NAME.format(motion="Bow")
    write_kinder_gator_csv(path, body, motion="Bow")
    clip = read_kinder_gator(path)
    assert not clip.valid[2, 0, J["HandLeft"]] and not clip.valid[2, 0, J["HandTipLeft"]]
    assert clip.valid[2, 0, J["HandRight"]] and clip.valid[[0, 1, 3, 4]].all()


def _lines(tmp_path, motion="Bow"):
    path = tmp_path / NAME.format(motion=motion)
    write_kinder_gator_csv(path, moving_body(6), motion=motion)
    return path, path.read_text().splitlines()


def _set(rows: list[str], line: int, column: int, value: str):
    """Put `value` into 0-based `column` of 1-based `line`."""
    values = rows[line - 1].split(",")
    values[column] = value
    rows[line - 1] = ",".join(values)


@pytest.mark.parametrize("edit, match, line, field", [
    (lambda rows: _set(rows, 1, 34, "HandX"), "column 35 is 'HandX'", 1, "header"),
    (lambda rows: rows.__setitem__(3, rows[3].rsplit(",", 4)[0] + ","), "expected 63", 4, "frame"),
    (lambda rows: _set(rows, 4, 35, "abc"), "not a finite number: 'abc'", 4, "HandRightY"),
    (lambda rows: _set(rows, 6, 3, "nan"), "not a finite number: 'nan'", 6, "HipCenterZ"),
    (lambda rows: _set(rows, 5, 0, "1.0"), "goes back", 5, "Timestamp"),
    (lambda rows: _set(rows, 4, 61, "343"), "differs from line 2", 4, "User-ID"),
    (lambda rows: rows.__setitem__(slice(1, None), []), "header only", 2, "frame"),
])
def test_bad_lines_name_line_and_field(tmp_path, edit, match, line, field):
    path, rows = _lines(tmp_path)
    edit(rows)
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(SkeletonFileError, match=match) as error:
        read_kinder_gator(path)
    assert error.value.path == path and error.value.line == line
    assert error.value.field == field


def test_bad_files(tmp_path):
    path, rows = _lines(tmp_path)
    path.write_text("\n".join(r.replace(",Bow,", ",Jump,") for r in rows))
    with pytest.raises(SkeletonFileError, match="differs from the file name") as error:
        read_kinder_gator(path)
    assert error.value.field == "Action"
    unknown, _ = _lines(tmp_path, motion="Moonwalk")
    with pytest.raises(SkeletonFileError, match="unknown motion 'Moonwalk'"):
        read_kinder_gator(unknown)
    zeros = tmp_path / NAME.format(motion="Jump")
    write_kinder_gator_csv(zeros, np.zeros((4, 25, 3), np.float32), motion="Jump")
    with pytest.raises(SkeletonFileError, match="no tracked joint"):
        read_kinder_gator(zeros)
    broken = tmp_path / (NAME.format(motion="Jump") + ".gz")
    write_kinder_gator_csv(broken, moving_body(6), motion="Jump")
    broken.write_bytes(broken.read_bytes()[:40])
    with pytest.raises(SkeletonFileError, match="corrupt or truncated gzip"):
        read_kinder_gator(broken)
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(SkeletonFileError, match="empty file"):
        read_lines(tmp_path / "empty.csv")


BAD_TOKENS = ["nan", "inf", "abc", "", "1e999", "-1", "0", "\x00", "\u03a9", "1,5", " ", "Bow", "Jump"]


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    path = tmp_path_factory.mktemp("kinder_gator_fuzz") / NAME.format(motion="Raise-your-hand")
    write_kinder_gator_csv(path, raising_right_hand(6), motion="Raise-your-hand")
    return path, path.read_bytes()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_files_raise_only_skeleton_file_error(data, original):
    path, content = original
    mutated = path.with_name("mutated-" + path.name)
    mutated.write_bytes(mutate(data, content, BAD_TOKENS, separator=b",", kinds=MUTATIONS[:4]))
    try:
        clip = read_kinder_gator(mutated)
    except SkeletonFileError as error:
        assert error.path == mutated and str(error).startswith(str(mutated))
        return
    assert clip.num_frames > 0 and np.isfinite(clip.joints).all() and clip.label_name


def test_folder_skips_bad_files_and_counts_them(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "data" / "kinder_gator"
    (folder / "Children").mkdir(parents=True)
    (folder / "Adults").mkdir()
    write_kinder_gator_csv(folder / "Children" / NAME.format(motion="Bow"), moving_body(8), motion="Bow")
    write_kinder_gator_csv(folder / "Adults" / "POSE-p565_05-Jump-1469182402284.csv.gz", moving_body(9), pid=565,
                           motion="Jump")
    (folder / "Adults" / "POSE-p565_06-Swim-1469182402299.csv").write_text("Timestamp,oops,\n1,2,\n")
    with caplog.at_level(logging.WARNING):
        dataset = load_dataset("kinder_gator", tmp_path / "data")
    assert sorted((c.label_name, c.extras["group"]) for c in dataset.clips) == [("bow", "child"), ("jump", "adult")]
    assert [(p.rsplit("/", 1)[1], r.startswith("line 1: header:")) for p, r in dataset.bad_files] == [
        ("POSE-p565_06-Swim-1469182402299.csv", True)]
    assert "skipping bad file" in caplog.text


def test_names_table_and_preset_agree():
    table = read_names_table()
    names = class_names(table)
    assert len(table) == 58 and len(names) == len(set(names)) == 69
    assert [label.name for label in read_label_file(LABELS_DIR / "kinder_gator.txt")] == names
    for name in names:
        assert name == " ".join(name.split()) and name[0].islower() and not set(name) & set("-,_{}"), name
    sided = [entry for entry in table.values() if entry.part]
    assert len(sided) == 22 and all("{side}" in entry.name for entry in sided)
    assert NAMES_TABLE.parent == LABELS_DIR


# ---- The real files ----

@pytest.fixture(scope="module")
def real(shared_data):
    return load_dataset("kinder_gator", shared_data)


def test_real_files_parse(real, shared_data):
    assert (len(real.clips), len(real.labels_present()), len(real.class_names)) == (1159, 66, 69)
    assert not real.bad_files
    assert real.class_names == [label.name for label in read_label_file(LABELS_DIR / "kinder_gator.txt")]
    motions = collections.Counter(c.extras["motion"] for c in real.clips)
    assert len(motions) == 58 and motions["Jump-as-high-as-you-can"] == 19
    assert collections.Counter(c.extras["group"] for c in real.clips) == {"adult": 579, "child": 580}
    assert len({c.subject for c in real.clips}) == 20
    fps = np.array([c.fps for c in real.clips])
    assert 29.5 < fps.min() and fps.max() < 30.5  # ~30 Hz sensor clock (frame interval median 32-34 ms)
    assert all(c.valid.all() for c in real.clips)  # no all-zero joints in this release


def test_real_axes_and_bone_lengths(real):
    for group, arm_range, shin_range in (("adult", (0.22, 0.36), (0.32, 0.48)), ("child", (0.14, 0.30),
                                                                                 (0.20, 0.40))):
        x = np.concatenate([c.joints[::5, 0] for c in real.clips if c.extras["group"] == group])
        right = x[:, J["ShoulderRight"], 0] - x[:, J["ShoulderLeft"], 0]
        assert (right > 0).mean() > 0.99 and (x[:, J["Head"], 1] > x[:, J["SpineBase"], 1]).mean() > 0.99
        assert (x[..., 2] > 1.0).all()
        upper_arm = np.median(np.linalg.norm(x[:, J["ShoulderRight"]] - x[:, J["ElbowRight"]], axis=-1))
        shin = np.median(np.linalg.norm(x[:, J["KneeLeft"]] - x[:, J["AnkleLeft"]], axis=-1))
        assert arm_range[0] < upper_arm < arm_range[1] and shin_range[0] < shin < shin_range[1], (group, upper_arm,
                                                                                                  shin)


def _path_length(joints: np.ndarray, joint: str, reference: str, step: int = 5) -> float:
    """Length of the joint's path relative to a body joint, sampled every `step` frames (~6 Hz, above the jitter)."""
    relative = joints[::step, J[joint]] - joints[::step, J[reference]]
    return float(np.linalg.norm(np.diff(relative, axis=0), axis=-1).sum())


def _checked_side(clip, part: str) -> str:
    """The side by another measure than the reader's: which limb travels further (hands, legs), or which shoulder
    drops (lean) while leaning hardest."""
    x = clip.joints[:, 0]
    if part == "lean":
        lean = np.abs(x[:, J["SpineShoulder"], 0] - x[:, J["SpineBase"], 0])
        hard = lean > 0.5 * lean.max()
        tilt = x[hard, J["ShoulderLeft"], 1] - x[hard, J["ShoulderRight"], 1]  # > 0: the right shoulder is lower
        return "right" if tilt.mean() > 0 else "left"
    limb, reference = ("Hand", "SpineShoulder") if part == "hand" else ("Ankle", "SpineBase")
    longer = _path_length(x, limb + "Right", reference) > _path_length(x, limb + "Left", reference)
    return "right" if longer else "left"


def test_the_side_a_class_names_is_the_side_that_moves(real):
    table = read_names_table()
    agree, total, side_free = collections.Counter(), collections.Counter(), collections.Counter()
    for clip in real.clips:
        entry = table[clip.extras["motion"]]
        if entry.part is None:
            assert clip.extras["moving_side"] is None
            continue
        side = clip.extras["moving_side"]
        assert (f" {side} " in f" {clip.label_name} ") if side else clip.label_name == entry.side_free
        if side is None:
            side_free[entry.part] += 1
            continue
        total[entry.part] += 1
        agree[entry.part] += _checked_side(clip, entry.part) == side
    for part in ("hand", "leg", "lean"):
        assert agree[part] >= 0.95 * total[part], (part, agree[part], total[part])
    assert sum(agree.values()) >= 0.95 * sum(total.values())
    assert sum(side_free.values()) <= 0.1 * (sum(total.values()) + sum(side_free.values()))
    # The data README's counts: the first-named variant is mostly done with the right limb, "other" with the left.
    first = collections.Counter(c.extras["moving_side"] for c in real.clips if c.extras["motion"] == "Raise-your-hand")
    other = collections.Counter(c.extras["moving_side"] for c in real.clips
                                if c.extras["motion"] == "Raise-your-other-hand")
    assert first["right"] == 17 and other["left"] >= 14
    child_342 = {c.extras["motion"]: c.label_name for c in real.clips if c.subject == 342}
    assert child_342["Raise-your-hand"] == "raise the left hand"  # a documented exception
