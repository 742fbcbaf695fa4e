"""ASF/AMC reader: forward kinematics on a tiny written skeleton, every error case, and the HDM05 dataset."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_fixtures import mutate

from core.errors import SkeletonFileError
from core.readers.asf_amc import forward_kinematics, read_amc, read_asf
from core.readers.datasets import load_dataset
from core.readers.label_presets import load_preset
from core.readers.mocap_datasets import read_class_names, read_hdm05
from core.skeleton.layouts import NTU25

J = NTU25.index

# Two bones along +X: `upper` 4.5 units = 10 inches = 0.254 m, `lower` 9 units = 0.508 m, whose local frame is
# turned 90 degrees about Z (so its rx turns about world Y).
ASF = """# tiny
:version 1.10
:name VICON
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
   written by the test
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name upper
     direction 1 0 0
     length 4.5
     axis 0 0 0  XYZ
    dof rx ry rz
    limits (-180.0 180.0)
           (-180.0 180.0)
           (-180.0 180.0)
  end
  begin
     id 2
     name lower
     direction 1 0 0
     length 9
     axis 0 0 90  XYZ
    dof rx
    limits (-180.0 180.0)
  end
:hierarchy
  begin
    root upper
    upper lower
  end
"""
FRAMES = [  # (root TX TY TZ RX RY RZ, upper rx ry rz, lower rx) -> expected (root, upper end, lower end) in metres
    ((0, 0, 0, 0, 0, 0), (0, 0, 0), (0,), [(0, 0, 0), (0.254, 0, 0), (0.762, 0, 0)]),
    ((4.5, 0, 0, 0, 0, 0), (0, 0, 90), (0,), [(0.254, 0, 0), (0.254, 0.254, 0), (0.254, 0.762, 0)]),
    ((0, 0, 0, 0, 0, 0), (0, 0, 0), (90,), [(0, 0, 0), (0.254, 0, 0), (0.254, 0, -0.508)]),
    # Acclaim order: rx first, then ry (the matrix Ry @ Rx): +X stays under Rx, then goes to -Z
    ((0, 0, 0, 0, 0, 0), (90, 90, 0), (0,), [(0, 0, 0), (0, 0, -0.254), (0, 0, -0.762)]),
    ((0, 0, 0, 0, 90, 0), (0, 0, 0), (0,), [(0, 0, 0), (0, 0, -0.254), (0, 0, -0.762)]),
]


def amc_text(frames=FRAMES, swap_in_frame: int | None = None, radians: bool = False) -> str:
    lines = ["#!OML:ASF X:\\f\xfcr Bonn\\tiny.asf", ":FULLY-SPECIFIED", ":RADIANS" if radians else ":DEGREES"]
    def values(angles, translation=()):
        angles = np.radians(angles) if radians else np.asarray(angles, float)
        return " ".join(f"{v:.12g}" for v in (*translation, *angles))

    for number, (root, upper, lower, _) in enumerate(frames, start=1):
        rows = [f"root {values(root[3:], root[:3])}", f"upper {values(upper)}", f"lower {values(lower)}"]
        if swap_in_frame == number:
            rows = [rows[0], rows[2], rows[1]]
        lines += [str(number)] + rows
    return "\r\n".join(lines) + "\r\n"


def _write(path: Path, text: str) -> Path:
    data = text.encode("latin-1")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.fixture
def asf(tmp_path):
    return read_asf(_write(tmp_path / "tiny.asf", ASF))


@pytest.mark.parametrize("name, swap, radians", [("a.amc", None, False), ("a.amc.gz", None, False),
                                                 ("b.amc", 2, False), ("c.amc.gz", None, True)])
def test_forward_kinematics_on_a_tiny_skeleton(tmp_path, asf, name, swap, radians):
    assert asf.names == ("root", "upper", "lower") and asf.parents == (-1, 0, 1)
    assert asf.metres_per_unit() == pytest.approx(0.0254 / 0.45)
    motion = read_amc(_write(tmp_path / name, amc_text(swap_in_frame=swap, radians=radians)), asf)
    assert motion.num_frames == len(FRAMES) and motion.degrees == (not radians)
    positions = forward_kinematics(asf, motion)
    for frame, (*_, expected) in enumerate(FRAMES):
        np.testing.assert_allclose(positions[frame], expected, atol=1e-9, err_msg=f"frame {frame + 1}")


def _asf(old: str, new: str) -> str:
    assert old in ASF, old
    return ASF.replace(old, new, 1)


ASF_ERRORS = {  # name: (text, line, field, fragment)
    "no root order": (_asf("   order TX TY TZ RX RY RZ\n", ""), None, "root", "no :root"),
    "bad root order": (_asf("order TX TY TZ RX RY RZ", "order TX TY TQ RX RY RZ"), 11, "root order", "bad root"),
    "no direction": (_asf("     direction 1 0 0\n     length 4.5", "     length 4.5"), 25, "direction", "no direction"),
    "bad length": (_asf("length 4.5", "length four"), 20, "length", "not a number"),
    "bad unit": (_asf("length 0.45", "length 0"), 6, "units length", "positive"),
    "bad dof": (_asf("dof rx ry rz", "dof rx ry tx"), 22, "dof", "unsupported dof"),
    "bad axis": (_asf("axis 0 0 90  XYZ", "axis 0 0 90  XYQ"), 32, "axis", "permutation of XYZ"),
    "unknown bone in hierarchy": (_asf("upper lower\n", "upper lower hand\n"), 39, "hierarchy", "unknown bone 'hand'"),
    "bone outside hierarchy": (_asf("    upper lower\n", ""), 27, "hierarchy", "not in the :hierarchy"),
    "bone twice": (_asf("name lower", "name upper"), 35, "name", "defined twice"),
}


@pytest.mark.parametrize("case", list(ASF_ERRORS))
def test_each_asf_error_names_file_line_and_field(tmp_path, case):
    text, line, field, fragment = ASF_ERRORS[case]
    path = _write(tmp_path / "bad.asf", text)
    with pytest.raises(SkeletonFileError) as caught:
        read_asf(path)
    error = caught.value
    assert error.path == path and fragment in error.problem and error.field == field, str(error)
    if line is not None:
        assert error.line == line, str(error)


def _amc(old: str, new: str) -> str:
    text = amc_text()
    assert old in text, old
    return text.replace(old, new, 1)


AMC_ERRORS = {  # the frames start on line 4: frame 1 is lines 4-7, frame 2 lines 8-11
    "unknown bone": (_amc("upper 0 0 90", "uper 0 0 90"), 10, "bone", "unknown bone 'uper'"),
    "too few values": (_amc("upper 0 0 90", "upper 0 90"), 10, "upper", "expected 3 numbers"),
    "not a number": (_amc("upper 0 0 90", "upper 0 x 90"), 10, "upper", "not a number"),
    "nan": (_amc("upper 0 0 90", "upper 0 nan 90"), 10, "upper", "non-finite"),
    "frame number jumps": (_amc("\r\n2\r\n", "\r\n3\r\n"), 8, "frame number", "follows frame 1"),
    "bone missing": (_amc("\r\nlower 0\r\n2\r\n", "\r\n2\r\n"), 7, "frame", "lacks bone 'lower'"),
    "bone twice": (_amc("\r\nlower 0\r\n2\r\n", "\r\nlower 0\r\nlower 0\r\n2\r\n"), 8, "lower", "twice"),
    "truncated": (amc_text()[:-9], None, "frame", "lacks bone"),
    "no frames": (":FULLY-SPECIFIED\r\n:DEGREES\r\n", None, "frame", "no frames"),
    "values before a frame number": (":DEGREES\r\nroot 0 0 0 0 0 0\r\n", 2, "frame number", "expected a frame"),
}


@pytest.mark.parametrize("case", list(AMC_ERRORS))
def test_each_amc_error_names_file_line_and_field(tmp_path, asf, case):
    text, line, field, fragment = AMC_ERRORS[case]
    path = _write(tmp_path / "bad.amc.gz", text)
    with pytest.raises(SkeletonFileError) as caught:
        read_amc(path, asf)
    error = caught.value
    assert error.path == path and fragment in error.problem and error.field == field, str(error)
    if line is not None:
        assert error.line == line, str(error)


def test_unreadable_amc_files(tmp_path, asf):
    for content, fragment in ((b"\x1f\x8b\x08\x00junk", "gzip"), (gzip.compress(b""), "empty file"),
                              (gzip.compress(b"1\x00\n"), "NUL")):
        path = tmp_path / "x.amc.gz"
        path.write_bytes(content)
        with pytest.raises(SkeletonFileError, match=fragment):
            read_amc(path, asf)
    with pytest.raises(SkeletonFileError, match="cannot read"):
        read_asf(tmp_path / "missing.asf")


def test_a_folder_skips_bad_files_and_counts_them(tmp_path, monkeypatch, asf):
    """A tiny skeleton is not an HDM05 one: its AMC files are reported bad, like a broken one; a missing ASF too."""
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "data" / "hdm05"
    folder.mkdir(parents=True)
    _write(folder / "HDM_bd.asf", ASF)
    _write(folder / "HDM_bd_squat1Reps_001_120.amc.gz", amc_text())
    _write(folder / "HDM_bd_squat1Reps_002_120.amc", _amc("upper 0 0 90", "upper 0 90"))
    _write(folder / "HDM_xx_squat1Reps_003_120.amc", amc_text())
    _write(folder / "HDM_bd_fly_004_120.amc", amc_text())
    dataset = load_dataset("hdm05", tmp_path / "data")
    reasons = {Path(p).name: r for p, r in dataset.bad_files}
    assert not dataset.clips and len(dataset.class_names) == 11
    assert "no joint 'lhipjoint'" in reasons["HDM_bd_squat1Reps_001_120.amc.gz"]
    assert reasons["HDM_bd_squat1Reps_002_120.amc"].startswith("line 10: upper: expected 3 numbers")
    assert "HDM_xx.asf is bad" in reasons["HDM_xx_squat1Reps_003_120.amc"]
    assert "'fly'" in reasons["HDM_bd_fly_004_120.amc"]


@pytest.mark.parametrize("dataset, size", [("hdm05", 11), ("bandai_namco", 25)])
def test_presets_follow_the_class_name_table(dataset, size):
    table = read_class_names(dataset)
    names = list(dict.fromkeys(table.values()))
    labels = load_preset(dataset)
    assert [label.name for label in labels] == names and len(names) == size
    assert all(8 <= len(label.description.split()) <= 60 for label in labels)
    sides = {"depositFloorR": ("right hand",), "elbowToKnee1RepsLelbowStart": ("left elbow", "right knee"),
             "grabHighR": ("right hand",), "jogLeftCircle4StepsRstart": ("to the left", "right foot"),
             "kickLFront1Reps": ("left leg",), "sneak2StepsLStart": ("left foot",),
             # Bandai-Namco names without a side, given one from the data (test_bvh checks it moves)
             "bye": ("right hand",), "guide": ("right hand",), "respond": ("left hand",)}
    for raw, name in table.items():  # the side a raw name gives is the side the readable name says
        words = sides.get(raw) or [side for side in ("left", "right") if side in raw]
        assert all(word in name for word in words), (raw, name)
        assert not ({"left", "right"} & set(name.split())) or words, (raw, name)


ASF_AMC_BAD_TOKENS = ["nan", "inf", "abc", "", "1e999", "-1", "0", "1e300", "root", "upper", "begin", "end", ":root",
                      "XYQ"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_files_give_finite_positions_or_a_skeleton_file_error(data, tmp_path_factory):
    folder = tmp_path_factory.getbasetemp()
    asf_path, amc_path = folder / "fuzz.asf", folder / "fuzz.amc"
    asf_text, amc = ASF.encode("latin-1"), amc_text().encode("latin-1")
    if data.draw(st.booleans()):
        asf_text = mutate(data, asf_text, ASF_AMC_BAD_TOKENS)
    else:
        amc = mutate(data, amc, ASF_AMC_BAD_TOKENS)
    asf_path.write_bytes(asf_text)
    amc_path.write_bytes(amc)
    try:
        skeleton = read_asf(asf_path)
        positions = forward_kinematics(skeleton, read_amc(amc_path, skeleton))
    except SkeletonFileError as error:
        assert error.path in (asf_path, amc_path) and str(error).startswith(str(error.path))
        return
    assert positions.shape[0] > 0 and positions.shape[2] == 3
    assert np.isfinite(positions).all() or not np.isfinite(skeleton.lengths).all() or np.abs(positions).max() > 1e100


# ---- The real data (skipped without ../shared/data) ----

@pytest.fixture(scope="module")
def hdm05(shared_data):
    return load_dataset("hdm05", shared_data)


def test_real_counts(hdm05):
    assert len(hdm05.clips) == 288 and not hdm05.bad_files and len(hdm05.labels_present()) == 11
    assert sum(c.num_frames for c in hdm05.clips) == 71286 and {c.fps for c in hdm05.clips} == {120.0}
    subjects = {s: sum(c.subject == s for c in hdm05.clips) for s in range(1, 6)}
    assert subjects == {1: 62, 2: 66, 3: 61, 4: 44, 5: 55}  # bd bk dg mm tr, data/README.md
    assert hdm05.class_names[2] == "grab high with the right hand"


def test_real_bone_lengths_are_the_asf_lengths(hdm05, shared_data):
    bones = {("KneeLeft", "AnkleLeft"): "ltibia", ("KneeRight", "AnkleRight"): "rtibia", ("AnkleLeft", "FootLeft"): "lfoot",
             ("WristLeft", "HandLeft"): "lhand",
             ("HandRight", "HandTipRight"): "rfingers", ("SpineShoulder", "Neck"): "lowerneck"}
    skeletons = {actor: read_asf(shared_data / "hdm05" / f"HDM_{actor}.asf") for actor in ("bd", "bk", "dg", "mm", "tr")}
    for clip in hdm05.clips[::6]:
        skeleton = skeletons[clip.extras["actor"]]
        for (a, b), bone in bones.items():
            length = np.linalg.norm(clip.joints[:, 0, J[a]] - clip.joints[:, 0, J[b]], axis=-1)
            expected = skeleton.lengths[skeleton.names.index(bone)] * skeleton.metres_per_unit()
            assert np.abs(length - expected).max() < 0.01, (clip.source, bone, length.max(), expected)
        femur = skeleton.lengths[skeleton.names.index("lfemur")] * skeleton.metres_per_unit()
        assert 0.37 < femur < 0.46  # data/README.md: femurs 0.38-0.45 m


def _first_move(x, joint, metres=0.1) -> int:
    travel = np.linalg.norm(x[:, J[joint]] - x[0, J[joint]], axis=-1)
    return int(np.argmax(travel > metres)) if (travel > metres).any() else len(x)


def heading_change(x) -> float:
    """Degrees the body turns over the clip, positive to the performer's left (as in test_bvh)."""
    right = x[:, J["ShoulderRight"]] - x[:, J["ShoulderLeft"]] + x[:, J["HipRight"]] - x[:, J["HipLeft"]]
    forward = np.cross([0.0, 1.0, 0.0], right)
    angle = np.unwrap(np.arctan2(forward[:, 0], forward[:, 2]))
    return float(np.degrees(angle[-1] - angle[0]))


