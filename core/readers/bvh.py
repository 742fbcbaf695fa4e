"""A general BVH reader: hierarchy, offsets, channels in any order, per-joint rotation order, forward kinematics.

BVH conventions followed (Biovision; as Blender and most mocap tools read them):
  - a joint's position channels, when present, replace the matching OFFSET component (the Bandai-Namco files store
    the global trajectory on Hips this way, and every other joint's position channels equal its OFFSET);
  - rotation channels compose in the order listed, as intrinsic rotations: `Zrotation Xrotation Yrotation` gives the
    local matrix Rz @ Rx @ Ry, applied to column vectors in the joint's frame; angles in degrees;
  - a joint's global frame is parent_global @ [local rotation | local translation].
Plain and gzip-compressed files (`.bvh`, `.bvh.gz`) are read alike.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.readers.common import read_text

POSITION_CHANNELS = {"xposition": 0, "yposition": 1, "zposition": 2}
ROTATION_CHANNELS = {"xrotation": 0, "yrotation": 1, "zrotation": 2}


def axis_rotations(axis: int, degrees: np.ndarray) -> np.ndarray:
    """Rotations about x (0), y (1) or z (2) by `degrees` (...,) -> (..., 3, 3), right-handed, column vectors."""
    radians = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(radians), np.sin(radians)
    out = np.zeros(radians.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]  # the plane the rotation turns: x: y->z, y: z->x, z: x->y
    out[..., axis, axis] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def euler_matrices(angles: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Intrinsic rotations in the listed order: angles (..., K) degrees about axes (K,) -> R_0 @ R_1 @ ... (..., 3, 3)."""
    out = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3)).copy()
    for k, axis in enumerate(axes):
        out = out @ axis_rotations(axis, angles[..., k])
    return out


@dataclass(frozen=True)
class BvhSkeleton:
    """The HIERARCHY section. Joints in file order (every parent before its children)."""

    names: tuple[str, ...]
    parents: tuple[int, ...]  # -1 for a ROOT
    offsets: np.ndarray  # (J, 3) OFFSET of each joint in its parent's frame, file units
    channels: tuple[tuple[str, ...], ...]  # per joint, as written (e.g. "Xposition")
    end_sites: tuple[tuple[int, tuple[float, float, float]], ...]  # (joint, OFFSET) of each End Site

    @property
    def num_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass(frozen=True)
class BvhMotion:
    """A whole BVH file: its skeleton, the channel values (T, C) float64 in file order, and the frame time."""

    path: Path
    skeleton: BvhSkeleton
    values: np.ndarray
    frame_time: float
    motion_line: int  # 1-based line of the first frame, for error messages

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    @property
    def num_frames(self) -> int:
        return self.values.shape[0]


def _numbers(path: Path, tokens: list[str], line: int, field: str, count: int) -> tuple[float, ...]:
    if len(tokens) != count:
        raise SkeletonFileError(path, f"expected {count} numbers, got {len(tokens)}", line=line, field=field)
    try:
        values = tuple(float(t) for t in tokens)
    except ValueError:
        raise SkeletonFileError(path, f"not a number in {' '.join(tokens)[:60]!r}", line=line, field=field) from None
    if not all(np.isfinite(values)):
        raise SkeletonFileError(path, f"non-finite value in {' '.join(tokens)[:60]!r}", line=line, field=field)
    return values


