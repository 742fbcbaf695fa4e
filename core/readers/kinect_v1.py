"""Readers for Kinect v1 datasets: UTD-MHAD `.mat`, MSR Action3D `.txt`, UTKinect sequences cut into labelled clips.

All three are already metres in Kinect camera axes with anatomical left/right (checked in tests/test_datasets.py);
each is mapped from its own 20-joint order to NTU-25 by core.skeleton.joint_maps.
"""

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.readers.common import check_finite, file_ids, mapped_clip, parse_rows, read_joint_frames, read_lines
from core.skeleton.clip import Clip

log = logging.getLogger(__name__)

NUM_JOINTS = 20
UTD_FPS = 30.0
MSR_FPS = 15.0
UTKINECT_CLOCK_HZ = 30.0  # UTKinect frame numbers count 30 Hz camera frames; only tracked frames were recorded


def _name(class_names: Sequence[str] | None, label: int | None) -> str | None:
    return class_names[label] if class_names is not None and label is not None and 0 <= label < len(
        class_names) else None


def read_utd_mhad(path: str | Path, class_names: Sequence[str] | None = None) -> Clip:
    """A UTD-MHAD `a{action}_s{subject}_t{trial}_skeleton.mat` (variable d_skel, 20 x 3 x T) -> single-body Clip.

    label = action - 1, subject from the name, extras["trial"], 30 fps.
    Raises core.errors.SkeletonFileError naming the file and field: unreadable .mat, no d_skel, wrong shape or
    joint count, non-numeric, NaN/inf, no frames, all frames empty.
    """
    # scipy imported on use: importing this module stays light
    import scipy.io

    path = Path(path)
    try:
        content = scipy.io.loadmat(path)
    except Exception as error:  # scipy raises many types (ValueError, TypeError, OSError, zlib...) for bad .mat
        raise SkeletonFileError(path, f"cannot read .mat: {type(error).__name__}: {error}") from error
    if "d_skel" not in content:
        found = sorted(k for k in content if not k.startswith("__"))
        raise SkeletonFileError(path, f"no variable d_skel (found {found})", field="d_skel")
    skeleton = content["d_skel"]
    if not isinstance(skeleton, np.ndarray) or not np.issubdtype(skeleton.dtype, np.number):
        raise SkeletonFileError(path, f"d_skel is not numeric ({type(skeleton).__name__})", field="d_skel")
    if skeleton.ndim == 2 and skeleton.shape == (NUM_JOINTS, 3):
        skeleton = skeleton[:, :, None]  # MATLAB drops a trailing singleton: one frame
    if skeleton.ndim != 3 or skeleton.shape[:2] != (NUM_JOINTS, 3):
        raise SkeletonFileError(path, f"d_skel must be 20 x 3 x T, got {' x '.join(map(str, skeleton.shape))}",
                                field="d_skel")
    joints = skeleton.transpose(2, 0, 1).astype(np.float64)  # (T, 20, 3)
    check_finite(path, joints, "d_skel (frame, joint, xyz)")
    ids = file_ids(path, r"a(?P<action>\d+)_s(?P<subject>\d+)_t(?P<trial>\d+)")
    label = ids["action"] - 1 if ids else None
    clip = mapped_clip(path, joints, np.abs(joints).sum(axis=(1, 2)) > 0, "utd_mhad20", label=label,
                       label_name=_name(class_names, label), subject=ids.get("subject"), fps=UTD_FPS)
    if ids:
        clip.extras["trial"] = ids["trial"]
    return clip


def read_msr_action3d(path: str | Path, class_names: Sequence[str] | None = None) -> Clip:
    """An MSR Action3D `aAA_sSS_eEE_skeleton3D.txt` (20 lines of `x y z c` per frame) -> single-body Clip.

    All-zero frames have no body (zeros, valid False); a file with only such frames is bad. The `c` column is kept
    in extras["confidence"] (T, 20) but not used for validity: it is below 0.5 in ~98% of frames for the
    shoulder centre, spine and feet, so it is not a tracking confidence. label = action - 1, 15 fps.
    Raises core.errors.SkeletonFileError naming the file and line: line count not a multiple of 20, not 4
    numbers per line, non-numbers, NaN/inf, empty file, all frames empty.
    """
    path = Path(path)
    values = read_joint_frames(path, NUM_JOINTS, 4, "joint x y z c")
    joints = values[..., :3]
    ids = file_ids(path, r"a(?P<action>\d+)_s(?P<subject>\d+)_e(?P<execution>\d+)")
    label = ids["action"] - 1 if ids else None
    clip = mapped_clip(path, joints, np.abs(joints).sum(axis=(1, 2)) > 0, "msr_action3d20", label=label,
                       label_name=_name(class_names, label), subject=ids.get("subject"), fps=MSR_FPS)
    clip.extras["confidence"] = values[..., 3].astype(np.float32)
    if ids:
        clip.extras["execution"] = ids["execution"]
    return clip


