"""Reader for MSRC-12 gesture sequences (`.csv` + `.tagstream`, Kinect v1, 20 joints): one clip per repetition.

A sequence is one subject repeating one gesture about ten times; its `.csv` (plain or `.csv.gz`) holds one line per
frame of `t x1 y1 z1 w1 ... x20 y20 z20 w20` (t in microseconds, metres in Kinect camera axes, +X the performer's
right, Kinect v1 SDK joint order, all zeros when untracked) and its `.tagstream` one line `tick;Gn name` per
repetition, marking its *action point*: the moment the gesture should be recognised (../shared/data/README.md).
Each repetition becomes the clip from halfway back to the previous action point to halfway on to the next, at most
MAX_HALF_WINDOW_S either side (the choice and its evidence: tests/readers/test_msrc12.py).
"""

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.paths import ASSETS_DIR
from core.readers.common import read_each_cut, read_lines
from core.readers.label_presets import read_label_file
from core.skeleton.clip import Clip
from core.skeleton.joint_maps import to_ntu25

log = logging.getLogger(__name__)

CLASS_TABLE = ASSETS_DIR / "labels" / "msrc12.txt"  # line N = gesture GN
SOURCE_LAYOUT = "kinect_v1_sdk20"
NUM_JOINTS = 20
VALUES_PER_FRAME = 1 + 4 * NUM_JOINTS  # t, then x y z w per joint
TICKS_PER_MS = 49875  # tagstream ticks -> microseconds: (tick * 1000 + 49875 / 2) / 49875 (code/load_tagstream.m)
# Repetitions follow each other 1.5-8.8 s apart (median 2.7 s) with no rest between, and one repetition's motion
# reaches about 1 s either side of its action point, so a clip ends halfway to the next action point; 1.5 s bounds
# the first and last repetition and the rare long gap. With this window the moving frames around 96.9 % of the 359
# action points here lie wholly inside their clip, against 89.1 % for a fixed +-1 s.
MAX_HALF_WINDOW_S = 1.5
FILE_NAME = re.compile(r"P(?P<group>\d_\d)_(?P<gesture>\d+)(?P<combined>A?)_p(?P<subject>\d+)", re.IGNORECASE)
TAG = re.compile(r"G(?P<gesture>\d+)\s+(?P<name>\S.*)")


def msrc12_class_names(path: str | Path = CLASS_TABLE) -> list[str]:
    """The 12 readable gesture names, line N = gesture GN."""
    return [label.name for label in read_label_file(path)]


def read_msrc12_tags(path: str | Path) -> list[tuple[float, int, int]]:
    """A `.tagstream` -> [(action point in microseconds, gesture number, 1-based line)] in file order.

    Raises SkeletonFileError naming the line: no `XQPCTick;Tag` header, a line without `tick;Gn name`, a tick that
    is not a non-negative integer.
    """
    path = Path(path)
    lines = read_lines(path)
    if lines[0].strip().lstrip("\ufeff") != "XQPCTick;Tag":
        raise SkeletonFileError(path, f"expected header 'XQPCTick;Tag', got {lines[0][:40]!r}", line=1,
                                field="header")
    tags = []
    for number, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        tick, separator, tag = text.strip().partition(";")
        match = TAG.fullmatch(tag.strip())
        if not separator or not match:
            raise SkeletonFileError(path, f"expected 'tick;Gn name', got {text.strip()[:60]!r}", line=number,
                                    field="tag")
        if not tick.strip().isdigit():
            raise SkeletonFileError(path, f"tick {tick.strip()[:30]!r} is not a non-negative integer", line=number,
                                    field="tick")
        tags.append(((int(tick) * 1000 + TICKS_PER_MS / 2) / TICKS_PER_MS, int(match["gesture"]), number))
    return tags