def test_real_the_side_a_class_names_is_the_side_that_moves(hdm05):
    def frac(raw, test):
        clips = [c.joints[:, 0] for c in hdm05.clips if c.extras["raw_class"] == raw]
        assert clips, raw
        return float(np.mean([test(x) for x in clips]))

    def top(x, joint):
        return x[:, J[joint], 1].max()

    assert frac("grabHighR", lambda x: top(x, "HandRight") > top(x, "HandLeft")) >= 0.95
    assert frac("depositFloorR", lambda x: x[:, J["HandRight"], 1].min() < x[:, J["HandLeft"], 1].min()) >= 0.95
    assert frac("kickLFront1Reps", lambda x: top(x, "AnkleLeft") > top(x, "AnkleRight")) >= 0.95
    assert frac("sneak2StepsLStart", lambda x: _first_move(x, "AnkleLeft") < _first_move(x, "AnkleRight")) >= 0.95
    assert frac("jogLeftCircle4StepsRstart", lambda x: heading_change(x) > 45) >= 0.95

    def gap(x, elbow, knee):
        return np.linalg.norm(x[:, J[elbow]] - x[:, J[knee]], axis=-1).min()
    assert frac("elbowToKnee1RepsLelbowStart", lambda x: gap(x, "ElbowLeft", "KneeRight") < gap(x, "ElbowRight", "KneeLeft")) >= 0.95