@dataclass(frozen=True)
class Segment:
    """One labelled action in a UTKinect sequence; start/end are inclusive frame numbers, None when NaN."""

    sequence: str  # "sSS_eEE"
    action: str
    start: int | None
    end: int | None
    line: int  # 1-based line in the label file


def read_utkinect_labels(path: str | Path) -> dict[str, list[Segment]]:
    """actionLabel.txt -> {"s01_e01": [Segment, ...]} in file order.

    Raises core.errors.SkeletonFileError naming the line for a malformed action line or an action before any
    sequence header.
    """
    path = Path(path)
    segments: dict[str, list[Segment]] = {}
    current = None
    for row, text in enumerate(read_lines(path)):
        text = text.strip()
        if not text:
            continue
        if ":" not in text:
            current = text
            segments.setdefault(current, [])
            continue
        if current is None:
            raise SkeletonFileError(path, "action line before any sequence name", line=row + 1, field="label")
        action, _, frames = text.partition(":")
        bounds = frames.split()
        try:
            start, end = (float(b) for b in bounds)
        except ValueError:
            raise SkeletonFileError(path, f"expected 'name: start end', got {text[:60]!r}", line=row + 1,
                                    field="label") from None
        if math.isnan(start) or math.isnan(end):
            segments[current].append(Segment(current, action.strip(), None, None, row + 1))
        elif not (math.isfinite(start) and math.isfinite(end)) or start > end:
            raise SkeletonFileError(path, f"bad frame range {frames.strip()!r}", line=row + 1, field="label")
        else:
            segments[current].append(Segment(current, action.strip(), int(start), int(end), row + 1))
    return segments


def read_utkinect_sequence(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A UTKinect `joints_sSS_eEE.txt` -> (frame_numbers (F,) int64 ascending and unique, joints (F, 20, 3)).

    Lines are `frame x1 y1 z1 ... x20 y20 z20`. A repeated frame number keeps its first skeleton.
    Raises core.errors.SkeletonFileError naming the line: not 61 numbers, non-numbers, NaN/inf, non-integer frame
    number, empty file.
    """
    path = Path(path)
    lines = [text for text in read_lines(path) if text.strip()]
    values = parse_rows(path, lines, 0, len(lines), 1 + 3 * NUM_JOINTS, "frame_number joints")
    frames = values[:, 0]
    not_frame_number = (frames != np.round(frames)) | (frames < 0) | (frames >= 2.0 ** 63)  # beyond int64
    if not_frame_number.any():
        bad = int(np.flatnonzero(not_frame_number)[0])
        raise SkeletonFileError(path, f"frame number {frames[bad]:g} is not a non-negative 64-bit integer",
                                line=bad + 1, field="frame_number")
    frame_numbers, first = np.unique(frames.astype(np.int64), return_index=True)
    if len(first) < len(frames):
        log.debug("%s: %d repeated frame numbers, kept the first skeleton of each", path, len(frames) - len(first))
    return frame_numbers, values[first, 1:].reshape(-1, NUM_JOINTS, 3)


def read_utkinect(path: str | Path, segments: Sequence[Segment],
                  class_names: Sequence[str] | None = None) -> tuple[list[Clip], list[tuple[str, str]]]:
    """Cut one UTKinect sequence into one Clip per labelled segment -> (clips, skipped [(source, reason)]).

    A segment with NaN bounds or no recorded frame in its range is skipped and reported. Clips keep the recorded
    (irregular) frames: extras["frame_numbers"] and extras["timestamps"] (seconds, frame number / 30); fps is the
    effective rate over the segment. label = index of the action name in class_names.
    Raises core.errors.SkeletonFileError for a bad joints file (see read_utkinect_sequence).
    """
    path = Path(path)
    frame_numbers, joints = read_utkinect_sequence(path)
    ids = file_ids(path, r"s(?P<subject>\d+)_e(?P<repetition>\d+)")
    clips, skipped = [], []
    for segment in segments:
        source = f"{path}#{segment.action}"
        if segment.start is None:
            skipped.append((source, f"label file line {segment.line}: no frame range (NaN)"))
            continue
        inside = (frame_numbers >= segment.start) & (frame_numbers <= segment.end)
        if not inside.any():
            skipped.append((source, f"no recorded frame in {segment.start}-{segment.end}"))
            continue
        numbers = frame_numbers[inside]
        label = list(class_names).index(segment.action) if class_names and segment.action in class_names else None
        span = (numbers[-1] - numbers[0]) / UTKINECT_CLOCK_HZ
        fps = (len(numbers) - 1) / span if span > 0 else UTKINECT_CLOCK_HZ
        clip = mapped_clip(path, joints[inside], np.abs(joints[inside]).sum(axis=(1, 2)) > 0, "kinect_v1_sdk20",
                           label=label, label_name=segment.action if label is not None or not class_names else None,
                           subject=ids.get("subject"), fps=float(fps))
        clip.source = source
        clip.extras.update(frame_numbers=numbers, timestamps=numbers / UTKINECT_CLOCK_HZ,
                           repetition=ids.get("repetition"))
        clips.append(clip)
    return clips, skipped