def _parse_hierarchy(path: Path, lines: list[str]) -> tuple[BvhSkeleton, int]:
    """Lines of the file -> (skeleton, 0-based index of the MOTION line)."""
    first = next((r for r, text in enumerate(lines) if text.strip()), 0)
    if lines[first].strip().upper() != "HIERARCHY":
        raise SkeletonFileError(path, f"expected HIERARCHY, got {lines[first].strip()[:40]!r}", line=first + 1,
                                field="HIERARCHY")
    names, parents, offsets, channels, end_sites = [], [], [], [], []
    stack: list[int] = []  # open braces: joint index, or -2 for an End Site
    pending = None  # the joint (or End Site) whose '{' comes next
    for row in range(first + 1, len(lines)):
        tokens = lines[row].split()
        if not tokens:
            continue
        keyword, line = tokens[0].upper(), row + 1
        if pending is not None and keyword != "{":
            raise SkeletonFileError(path, f"expected '{{' after the joint, got {tokens[0][:40]!r}", line=line,
                                    field="hierarchy")
        if keyword in ("ROOT", "JOINT"):
            if len(tokens) < 2:
                raise SkeletonFileError(path, f"{tokens[0]} without a name", line=line, field="joint")
            name = " ".join(tokens[1:])
            if name in names:
                raise SkeletonFileError(path, f"joint {name!r} defined twice", line=line, field="joint")
            parent = stack[-1] if stack else -1
            if (keyword == "ROOT") != (parent == -1) or parent == -2:
                raise SkeletonFileError(path, f"{tokens[0]} {name!r} in the wrong place", line=line, field="joint")
            names.append(name)
            parents.append(parent)
            offsets.append(None)
            channels.append(())
            pending = len(names) - 1
        elif keyword == "END":
            if not stack or stack[-1] < 0:
                raise SkeletonFileError(path, "End Site outside a joint", line=line, field="End Site")
            end_sites.append([stack[-1], None])
            pending = -2
        elif keyword == "{":
            if pending is None:
                raise SkeletonFileError(path, "'{' without a joint", line=line, field="hierarchy")
            stack.append(pending)
            pending = None
        elif keyword == "}":
            if not stack:
                raise SkeletonFileError(path, "unbalanced '}'", line=line, field="hierarchy")
            closed = stack.pop()
            if (closed >= 0 and offsets[closed] is None) or (closed == -2 and end_sites[-1][1] is None):
                raise SkeletonFileError(path, "joint without OFFSET", line=line, field="OFFSET")
        elif keyword == "OFFSET":
            values = _numbers(path, tokens[1:], line, "OFFSET", 3)
            if not stack:
                raise SkeletonFileError(path, "OFFSET outside a joint", line=line, field="OFFSET")
            if stack[-1] == -2:
                end_sites[-1][1] = values
            else:
                offsets[stack[-1]] = values
        elif keyword == "CHANNELS":
            if not stack or stack[-1] < 0:
                raise SkeletonFileError(path, "CHANNELS outside a joint", line=line, field="CHANNELS")
            try:
                count = int(tokens[1])
            except (IndexError, ValueError):
                raise SkeletonFileError(path, "CHANNELS needs a count", line=line, field="CHANNELS") from None
            listed = tuple(tokens[2:])
            if len(listed) != count:
                raise SkeletonFileError(path, f"CHANNELS {count} lists {len(listed)} channels", line=line,
                                        field="CHANNELS")
            unknown = [c for c in listed if c.lower() not in POSITION_CHANNELS and c.lower() not in ROTATION_CHANNELS]
            if unknown or len({c.lower() for c in listed}) != len(listed):
                raise SkeletonFileError(path, f"unknown or repeated channel {(unknown or listed)[0]!r}", line=line,
                                        field="CHANNELS")
            channels[stack[-1]] = listed
        elif keyword == "MOTION":
            if stack or pending is not None:
                raise SkeletonFileError(path, "MOTION before the hierarchy is closed (missing '}')", line=line,
                                        field="hierarchy")
            if not names:
                raise SkeletonFileError(path, "no joints in the hierarchy", line=line, field="hierarchy")
            skeleton = BvhSkeleton(tuple(names), tuple(parents), np.array(offsets, dtype=np.float64),
                                   tuple(channels), tuple((j, o) for j, o in end_sites))
            return skeleton, row
        else:
            raise SkeletonFileError(path, f"unexpected {tokens[0][:40]!r}", line=line, field="hierarchy")
    raise SkeletonFileError(path, "no MOTION section (truncated?)", line=len(lines), field="MOTION")


def _header_value(path: Path, lines: list[str], row: int, key: str) -> str:
    if row >= len(lines):
        raise SkeletonFileError(path, f"file ends before '{key}'", line=row, field=key.rstrip(":"))
    text = lines[row].strip()
    if not text.lower().startswith(key.lower()):
        raise SkeletonFileError(path, f"expected '{key} ...', got {text[:40]!r}", line=row + 1, field=key.rstrip(":"))
    return text[len(key):].strip()


def _parse_frames(path: Path, lines: list[str], row: int, num_frames: int, width: int) -> np.ndarray:
    """num_frames lines of `width` numbers from lines[row] -> (T, width); trailing blank lines are allowed."""
    end = len(lines)
    while end > row and not lines[end - 1].strip():
        end -= 1
    if end - row < num_frames:
        raise SkeletonFileError(path, f"Frames: {num_frames} but {end - row} motion lines (truncated?)",
                                line=end, field="frame")
    if end - row > num_frames:
        raise SkeletonFileError(path, f"more motion lines than Frames: {num_frames}", line=row + num_frames + 1,
                                field="frame")
    block = lines[row:end]
    with warnings.catch_warnings():  # fromstring stops at the first bad token (and warns); the size check sees it
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            values = np.fromstring("\n".join(block), sep=" ")
        except ValueError:  # numpy 2 raises at the bad token instead: the line search below names it
            values = np.zeros(0)
    if values.size != num_frames * width or not np.isfinite(values).all():
        for offset, line_text in enumerate(block):  # find the first bad line for the message
            tokens = line_text.split()
            field = f"frame {offset + 1}"
            _numbers(path, tokens, row + offset + 1, field, width)
        raise SkeletonFileError(path, "unparseable motion block", line=row + 1, field="frame")
    return values.reshape(num_frames, width)


