"""Motion-capture datasets as NTU-25 clips seen by a virtual Kinect: Bandai-Namco (BVH) and HDM05 (ASF/AMC).

Mocap gives joints in the studio's world frame (Y up), not a camera's. `virtual_kinect` places one fixed sensor per
clip, facing the performer as they stand in the first frame, so a performer who keeps that orientation appears as
in Kinect data: left-side joints at negative X, toes toward the sensor, Y up, Z away, metres.
"""

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.paths import ASSETS_DIR
from core.readers.asf_amc import AsfSkeleton, read_amc, read_asf
from core.readers.asf_amc import forward_kinematics as asf_forward_kinematics
from core.readers.bvh import forward_kinematics as bvh_forward_kinematics
from core.readers.bvh import read_bvh
from core.readers.common import mapped_clip, read_each
from core.skeleton.clip import Clip
from core.skeleton.joint_maps import SOURCE_JOINT_NAMES

log = logging.getLogger(__name__)

CLASS_NAME_TABLE = ASSETS_DIR / "labels" / "mocap_names.tsv"  # dataset <TAB> raw class <TAB> readable name
SENSOR_DISTANCE_M = 3.0  # initial hips-to-sensor distance along the performer's facing (NTU RGB+D: 2.5-4 m)
SENSOR_HEIGHT_M = 0.9  # above the clip's lowest point (the floor): about hip height, so SpineBase Y is near 0
MIN_DEPTH_M = 1.5  # the sensor backs off so the hips of a performer walking toward it stay this far (limbs >= 0.9 m)
BANDAI_CM = 0.01  # Bandai-Namco BVH units are centimetres (data/README.md)
HDM05_FPS = 120.0
MAX_METRES = 1e4  # farther joints mean a corrupt file (and would overflow the float32 clip)
HDM05_ACTORS = ("bd", "bk", "dg", "mm", "tr")  # subject = position + 1


def virtual_kinect(points: np.ndarray, left: Sequence[int], right: Sequence[int], centre: Sequence[int],
                   feet: Sequence[int]) -> np.ndarray:
    """World points (T, J, 3) in metres with Y up -> the same points in a fixed virtual Kinect's camera frame.

    The sensor faces the performer's first-frame orientation: the horizontal direction from the `left` joints'
    mean to the `right` joints' mean is the camera's +X, world up is +Y, and the performer's forward (up x right)
    points at the sensor, -Z. It stands SENSOR_DISTANCE_M in front of the first-frame `centre` (pushed back when the
    performer later comes closer than MIN_DEPTH_M), SENSOR_HEIGHT_M above the floor (the lowest `feet` point of
    the clip), looking level. A proper rotation, never a mirror, so anatomical left stays left.

    The sensor never moves: a performer who turns (walk turning left/right, circles) is seen from the side or the
    back later in the clip, still with anatomical left/right labels (a real Kinect would swap them when seen from
    behind); walking sideways or on a diagonal moves the body along X, walking forward or back moves it along Z.
    Clips that walk or run toward the sensor start farther away than a Kinect could see (up to ~12 m for the
    Bandai-Namco walks; a Kinect v2 tracks 0.5-4.5 m), so that they end MIN_DEPTH_M in front of it.
    """
    across = points[0, list(right)].mean(axis=0) - points[0, list(left)].mean(axis=0)
    across[1] = 0.0
    norm = np.linalg.norm(across)
    if not np.isfinite(norm) or norm < 1e-6:
        raise ValueError("left and right joints coincide in the first frame: no facing direction")
    x_axis = across / norm
    up = np.array([0.0, 1.0, 0.0])
    forward = np.cross(up, x_axis)
    start = points[0, list(centre)].mean(axis=0)
    approach = ((points[:, list(centre)].mean(axis=1) - start) @ forward).max()
    sensor = start + max(SENSOR_DISTANCE_M, approach + MIN_DEPTH_M) * forward
    sensor[1] = points[:, list(feet), 1].min() + SENSOR_HEIGHT_M
    return (points - sensor) @ np.stack([x_axis, up, -forward]).T


