"""A general Acclaim ASF/AMC reader (skeleton + motion) with forward kinematics and the ASF length unit.

Conventions (Acclaim; as the CMU and HDM05 parsers read them): a bone's `direction` is in world axes at rest; its
`axis` angles give the bone's local frame C (listed order "XYZ" = the matrix Rz @ Ry @ Rx, rotating about x first);
a frame's dof angles, in the bone's `dof` order, make M the same way; the bone's global rotation is
parent_global @ C @ M @ C^T and its end lies `length` along global @ direction from its parent's end. Lengths and
root translations are in ASF units: inches = value / `:units length` (0.45 in CMU and HDM05 files), metres =
inches * 0.0254. AMC files may be plain or gzip-compressed (`.amc.gz`); both are read as Latin-1 (HDM05 headers
hold a Latin-1 byte).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.readers.bvh import euler_matrices
from core.readers.common import read_text

INCH_IN_METRES = 0.0254
_AXES = {"x": 0, "y": 1, "z": 2}


@dataclass(frozen=True)
class AsfSkeleton:
    """An ASF file. Point 0 is the root; point j > 0 is the end of bone names[j]. Bones in file order."""

    path: Path
    names: tuple[str, ...]  # "root", then the bones
    parents: tuple[int, ...]  # -1 for the root
    directions: np.ndarray  # (J, 3) unit vectors, world axes at rest (zero for the root)
    lengths: np.ndarray  # (J,) ASF units
    frames: np.ndarray  # (J, 3, 3) C: each bone's local axes (root: its orientation)
    dofs: tuple[tuple[str, ...], ...]  # per point, lower-case ("rx", "ry"...; the root's "tx".. too)
    root_position: np.ndarray  # (3,) ASF units
    length_unit: float  # the `:units length` value: ASF units per inch
    degrees: bool

    def metres_per_unit(self) -> float:
        return INCH_IN_METRES / self.length_unit


def _floats(path, tokens, line, field, count=None):
    if count is not None and len(tokens) != count:
        raise SkeletonFileError(path, f"expected {count} numbers, got {len(tokens)}", line=line, field=field)
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        raise SkeletonFileError(path, f"not a number in {' '.join(tokens)[:60]!r}", line=line, field=field) from None
    if not np.isfinite(values).all():
        raise SkeletonFileError(path, f"non-finite value in {' '.join(tokens)[:60]!r}", line=line, field=field)
    return values


def _frame(path, angles, order: str, degrees: bool, line: int, field: str) -> np.ndarray:
    """Axis angles listed in `order` ("XYZ") -> the Acclaim matrix R_last @ ... @ R_first."""
    if sorted(order.lower()) != ["x", "y", "z"]:
        raise SkeletonFileError(path, f"axis order must be a permutation of XYZ, got {order!r}", line=line,
                                field=field)
    axes = tuple(_AXES[a] for a in order.lower())
    values = np.asarray(angles, dtype=np.float64) if degrees else np.rad2deg(angles)
    return euler_matrices(values[::-1], axes[::-1])


def read_asf(path: str | Path) -> AsfSkeleton:
    """An ASF skeleton file -> AsfSkeleton. Raises SkeletonFileError naming the file, line and field: a missing
    section, a bone without name/direction/length, an unknown dof, a hierarchy naming an unknown or repeated bone,
    a bone outside the hierarchy, non-numbers."""
    path = Path(path)
    lines = read_text(path, "latin-1").split("\n")
    section, unit, degrees, root_order, root_axis = None, 1.0, True, None, "XYZ"
    root_position, root_orientation, root_line = [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0
    bones: dict[str, dict] = {}
    bone = None
    children: dict[str, list[str]] = {}
    for row, text in enumerate(lines):
        tokens, line = text.split(), row + 1
        if not tokens or tokens[0].startswith("#"):
            continue
        key = tokens[0].lower()
        if key.startswith(":"):
            section = key
            if key == ":root":
                root_line = line
            continue
        if section == ":units":
            if key == "length":
                unit = _floats(path, tokens[1:], line, "units length", 1)[0]
                if unit <= 0:
                    raise SkeletonFileError(path, f"length unit must be positive, got {unit}", line=line,
                                            field="units length")
            elif key == "angle":
                degrees = tokens[1].lower().startswith("deg") if len(tokens) > 1 else True
        elif section == ":root":
            if key == "order":
                root_order = tuple(t.lower() for t in tokens[1:])
                if sorted(root_order) != sorted(set(root_order)) or not set(root_order) <= {
                        "tx", "ty", "tz", "rx", "ry", "rz"}:
                    raise SkeletonFileError(path, f"bad root order {' '.join(tokens[1:])!r}", line=line,
                                            field="root order")
            elif key == "axis":
                root_axis = tokens[1] if len(tokens) > 1 else ""
            elif key == "position":
                root_position = _floats(path, tokens[1:], line, "root position", 3)
            elif key == "orientation":
                root_orientation = _floats(path, tokens[1:], line, "root orientation", 3)
        elif section == ":bonedata":
            if key == "begin":
                bone = {"line": line, "dof": ()}
            elif key == "end":
                if bone is None or "name" not in bone:
                    raise SkeletonFileError(path, "bone without a name", line=line, field="bonedata")
                for needed in ("direction", "length"):
                    if needed not in bone:
                        raise SkeletonFileError(path, f"bone {bone['name']!r} has no {needed}", line=line,
                                                field=needed)
                if bone["name"] in bones or bone["name"] == "root":
                    raise SkeletonFileError(path, f"bone {bone['name']!r} defined twice", line=line, field="name")
                bones[bone["name"]] = bone
                bone = None
            elif bone is None:
                raise SkeletonFileError(path, f"{tokens[0]!r} outside begin/end", line=line, field="bonedata")
            elif key == "name" and len(tokens) == 2:
                bone["name"] = tokens[1]
            elif key == "direction":
                bone["direction"] = _floats(path, tokens[1:], line, "direction", 3)
            elif key == "length":
                bone["length"] = _floats(path, tokens[1:], line, "length", 1)[0]
            elif key == "axis":
                if len(tokens) != 5:
                    raise SkeletonFileError(path, "expected 'axis a b c ORDER'", line=line, field="axis")
                bone["frame"] = (_floats(path, tokens[1:4], line, "axis", 3), tokens[4], line)
            elif key == "dof":
                dofs = tuple(t.lower() for t in tokens[1:])
                if not set(dofs) <= {"rx", "ry", "rz"} or len(set(dofs)) != len(dofs):
                    raise SkeletonFileError(path, f"unsupported dof {' '.join(tokens[1:])!r}", line=line,
                                            field="dof")
                bone["dof"] = dofs
        elif section == ":hierarchy" and key not in ("begin", "end"):
            for name in tokens:
                if name != "root" and name not in bones:
                    raise SkeletonFileError(path, f"unknown bone {name!r}", line=line, field="hierarchy")
            kids = children.setdefault(tokens[0], [])
            for child in tokens[1:]:
                if child in kids:
                    raise SkeletonFileError(path, f"{child!r} listed twice", line=line, field="hierarchy")
                kids.append(child)
    if root_order is None:
        raise SkeletonFileError(path, "no :root section with an order", field="root")
    if not bones:
        raise SkeletonFileError(path, "no :bonedata bones", field="bonedata")
    parent_of = {child: parent for parent, kids in children.items() for child in kids}
    orphans = [name for name in bones if name not in parent_of]
    if orphans:
        raise SkeletonFileError(path, f"bone {orphans[0]!r} is not in the :hierarchy", line=bones[orphans[0]]["line"],
                                field="hierarchy")
    order = ["root"]  # breadth-first from the root: every parent before its children
    for name in order:
        order.extend(children.get(name, ()))
        if len(order) > len(bones) + 1:
            break
    if len(order) != len(bones) + 1 or len(set(order)) != len(order):
        raise SkeletonFileError(path, "the :hierarchy has a loop or a bone twice", field="hierarchy")
    names = tuple(order)
    index = {name: j for j, name in enumerate(names)}
    frames = [_frame(path, root_orientation, root_axis, degrees, root_line, "root axis")]
    directions, lengths = [np.zeros(3)], [0.0]
    for name in names[1:]:
        data = bones[name]
        direction = np.asarray(data["direction"])
        norm = np.linalg.norm(direction)
        if norm == 0 and data["length"] != 0:
            raise SkeletonFileError(path, f"bone {name!r} has a zero direction", line=data["line"], field="direction")
        directions.append(direction / norm if norm else direction)
        lengths.append(data["length"])
        angles, axis_order, line = data.get("frame", ([0.0, 0.0, 0.0], "XYZ", data["line"]))
        frames.append(_frame(path, angles, axis_order, degrees, line, "axis"))
    return AsfSkeleton(path, names, tuple(index[parent_of[n]] if n != "root" else -1 for n in names),
                       np.array(directions), np.array(lengths), np.array(frames),
                       (root_order,) + tuple(bones[n]["dof"] for n in names[1:]), np.asarray(root_position, float),
                       unit, degrees)


@dataclass(frozen=True)
class AmcMotion:
    """An AMC file: per point of the skeleton, its dof values (T, len(dofs)) in ASF dof order."""

    path: Path
    values: dict[str, np.ndarray]
    degrees: bool
    num_frames: int


def _fast_frames(text_rows: list[str], first: int, names: list[str], widths: list[int]):
    """All frames at once when every frame lists the same bones in the same order -> (T, sum(widths)) or None."""
    width = 1 + len(names) + sum(widths)
    tokens = " ".join(text_rows[first:]).split()
    if not tokens or len(tokens) % width:
        return None
    T = len(tokens) // width
    name_columns = np.cumsum([1] + [1 + w for w in widths[:-1]])
    for column, name in zip(name_columns, names):
        if tokens[column::width] != [name] * T:
            return None
        tokens[column::width] = ["0"] * T
    try:
        table = np.array(list(map(float, tokens))).reshape(T, width)
    except ValueError:
        return None
    numbers = table[:, 0]
    if not (numbers == numbers[0] + np.arange(T)).all() or not np.isfinite(table).all():
        return None
    return table[:, np.setdiff1d(np.arange(1, width), name_columns)]


def read_amc(path: str | Path, skeleton: AsfSkeleton) -> AmcMotion:
    """An AMC file (plain or .gz) for `skeleton` -> AmcMotion. Raises SkeletonFileError naming the file, line and
    field: an unknown bone, the wrong number of values for a bone's dofs, a bone missing from a frame, frame numbers
    that do not count up by one, non-numbers, NaN/inf, no frames."""
    path = Path(path)
    rows = read_text(path, "latin-1").split("\n")
    degrees, first = skeleton.degrees, 0
    while first < len(rows) and (not rows[first].strip() or rows[first].lstrip()[0] in "#:"):
        if rows[first].strip().upper() == ":RADIANS":
            degrees = False
        elif rows[first].strip().upper() == ":DEGREES":
            degrees = True
        first += 1
    dofs = dict(zip(skeleton.names, skeleton.dofs))
    moving = [name for name in skeleton.names if dofs[name]]
    values = None
    head = rows[first + 1:first + 1 + len(moving)]
    order = [r.split()[0] if r.split() else "" for r in head]
    if sorted(order) == sorted(moving):
        widths = [len(dofs[name]) for name in order]
        values = _fast_frames(rows, first, order, widths)
    if values is None:
        return _slow_frames(path, rows, first, skeleton, degrees)
    split = np.cumsum([0] + widths)
    per_bone = {name: values[:, split[k]:split[k + 1]] for k, name in enumerate(order)}
    return AmcMotion(path, per_bone, degrees, values.shape[0])


def _slow_frames(path: Path, rows: list[str], first: int, skeleton: AsfSkeleton, degrees: bool) -> AmcMotion:
    """Line by line, for files the fast path refuses: returns the motion or raises naming the first bad line."""
    dofs = dict(zip(skeleton.names, skeleton.dofs))
    moving = {name for name in skeleton.names if dofs[name]}
    frames: list[dict[str, list[float]]] = []
    number, start_line = None, first + 1

    def close(line):
        missing = sorted(moving - set(frames[-1])) if frames else []
        if missing:
            raise SkeletonFileError(path, f"frame {number} lacks bone {missing[0]!r} (truncated?)", line=line,
                                    field="frame")

    for row in range(first, len(rows)):
        tokens, line = rows[row].split(), row + 1
        if not tokens:
            continue
        if len(tokens) == 1 and tokens[0].lstrip("-").isdigit():
            close(line)
            if number is not None and int(tokens[0]) != number + 1:
                raise SkeletonFileError(path, f"frame {tokens[0]} follows frame {number}", line=line,
                                        field="frame number")
            number = int(tokens[0])
            frames.append({})
            start_line = line
            continue
        if number is None:
            raise SkeletonFileError(path, f"expected a frame number, got {rows[row].strip()[:40]!r}", line=line,
                                    field="frame number")
        name = tokens[0]
        if name not in dofs:
            raise SkeletonFileError(path, f"unknown bone {name!r}", line=line, field="bone")
        if name in frames[-1]:
            raise SkeletonFileError(path, f"bone {name!r} twice in frame {number}", line=line, field=name)
        frames[-1][name] = _floats(path, tokens[1:], line, name, len(dofs[name]))
    if not frames:
        raise SkeletonFileError(path, "no frames", line=len(rows), field="frame")
    close(start_line)
    per_bone = {name: np.array([frame[name] for frame in frames], dtype=np.float64).reshape(len(frames), -1)
                for name in skeleton.names if dofs[name]}
    return AmcMotion(path, per_bone, degrees, len(frames))


def forward_kinematics(skeleton: AsfSkeleton, motion: AmcMotion) -> np.ndarray:
    """Global positions (T, J, 3) in metres of the root (point 0) and every bone's end, vectorised over frames."""
    T, J = motion.num_frames, len(skeleton.names)
    scale = skeleton.metres_per_unit()
    positions = np.zeros((T, J, 3))
    rotations = np.zeros((T, J, 3, 3))
    for j, (name, parent) in enumerate(zip(skeleton.names, skeleton.parents)):
        dofs = skeleton.dofs[j]
        values = motion.values.get(name, np.zeros((T, len(dofs))))
        rotation_columns = [k for k, d in enumerate(dofs) if d[0] == "r"]
        axes = tuple(_AXES[dofs[k][1]] for k in rotation_columns)
        angles = values[:, rotation_columns] if motion.degrees else np.rad2deg(values[:, rotation_columns])
        moved = euler_matrices(angles[:, ::-1], axes[::-1])  # Acclaim: listed order applied first
        frame = skeleton.frames[j]
        local = frame @ moved @ frame.T
        if parent < 0:
            translation = np.array(skeleton.root_position, dtype=np.float64) + np.zeros((T, 3))
            for k, d in enumerate(dofs):
                if d[0] == "t":
                    translation[:, _AXES[d[1]]] += values[:, k]
            positions[:, j] = translation * scale
            rotations[:, j] = local
        else:
            rotations[:, j] = rotations[:, parent] @ local
            bone = skeleton.lengths[j] * scale * skeleton.directions[j]
            positions[:, j] = positions[:, parent] + np.einsum("tab,b->ta", rotations[:, j], bone)
    return positions
