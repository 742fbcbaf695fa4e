"""Reader for GTU Action 3D skeleton files (Kinect v2, 25 joints, `x y z` per line) and its classes.txt."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.readers.common import mapped_clip, read_joint_frames, read_lines
from core.skeleton.clip import Clip

NUM_JOINTS = 25
GTU_FPS = 30.0


def read_gtu_classes(path: str | Path) -> dict[str, str]:
    """classes.txt (tab-separated: folder, readme_index, name_en, name_tr, name_clear) -> {folder: name_clear}.

    Raises core.errors.SkeletonFileError naming the line when a row has fewer than 5 columns.
    """
    path = Path(path)
    names = {}
    for row, text in enumerate(read_lines(path)):
        if not text.strip():
            continue
        columns = text.split("\t")
        if len(columns) < 5 or not columns[4].strip():
            raise SkeletonFileError(path, f"expected 5 tab-separated columns, got {len(columns)}", line=row + 1,
                                    field="class")
        names[columns[0].strip()] = columns[4].strip()
    return names


def read_gtu(path: str | Path, label: int | None = None, class_names: Sequence[str] | None = None) -> Clip:
    """A GTU `movementN.txt` (CRLF, 25 lines of `x y z` per frame, Kinect v2 order = NTU order) -> Clip.

    The class comes from the folder, so the caller passes `label`; 30 fps, no subject id in the file name.
    Raises core.errors.SkeletonFileError naming the file and line: line count not a multiple of 25, not 3 numbers
    per line, non-numbers, NaN/inf, empty file, all frames empty.
    """
    path = Path(path)
    joints = read_joint_frames(path, NUM_JOINTS, 3, "joint x y z")
    name = class_names[label] if class_names is not None and label is not None and label < len(class_names) else None
    return mapped_clip(path, joints, np.abs(joints).sum(axis=(1, 2)) > 0, "ntu25", label=label, label_name=name,
                       fps=GTU_FPS)