def _source_points(path: Path, names: Sequence[str], positions: np.ndarray, source: str) -> np.ndarray:
    """Positions (T, J, 3) of a file's joints -> (T, S, 3) in the joint-map source's order (matched lower-case)."""
    index = {name.lower(): j for j, name in enumerate(names)}
    missing = [name for name in SOURCE_JOINT_NAMES[source] if name not in index]
    if missing:
        raise SkeletonFileError(path, f"no joint {missing[0]!r} (a {source} skeleton is expected)", field="hierarchy")
    return positions[:, [index[name] for name in SOURCE_JOINT_NAMES[source]]]


def _camera_clip(path: Path, world: np.ndarray, source: str, sides: dict[str, tuple[str, ...]], **metadata) -> Clip:
    if not (np.abs(world) < MAX_METRES).all():  # also catches NaN/inf
        raise SkeletonFileError(path, f"joint positions beyond {MAX_METRES:g} m (values too large)", field="frame")
    order = {name: j for j, name in enumerate(SOURCE_JOINT_NAMES[source])}
    try:
        camera = virtual_kinect(world, *[[order[n] for n in sides[k]] for k in ("left", "right", "centre", "feet")])
    except ValueError as error:
        raise SkeletonFileError(path, str(error), field="frame 1") from error
    return mapped_clip(path, camera, np.ones(len(camera), bool), source, **metadata)


BANDAI_SIDES = {"left": ("upperarm_l", "upperleg_l"), "right": ("upperarm_r", "upperleg_r"),
                "centre": ("upperleg_l", "upperleg_r"), "feet": ("foot_l", "toes_l", "foot_r", "toes_r")}
HDM05_SIDES = {"left": ("lclavicle", "lhipjoint"), "right": ("rclavicle", "rhipjoint"),
               "centre": ("lhipjoint", "rhipjoint"), "feet": ("lfoot", "ltoes", "rfoot", "rtoes")}
BANDAI_NAME = re.compile(r"^dataset-(?P<set>[12])_(?P<content>[^_]+)_(?P<style>[^_]+)_(?P<take>\d+)\.bvh(\.gz)?$")
HDM05_NAME = re.compile(r"^HDM_(?P<actor>[a-z]+)_(?P<cls>[^_]+)_(?P<take>\d+)_(?P<fps>\d+)\.amc(\.gz)?$",
                        re.IGNORECASE)


def read_bandai_namco(path: str | Path, class_names: dict[str, str] | None = None,
                      label_of: dict[str, int] | None = None) -> Clip:
    """A Bandai-Namco `dataset-{1|2}_{content}_{style}_{take}.bvh[.gz]` -> single-body NTU-25 Clip at the file's fps.

    Forward kinematics compose joint_Root x Hips x ... (the trajectory is on Hips, in 4 clips on joint_Root),
    centimetres -> metres, then virtual_kinect. class_names maps the raw content to its readable name (label_name),
    label_of the readable name to its index. extras: set (1 or 2), content, style, take.
    Raises SkeletonFileError for a bad BVH (see read_bvh) or a skeleton without the Bandai-Namco joints.
    """
    path = Path(path)
    motion = read_bvh(path)
    positions, _ = bvh_forward_kinematics(motion)
    world = _source_points(path, motion.skeleton.names, positions, "bandai_namco22") * BANDAI_CM
    match = BANDAI_NAME.match(path.name)
    readable = class_names.get(match["content"]) if match and class_names else None
    clip = _camera_clip(path, world, "bandai_namco22", BANDAI_SIDES, fps=motion.fps, label_name=readable,
                        label=label_of.get(readable) if label_of and readable else None)
    if match:
        clip.extras.update(set=int(match["set"]), content=match["content"], style=match["style"],
                           take=int(match["take"]))
    return clip