def read_bvh(path: str | Path) -> BvhMotion:
    """A BVH file (plain or .gz) -> BvhMotion.

    Raises SkeletonFileError naming the file, line and field: missing HIERARCHY/MOTION, unbalanced braces, a joint
    without OFFSET, unknown channels, a bad Frames or Frame Time, too few or too many motion lines, a line with the
    wrong number of values, non-numbers, NaN/inf, no frames.
    """
    path = Path(path)
    lines = read_text(path).split("\n")
    skeleton, row = _parse_hierarchy(path, lines)
    frames_text = _header_value(path, lines, row + 1, "Frames:")
    try:
        num_frames = int(frames_text)
    except ValueError:
        raise SkeletonFileError(path, f"Frames is not an integer: {frames_text[:40]!r}", line=row + 2,
                                field="Frames") from None
    if num_frames <= 0:
        raise SkeletonFileError(path, f"no frames (Frames: {num_frames})", line=row + 2, field="Frames")
    time_text = _header_value(path, lines, row + 2, "Frame Time:")
    try:
        frame_time = float(time_text)
    except ValueError:
        frame_time = float("nan")
    if not (np.isfinite(frame_time) and frame_time >= 1e-6):  # up to 1 MHz
        raise SkeletonFileError(path, f"Frame Time must be a positive number of seconds, got {time_text[:40]!r}",
                                line=row + 3, field="Frame Time")
    values = _parse_frames(path, lines, row + 3, num_frames, skeleton.num_channels)
    return BvhMotion(path, skeleton, values, frame_time, row + 4)


def local_transforms(motion: BvhMotion, root_translation: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each joint's translation (T, J, 3) and rotation (T, J, 3, 3) in its parent's frame, in file units.

    Joints with the same rotation channel order are converted together. root_translation False ignores position
    channels on joints without a parent (their OFFSET is used).
    """
    skeleton, values = motion.skeleton, motion.values
    T, J = values.shape[0], len(skeleton.names)
    translations = np.broadcast_to(skeleton.offsets, (T, J, 3)).copy()
    groups: dict[tuple[int, ...], tuple[list[int], list[list[int]]]] = {}
    column = 0
    for j, (parent, listed) in enumerate(zip(skeleton.parents, skeleton.channels)):
        axes, angle_columns = [], []
        for k, name in enumerate(listed):
            key = name.lower()
            if key in POSITION_CHANNELS and (parent >= 0 or root_translation):
                translations[:, j, POSITION_CHANNELS[key]] = values[:, column + k]
            elif key in ROTATION_CHANNELS:
                axes.append(ROTATION_CHANNELS[key])
                angle_columns.append(column + k)
        column += len(listed)
        joints, columns = groups.setdefault(tuple(axes), ([], []))
        joints.append(j)
        columns.append(angle_columns)
    rotations = np.zeros((T, J, 3, 3))
    for axes, (joints, columns) in groups.items():
        rotations[:, joints] = euler_matrices(values[:, np.array(columns, dtype=np.int64).reshape(len(joints), -1)],
                                              axes)
    return translations, rotations


def _depth_levels(parents: tuple[int, ...]) -> list[list[int]]:
    """Joints grouped by depth in the tree (roots first): each level depends only on the ones before."""
    depth: list[int] = []
    for parent in parents:
        depth.append(0 if parent < 0 else depth[parent] + 1)
    return [[j for j, d in enumerate(depth) if d == level] for level in range(max(depth) + 1)]


def forward_kinematics(motion: BvhMotion, root_translation: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Global joint positions (T, J, 3) in file units and rotations (T, J, 3, 3), vectorised over frames and over
    the joints at each depth of the tree."""
    translations, local = local_transforms(motion, root_translation)
    positions = np.zeros_like(translations)
    rotations = np.zeros_like(local)
    parents = np.array(motion.skeleton.parents)
    for level in _depth_levels(motion.skeleton.parents):
        up = parents[level]
        if up[0] < 0:
            positions[:, level] = translations[:, level]
            rotations[:, level] = local[:, level]
        else:
            positions[:, level] = positions[:, up] + np.einsum("tjab,tjb->tja", rotations[:, up], translations[:, level])
            rotations[:, level] = rotations[:, up] @ local[:, level]
    return positions, rotations


def end_site_positions(motion: BvhMotion, positions: np.ndarray, rotations: np.ndarray) -> np.ndarray:
    """Global End Site positions (T, E, 3) from forward_kinematics' output, in End Site order."""
    sites = motion.skeleton.end_sites
    if not sites:
        return np.zeros((positions.shape[0], 0, 3))
    joints = [j for j, _ in sites]
    offsets = np.array([o for _, o in sites])  # (E, 3)
    return positions[:, joints] + np.einsum("teab,eb->tea", rotations[:, joints], offsets)
