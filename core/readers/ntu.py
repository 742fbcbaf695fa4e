"""Reader for NTU RGB+D raw `.skeleton` files (Kinect v2, 25 joints), keeping the two most active bodies."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.readers.common import file_ids, parse_int, parse_rows, read_lines
from core.skeleton.clip import MAX_BODIES, Clip

log = logging.getLogger(__name__)

NUM_JOINTS = 25
BODY_FIELDS = 10  # bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence handRightState
#                   isRestricted leanX leanY trackingState
JOINT_FIELDS = 12  # x y z depthX depthY colorX colorY orientationW X Y Z trackingState
NAME_PATTERN = r"S(?P<setup>\d{3})C(?P<camera>\d{3})P(?P<performer>\d{3})R(?P<replication>\d{3})A(?P<action>\d{3})"
NTU_FPS = 30.0


@dataclass
class _Body:
    """One tracked body across the frames it appears in."""

    body_id: int
    first_order: int  # order of first appearance in the file: breaks ties in activity
    frames: list[int] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)  # (25, 12) per frame

    def activity(self) -> float:
        """Total joint displacement between consecutive frames the body appears in (brief noise bodies score low)."""
        if len(self.rows) < 2:
            return 0.0
        xyz = np.stack(self.rows)[:, :, :3]
        consecutive = np.diff(self.frames) == 1
        steps = np.linalg.norm(np.diff(xyz, axis=0), axis=-1).sum(axis=1)
        return float(steps[consecutive].sum())


def _parse_frames(path: Path, lines: list[str], allow_truncated: bool) -> tuple[int, dict[int, _Body]]:
    """Walk the file. Returns (frames read, bodies by id)."""
    declared = parse_int(path, lines, 0, "frame count")
    if declared < 0 or (declared == 0 and not allow_truncated):
        hint = " (an unfinished recording? read it with allow_truncated=True)" if declared == 0 else ""
        raise SkeletonFileError(path, f"frame count is {declared}{hint}", line=1, field="frame count")
    bodies: dict[int, _Body] = {}
    end = max(i for i, line in enumerate(lines) if line.strip()) + 1  # blank lines at the end are not data
    row, frame = 1, 0
    while frame < declared or allow_truncated:
        if allow_truncated and row >= end:
            break
        try:
            row = _parse_frame(path, lines, row, frame, bodies)
        except SkeletonFileError as error:
            if not allow_truncated:
                raise
            log.warning("%s: keeping the %d complete frames before line %s (%s)", path, frame, error.line,
                        error.problem)
            _drop_frame(bodies, frame)
            break
        frame += 1
    if row < end and not allow_truncated:
        first = next(i for i in range(row, end) if lines[i].strip())
        raise SkeletonFileError(path, f"unexpected data after the {declared} declared frames", line=first + 1)
    if frame == 0:
        raise SkeletonFileError(path, "no complete frame", line=row + 1)
    return frame, bodies


def _parse_frame(path: Path, lines: list[str], row: int, frame: int, bodies: dict[int, _Body]) -> int:
    """Parse the frame starting at lines[row] into `bodies`; return the row after it."""
    count = parse_int(path, lines, row, f"body count of frame {frame + 1}")
    if not 0 <= count <= 64:
        raise SkeletonFileError(path, f"body count {count} out of range", line=row + 1,
                                field=f"body count of frame {frame + 1}")
    row += 1
    for b in range(count):
        what = f"frame {frame + 1} body {b + 1}"
        if row >= len(lines):
            raise SkeletonFileError(path, "file ends early (truncated)", line=row + 1, field=f"{what} info")
        info = lines[row].split()
        if len(info) != BODY_FIELDS:
            raise SkeletonFileError(path, f"expected {BODY_FIELDS} values, got {len(info)}", line=row + 1,
                                    field=f"{what} info")
        try:
            body_id = int(info[0])
        except ValueError:
            raise SkeletonFileError(path, f"body id is not an integer: {info[0][:40]!r}", line=row + 1,
                                    field=f"{what} info") from None
        parse_rows(path, lines, row, 1, BODY_FIELDS, f"{what} info")
        joint_count = parse_int(path, lines, row + 1, f"{what} joint count")
        if joint_count != NUM_JOINTS:
            raise SkeletonFileError(path, f"expected {NUM_JOINTS} joints, got {joint_count}", line=row + 2,
                                    field=f"{what} joint count")
        values = parse_rows(path, lines, row + 2, NUM_JOINTS, JOINT_FIELDS, f"{what} joints")
        state = values[:, 11]
        if not np.isin(state, (0, 1, 2)).all():
            bad = int(np.flatnonzero(~np.isin(state, (0, 1, 2)))[0])
            raise SkeletonFileError(path, f"trackingState {state[bad]:g} is not 0, 1 or 2", line=row + 3 + bad,
                                    field=f"{what} joints")
        body = bodies.setdefault(body_id, _Body(body_id, len(bodies)))
        if body.frames and body.frames[-1] == frame:
            raise SkeletonFileError(path, f"body id {body_id} appears twice in the frame", line=row + 1,
                                    field=f"{what} info")
        body.frames.append(frame)
        body.rows.append(values)
        row += 2 + NUM_JOINTS
    return row


def _drop_frame(bodies: dict[int, _Body], frame: int):
    """Remove what an incomplete last frame left behind."""
    for body_id in list(bodies):
        body = bodies[body_id]
        if body.frames and body.frames[-1] == frame:
            body.frames.pop()
            body.rows.pop()
        if not body.frames:
            del bodies[body_id]


def read_ntu_skeleton(path: str | Path, *, allow_truncated: bool = False, class_names: Sequence[str] | None = None,
                      max_bodies: int = MAX_BODIES) -> Clip:
    """An NTU `.skeleton` file -> Clip (T, M, 25, 3), M = bodies kept (at most `max_bodies`, at least 1).

    More bodies than `max_bodies`: the most active (largest joint motion) are kept, most active first. Frames
    without a kept body are zeros with valid False; joints with trackingState 0 are invalid. Metadata comes from
    the name SsssCcccPpppRrrrAaaa: label = action - 1, subject = performer, view = "Cccc". extras: body_ids,
    tracking_state (T, M, 25) int8, depth_xy and color_xy (T, M, 25, 2), orientation (T, M, 25, 4) (wxyz).

    allow_truncated: return every complete frame of a file cut short (a recording killed mid-write); the
    declared frame count is then ignored.
    Raises core.errors.SkeletonFileError naming the file, line and field for any malformed content (truncated,
    wrong joint count, non-numbers, NaN/inf, empty, zero frames, trailing data).
    """
    path = Path(path)
    lines = read_lines(path)
    num_frames, bodies = _parse_frames(path, lines, allow_truncated)
    ranked = sorted(bodies.values(), key=lambda b: (-b.activity(), b.first_order))[:max(1, max_bodies)]
    num_bodies = max(1, len(ranked))
    values = np.zeros((num_frames, num_bodies, NUM_JOINTS, JOINT_FIELDS), np.float32)
    present = np.zeros((num_frames, num_bodies), bool)
    for m, body in enumerate(ranked):
        values[body.frames, m] = np.stack(body.rows)
        present[body.frames, m] = True
    state = values[..., 11].astype(np.int8)
    ids = file_ids(path, NAME_PATTERN)
    label = ids["action"] - 1 if ids else None
    clip = Clip(
        joints=values[..., :3], valid=(state > 0) & present[..., None], label=label,
        label_name=class_names[label] if class_names is not None and label is not None and label < len(
            class_names) else None,
        subject=ids.get("performer"), view=f"C{ids['camera']:03d}" if ids else None, source=str(path), fps=NTU_FPS)
    clip.extras.update(body_ids=[b.body_id for b in ranked], tracking_state=state,
                       depth_xy=values[..., 3:5].copy(), color_xy=values[..., 5:7].copy(),
                       orientation=values[..., 7:11].copy(), source_layout="ntu25")
    if ids:
        clip.extras.update(setup=ids["setup"], replication=ids["replication"])
    if len(bodies) > num_bodies:
        log.debug("%s: %d bodies, kept the %d most active", path, len(bodies), num_bodies)
    return clip


read_skeleton = read_ntu_skeleton  # the name core.live.sources.replay imports