def read_hdm05(path: str | Path, skeleton: AsfSkeleton, class_names: dict[str, str] | None = None,
               label_of: dict[str, int] | None = None) -> Clip:
    """An HDM05 `HDM_{actor}_{class}_{take}_{fps}.amc[.gz]` with its actor's ASF -> single-body NTU-25 Clip.

    Forward kinematics in metres (ASF length unit 0.45 -> inches -> metres), then virtual_kinect. fps from the
    name's last number (120). subject = actor's position in HDM05_ACTORS + 1; extras: actor, raw_class, take.
    Raises SkeletonFileError for a bad AMC (see read_amc) or a skeleton without the HDM05 bones.
    """
    path = Path(path)
    motion = read_amc(path, skeleton)
    world = _source_points(path, skeleton.names, asf_forward_kinematics(skeleton, motion), "hdm05_31")
    match = HDM05_NAME.match(path.name)
    readable = class_names.get(match["cls"]) if match and class_names else None
    actor = match["actor"].lower() if match else None
    clip = _camera_clip(path, world, "hdm05_31", HDM05_SIDES, fps=float(match["fps"]) if match else HDM05_FPS,
                        label_name=readable, label=label_of.get(readable) if label_of and readable else None,
                        subject=HDM05_ACTORS.index(actor) + 1 if actor in HDM05_ACTORS else None)
    if match:
        clip.extras.update(actor=actor, raw_class=match["cls"], take=int(match["take"]))
    return clip


def read_class_names(dataset: str, path: Path = CLASS_NAME_TABLE) -> dict[str, str]:
    """The raw -> readable class names of one dataset, in table order. Raises SkeletonFileError for a bad row."""
    names: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or not all(f.strip() for f in fields):
            raise SkeletonFileError(path, "expected 'dataset<TAB>raw name<TAB>readable name'", line=number,
                                    field="class name")
        if fields[0] == dataset:
            names[fields[1].strip()] = fields[2].strip()
    return names


def _unique(files) -> list[Path]:
    """One file per clip: `x.bvh` wins over `x.bvh.gz` when both are there (after `gunzip -k`)."""
    chosen: dict[str, Path] = {}
    for path in sorted(files):
        stem = path.name.removesuffix(".gz")
        key = str(path.parent / stem.lower())
        if key not in chosen or not path.name.endswith(".gz"):
            chosen[key] = path
    return sorted(chosen.values())


def _labelled(path: Path, pattern: re.Pattern, group: str, names: dict[str, str], bad_files: list) -> bool:
    match = pattern.match(path.name)
    if match and match[group] in names:
        return True
    reason = f"class {match[group]!r} is not in {CLASS_NAME_TABLE.name}" if match else "unexpected file name"
    log.warning("skipping %s: %s", path, reason)
    bad_files.append((str(path), reason))
    return False


def load_bandai_namco(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    """Both Bandai-Namco sets (dataset-1/data, dataset-2/data) as one dataset: same actors, skeleton and studio."""
    names = read_class_names("bandai_namco")
    class_list = list(dict.fromkeys(names.values()))
    label_of = {name: k for k, name in enumerate(class_list)}
    files = _unique(p for sub in ("dataset-1", "dataset-2") for p in (folder / sub / "data").glob("*.bvh*"))
    if not files:
        raise FileNotFoundError(f"no dataset-*/data/*.bvh[.gz] files in {folder}")
    files = [p for p in files if _labelled(p, BANDAI_NAME, "content", names, bad_files)]
    return read_each(files, lambda p: read_bandai_namco(p, names, label_of), bad_files), class_list


def load_hdm05(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    """HDM05 cuts: every HDM_{actor}_*.amc[.gz] with its HDM_{actor}.asf."""
    names = read_class_names("hdm05")
    class_list = list(dict.fromkeys(names.values()))
    label_of = {name: k for k, name in enumerate(class_list)}
    skeletons: dict[str, AsfSkeleton | SkeletonFileError] = {}

    def read(path: Path) -> Clip:
        actor = HDM05_NAME.match(path.name)["actor"]
        if actor not in skeletons:
            try:
                skeletons[actor] = read_asf(folder / f"HDM_{actor}.asf")
            except SkeletonFileError as error:
                skeletons[actor] = error
        skeleton = skeletons[actor]
        if isinstance(skeleton, SkeletonFileError):
            raise SkeletonFileError(path, f"its skeleton {skeleton.path.name} is bad: {skeleton}", field="asf")
        return read_hdm05(path, skeleton, names, label_of)

    files = [p for p in _unique(folder.glob("*.[aA][mM][cC]*")) if _labelled(p, HDM05_NAME, "cls", names, bad_files)]
    return read_each(files, read, bad_files), class_list