def read_msrc12_sequence(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An MSRC-12 `.csv` -> (t (F,) float64 microseconds, joints (F, 20, 3) float64, tracked (F, 20) bool).

    A joint is tracked when its w is > 0 and its Z > 0 (untracked frames are all zeros, w included).
    Raises SkeletonFileError naming the line and value: not 81 numbers, a non-number, NaN/inf, time going back,
    no frames, no tracked frame.
    """
    path = Path(path)
    lines = [(number, text) for number, text in enumerate(read_lines(path), start=1) if text.strip()]
    rows = [text.split() for _, text in lines]
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        values = None
    if values is None or values.ndim != 2 or values.shape[1] != VALUES_PER_FRAME or not np.isfinite(values).all():
        for (number, _), row in zip(lines, rows):
            if len(row) != VALUES_PER_FRAME:
                raise SkeletonFileError(path, f"expected {VALUES_PER_FRAME} numbers (t, then x y z w for 20 joints), "
                                        f"got {len(row)}", line=number, field="frame")
            for column, token in enumerate(row):
                try:
                    ok = np.isfinite(float(token))
                except ValueError:
                    ok = False
                if not ok:
                    raise SkeletonFileError(path, f"value {column + 1} is not a finite number: {token[:40]!r}",
                                            line=number, field=_value_name(column))
    backwards = np.flatnonzero(np.diff(values[:, 0]) < 0)
    if len(backwards):
        raise SkeletonFileError(path, f"time goes back from {values[backwards[0], 0]:.0f} to "
                                f"{values[backwards[0] + 1, 0]:.0f}", line=lines[backwards[0] + 1][0], field="t")
    joints = values[:, 1:].reshape(-1, NUM_JOINTS, 4)
    tracked = (joints[..., 3] > 0) & (joints[..., 2] > 0)
    if not tracked.any():
        raise SkeletonFileError(path, f"all {len(values)} frames are untracked (all-zero joints)")
    return values[:, 0], joints[..., :3], tracked


def _value_name(column: int) -> str:
    return "t" if column == 0 else f"joint {(column - 1) // 4 + 1} {'xyzw'[(column - 1) % 4]}"


def repetition_windows(action_us: np.ndarray) -> np.ndarray:
    """Action points (N,) in microseconds, ascending -> (N, 2) [start, end) of each repetition's clip."""
    half = MAX_HALF_WINDOW_S * 1e6
    gaps = np.diff(action_us) / 2
    before = np.minimum(np.r_[half, gaps], half)
    after = np.minimum(np.r_[gaps, half], half)
    return np.stack([action_us - before, action_us + after], axis=1)


def find_tagstream(csv_path: Path) -> Path | None:
    """The `.tagstream` beside a sequence, its name matched case-insensitively (one source file is `p2_...`)."""
    stem = csv_path.name.removesuffix(".gz").removesuffix(".csv").lower()
    for candidate in csv_path.parent.iterdir():
        if candidate.name.lower() in (stem + ".tagstream", stem + ".tagstream.gz"):
            return candidate
    return None


def read_msrc12(path: str | Path, tag_path: str | Path | None = None, names: Sequence[str] | None = None
                ) -> tuple[list[Clip], list[tuple[str, str]]]:
    """One MSRC-12 sequence -> (one Clip per action point, skipped [(source, reason)]).

    Clips keep the native frames from the window of repetition_windows; label = gesture - 1 (from the tag), subject
    from the file name; fps is the native rate over the clip. extras: timestamps (s from the clip's first frame),
    action_time (s, same clock), action_frame (the frame nearest the action point, as code/tagstream_to_y.m picks
    it), repetition (0-based), gesture, combined (True for the `A` sequences: instructions combined with text).
    A repetition whose window holds no tracked frame is skipped and reported.
    Raises SkeletonFileError for a bad sequence or tag file, no tag file, no action point, or a tag whose gesture
    disagrees with the file name.
    """
    path = Path(path)
    names = msrc12_class_names() if names is None else list(names)
    tag_path = Path(tag_path) if tag_path is not None else find_tagstream(path)
    if tag_path is None:
        raise SkeletonFileError(path, "no .tagstream beside it (the action points)", field="tagstream")
    tags = read_msrc12_tags(tag_path)
    if not tags:
        raise SkeletonFileError(tag_path, "no action point", line=2, field="tag")
    ids = FILE_NAME.search(path.name)
    for _, gesture, line in tags:
        if not 1 <= gesture <= len(names) or (ids and gesture != int(ids["gesture"])):
            raise SkeletonFileError(tag_path, f"gesture G{gesture} " + (
                f"differs from the file name's G{ids['gesture']}" if ids and 1 <= gesture <= len(names)
                else f"is not one of G1-G{len(names)}"), line=line, field="tag")
    t, joints, tracked = read_msrc12_sequence(path)
    order = np.argsort([us for us, _, _ in tags], kind="stable")
    action_us = np.array([tags[i][0] for i in order])
    clips, skipped = [], []
    for repetition, ((start, end), i) in enumerate(zip(repetition_windows(action_us), order)):
        _, gesture, line = tags[i]
        source = f"{path}#{repetition}"
        inside = np.flatnonzero((t >= start) & (t < end))  # half-open: a frame at a midpoint goes to the later
        if not tracked[inside].any():
            skipped.append((source, f"tag line {line}: no tracked frame within {(end - start) / 1e6:.2f} s around "
                                    "the action point"))
            continue
        ntu, valid = to_ntu25(joints[inside], SOURCE_LAYOUT, confidence=tracked[inside].astype(np.float32))
        span_s = (t[inside[-1]] - t[inside[0]]) / 1e6
        clip = Clip(joints=ntu[:, None], valid=valid[:, None], label=gesture - 1, label_name=names[gesture - 1],
                    subject=int(ids["subject"]) if ids else None, source=source,
                    fps=float((len(inside) - 1) / span_s) if span_s > 0 else 30.0)
        nearest = int(np.argmin(np.abs(t - action_us[repetition])))
        clip.extras.update(source_layout=SOURCE_LAYOUT, timestamps=(t[inside] - t[inside[0]]) / 1e6,
                           action_time=float((action_us[repetition] - t[inside[0]]) / 1e6),
                           action_frame=int(np.clip(nearest - inside[0], 0, len(inside) - 1)),
                           repetition=repetition, gesture=gesture, combined=bool(ids and ids["combined"]))
        clips.append(clip)
    return clips, skipped


def load_msrc12(folder: Path, bad_files: list) -> tuple[list[Clip], list[str]]:
    """Every sequence (`*.csv`, `*.csv.gz`) in folder -> (clips, the 12 class names); a bad sequence is skipped with
    a warning and appended to bad_files as (path, reason), skipped repetitions as (path#repetition, reason)."""
    names = msrc12_class_names()
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith((".csv", ".csv.gz")))
    clips = read_each_cut(files, lambda path: read_msrc12(path, names=names), bad_files)
    return clips, names