def test_real_rotation_order_keeps_planted_feet_on_the_floor(hdm05):
    """Acclaim's order (rx applied first) keeps the lower foot's height within ~1 cm while a performer reaches up or
    down; the reverse order makes it wander by ~12 cm and the feet slide 10 times faster (measured on HDM_bd)."""
    for raw in ("grabHighR", "depositFloorR", "rotateArmsBothBackward1Reps", "kickLFront1Reps"):
        clips = [c.joints[:, 0] for c in hdm05.clips if c.extras["raw_class"] == raw]
        wander = [np.std(np.minimum(x[:, J["FootLeft"], 1], x[:, J["FootRight"], 1])) for x in clips]
        assert np.median(wander) < 0.015, (raw, np.median(wander))


def test_real_widths_are_kinect_v2_widths(hdm05):
    """Shoulders and hips are moved to Kinect v2's width over the torso (GTU and NTU: 0.586-0.635 and 0.252-0.290)."""
    x = np.concatenate([c.joints[::10, 0] for c in hdm05.clips])
    torso = np.linalg.norm(x[:, J["SpineShoulder"]] - x[:, J["SpineBase"]], axis=-1)
    for left, right, kinect in (("ShoulderLeft", "ShoulderRight", 0.611), ("HipLeft", "HipRight", 0.271)):
        width = np.linalg.norm(x[:, J[left]] - x[:, J[right]], axis=-1)
        assert np.median(width / torso) == pytest.approx(kinect, abs=0.02), left


def test_real_standing_performers_face_the_sensor(hdm05):
    first = np.stack([c.joints[0, 0] for c in hdm05.clips])
    assert (first[:, J["ShoulderLeft"], 0] < first[:, J["ShoulderRight"], 0]).all()
    feet = first[:, J["FootLeft"]] - first[:, J["AnkleLeft"]] + first[:, J["FootRight"]] - first[:, J["AnkleRight"]]
    assert (feet[:, 2] < 0).mean() > 0.95
    assert np.median(first[:, J["Head"], 1] - first[:, J["FootLeft"], 1]) == pytest.approx(1.6, abs=0.15)
    assert all((c.joints[..., 2] > 0.5).all() for c in hdm05.clips)


def test_read_hdm05_without_names(shared_data):
    folder = shared_data / "hdm05"
    clip = read_hdm05(folder / "HDM_tr_squat1Reps_041_120.amc.gz", read_asf(folder / "HDM_tr.asf"))
    assert (clip.label, clip.label_name, clip.subject, clip.fps) == (None, None, 5, 120.0)
    assert clip.extras["raw_class"] == "squat1Reps" and clip.valid.all()
