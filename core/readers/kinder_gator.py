"""Reader for Kinder-Gator CSV files (Kinect v1, 20 joints, plain or `.csv.gz`) with classes named by the side moved.

A file is one motion by one participant: a header, then one line per frame of `Timestamp` (sensor clock, ms), 20
joints x `X,Y,Z` (metres, Kinect camera axes, +X the performer's right) in the Kinect v1 SDK order, `User-ID` and
`Action`, each line ending in a comma (../shared/data/README.md, kinder_gator). Instructions such as "raise your
hand" / "raise your other hand" leave the side to the performer, so the side that moved is read from the data and
the class named by it (assets/labels/kinder_gator_names.tsv).
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.paths import ASSETS_DIR
from core.readers.common import read_lines
from core.skeleton.clip import Clip
from core.skeleton.joint_maps import to_ntu25
from core.skeleton.layouts import NTU25

log = logging.getLogger(__name__)

NAMES_TABLE = ASSETS_DIR / "labels" / "kinder_gator_names.tsv"
SOURCE_LAYOUT = "kinect_v1_sdk20"
# The header's joint names, in file order (= core.skeleton.joint_maps.KINECT_V1_SDK20_NAMES order).
FILE_JOINTS = ("HipCenter", "Spine", "ShoulderCenter", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
               "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft",
               "FootLeft", "HipRight", "KneeRight", "AnkleRight", "FootRight")
COLUMNS = ("Timestamp",) + tuple(f"{joint}{axis}" for joint in FILE_JOINTS for axis in "XYZ") + ("User-ID", "Action")
GROUPS = {"Adults": "adult", "Children": "child"}  # the release's two folders
FILE_NAME = re.compile(r"POSE-p(?P<pid>\d+)_(?P<order>\d+)-(?P<motion>.+)-(?P<unixms>\d+)\.csv(\.gz)?$")

# Side finding (measured on all 1159 files, see tests/readers/test_kinder_gator.py). Per frame, the right-minus-left
# height of the hands (part "hand") or ankles ("leg"), or how far the shoulder centre is to +X of the hip centre
# ("lean"); each side's score is the 95th percentile of that signal towards it (the peak, robust to a few bad frames).
# Adults start in a calibration pose with both arms out, which cancels in the difference.
SIDE_JOINTS = {"hand": ("HandRight", "HandLeft"), "leg": ("AnkleRight", "AnkleLeft"),
               "lean": ("SpineShoulder", "SpineBase")}
SIDE_RATIO = 2.0  # one side's score must be this many times the other's, else both moved alike
MIN_SIDE_SCORE = {"hand": 0.08, "leg": 0.08, "lean": 0.03}  # metres; below this neither side moved


@dataclass(frozen=True)
class MotionClass:
    """One row of the names table: a motion and the class name(s) its clips get."""

    motion: str  # the file name's motionName
    part: str | None  # "hand", "leg" or "lean" when the side is found from the data, else None
    name: str  # class name; holds "{side}" when part is set
    side_free: str | None  # class name when both sides moved alike (part set only)

    def class_name(self, side: str | None) -> str:
        if self.part is None:
            return self.name
        return self.name.format(side=side) if side else self.side_free


def read_names_table(path: str | Path = NAMES_TABLE) -> dict[str, MotionClass]:
    """assets/labels/kinder_gator_names.tsv -> {motion: MotionClass}, in table order.

    Raises SkeletonFileError naming the line for a row without 3-4 tab-separated columns, an unknown part, a sided
    name without "{side}" or without a side-free name, or a motion listed twice.
    """
    path = Path(path)
    table = {}
    for row, text in enumerate(read_lines(path), start=1):
        if not text.strip() or text.startswith("#"):
            continue
        columns = [column.strip() for column in text.split("\t")]
        if len(columns) not in (3, 4) or not all(columns[:3]):
            raise SkeletonFileError(path, f"expected motion, part, name[, side-free name], got {text[:60]!r}",
                                    line=row, field="class")
        motion, part, name = columns[:3]
        side_free = columns[3] if len(columns) == 4 and columns[3] else None
        if part != "-" and (part not in SIDE_JOINTS or "{side}" not in name or side_free is None):
            raise SkeletonFileError(path, f"part {part!r} needs one of {sorted(SIDE_JOINTS)}, a name with {{side}} "
                                    "and a side-free name", line=row, field="class")
        if motion in table:
            raise SkeletonFileError(path, f"motion {motion!r} listed twice", line=row, field="class")
        table[motion] = MotionClass(motion, None if part == "-" else part, name, side_free)
    return table


def class_names(table: dict[str, MotionClass]) -> list[str]:
    """Every class the table can give, in table order: right, left and side-free names for sided motions."""
    names: list[str] = []
    for entry in table.values():
        options = [entry.name] if entry.part is None else [entry.class_name(s) for s in ("right", "left", None)]
        names += [name for name in options if name not in names]
    return names


def moving_side(joints: np.ndarray, valid: np.ndarray, part: str) -> str | None:
    """NTU-25 joints (T, 25, 3) and valid (T, 25) of one body -> "right", "left" or None (both alike, or neither).

    hand/leg: the hand or ankle that rises higher than the other; lean: the side the shoulders lean over the hips.
    """
    a, b = (NTU25.index[name] for name in SIDE_JOINTS[part])
    usable = valid[:, a] & valid[:, b]
    if not usable.any():
        return None
    if part == "lean":
        signal = joints[usable, a, 0] - joints[usable, b, 0]  # +X = the performer's right
    else:
        signal = joints[usable, a, 1] - joints[usable, b, 1]  # right minus left height
    right = max(float(np.percentile(signal, 95)), 0.0)
    left = max(float(np.percentile(-signal, 95)), 0.0)
    if right > max(SIDE_RATIO * left, MIN_SIDE_SCORE[part]):
        return "right"
    if left > max(SIDE_RATIO * right, MIN_SIDE_SCORE[part]):
        return "left"
    return None


def _header(path: Path, text: str):
    columns = [column.strip() for column in text.rstrip().rstrip(",").split(",")]
    for position, (found, expected) in enumerate(zip(columns, COLUMNS)):
        if found != expected:
            raise SkeletonFileError(path, f"column {position + 1} is {found!r}, expected {expected!r}", line=1,
                                    field="header")
    if len(columns) != len(COLUMNS):
        raise SkeletonFileError(path, f"{len(columns)} columns, expected {len(COLUMNS)} ({', '.join(COLUMNS[:2])}, "
                                f"..., {COLUMNS[-1]})", line=1, field="header")


def _row_values(path: Path, line: int, text: str) -> list[str]:
    values = text.split(",")
    if values and not values[-1].strip():
        values.pop()  # the trailing comma every line ends with
    if len(values) != len(COLUMNS):
        raise SkeletonFileError(path, f"expected {len(COLUMNS)} comma-separated values, got {len(values)}",
                                line=line, field="frame")
    return values


def read_kinder_gator_file(path: str | Path) -> tuple[np.ndarray, np.ndarray, int, str]:
    """A Kinder-Gator CSV (plain or .gz) -> (timestamps (T,) float64 ms, joints (T, 20, 3) float64, user id, action).

    Raises SkeletonFileError naming the file, line and column: a missing or wrong header, a line without 63 values,
    a non-number, NaN/inf, a timestamp going backwards, User-ID or Action changing between lines, no frames.
    """
    path = Path(path)
    lines = read_lines(path)
    _header(path, lines[0])
    rows = [(number, text) for number, text in enumerate(lines[1:], start=2) if text.strip()]
    if not rows:
        raise SkeletonFileError(path, "no frames (header only)", line=2, field="frame")
    table = [_row_values(path, number, text) for number, text in rows]
    numbers = np.array([number for number, _ in rows])
    try:
        values = np.array([row[:-2] for row in table], dtype=np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        for (number, _), row in zip(rows, table):
            for column, token in enumerate(row[:-2]):
                try:
                    ok = np.isfinite(float(token))
                except ValueError:
                    ok = False
                if not ok:
                    raise SkeletonFileError(path, f"not a finite number: {token.strip()[:40]!r}", line=number,
                                            field=COLUMNS[column])
    backwards = np.flatnonzero(np.diff(values[:, 0]) < 0)
    if len(backwards):
        raise SkeletonFileError(path, f"timestamp goes back from {values[backwards[0], 0]:.4f} to "
                                f"{values[backwards[0] + 1, 0]:.4f}", line=int(numbers[backwards[0] + 1]),
                                field="Timestamp")
    user, action = (table[0][-2].strip(), table[0][-1].strip())
    for (number, _), row in zip(rows, table):
        for column, first in ((-2, user), (-1, action)):
            if row[column].strip() != first:
                raise SkeletonFileError(path, f"{row[column].strip()[:40]!r} differs from line 2's {first!r}",
                                        line=number, field=COLUMNS[column])
    if not user.isdigit():
        raise SkeletonFileError(path, f"User-ID {user[:40]!r} is not a number", line=2, field="User-ID")
    return values[:, 0], values[:, 1:].reshape(-1, len(FILE_JOINTS), 3), int(user), action


def read_kinder_gator(path: str | Path, table: dict[str, MotionClass] | None = None,
                      names: Sequence[str] | None = None) -> Clip:
    """One Kinder-Gator CSV -> a single-body NTU-25 Clip labelled by motion and the side that moved.

    The motion comes from the file name's motionName (the Action column when the name does not parse; the two must
    agree). A joint at exactly (0, 0, 0) or with Z <= 0 is untracked (valid False). fps is the native rate over
    the file's timestamps; extras: timestamps (s from the first frame), motion, moving_side ("right", "left" or
    None; None also for motions without a side), group ("adult"/"child" from the folder, else None), order (NN).
    Raises SkeletonFileError for a bad file (see read_kinder_gator_file), a motion not in the names table, or no
    tracked joint in any frame.
    """
    path = Path(path)
    table = read_names_table() if table is None else table
    names = class_names(table) if names is None else list(names)
    timestamps, joints, user, action = read_kinder_gator_file(path)
    match = FILE_NAME.search(path.name)
    motion = match["motion"] if match else action
    if motion != action:
        raise SkeletonFileError(path, f"Action {action!r} differs from the file name's motion {motion!r}", line=2,
                                field="Action")
    if motion not in table:
        raise SkeletonFileError(path, f"unknown motion {motion!r} (not in {NAMES_TABLE.name})", line=2,
                                field="Action")
    usable = ~(joints == 0).all(axis=-1) & (joints[..., 2] > 0)  # (T, 20)
    present = usable.any(axis=1)
    if not present.any():
        raise SkeletonFileError(path, f"no tracked joint in any of the {len(joints)} frames")
    ntu, valid = to_ntu25(joints, SOURCE_LAYOUT, confidence=usable.astype(np.float32))
    entry = table[motion]
    side = moving_side(ntu, valid, entry.part) if entry.part else None
    name = entry.class_name(side)
    span_s = (timestamps[-1] - timestamps[0]) / 1000.0
    clip = Clip(joints=ntu[:, None], valid=valid[:, None], label=names.index(name) if name in names else None,
                label_name=name, subject=user, source=str(path),
                fps=float((len(timestamps) - 1) / span_s) if span_s > 0 else 30.0)
    clip.extras.update(source_layout=SOURCE_LAYOUT, timestamps=(timestamps - timestamps[0]) / 1000.0, motion=motion,
                       moving_side=side, group=GROUPS.get(path.parent.name),
                       order=int(match["order"]) if match else None)
    return clip


def load_kinder_gator(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    """Every `*.csv` / `*.csv.gz` under folder (Adults/, Children/) -> (clips, class names); a bad file is skipped
    with a warning and appended to bad_files as (path, reason), like core.readers.datasets does for the others."""
    table = read_names_table()
    names = class_names(table)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith((".csv", ".csv.gz")))
    clips = []
    for path in files:
        try:
            clips.append(read_kinder_gator(path, table, names))
        except SkeletonFileError as error:
            log.warning("skipping bad file: %s", error)
            where = f"line {error.line}: " if error.line is not None else ""
            bad_files.append((str(path), where + (f"{error.field}: " if error.field and where else "") + error.problem))
    return clips, names
