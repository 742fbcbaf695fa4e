"""Shared pieces of the skeleton file readers: reading text, parsing numbers with line numbers, building clips."""

import gzip
import logging
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.errors import SkeletonFileError
from core.skeleton.clip import Clip
from core.skeleton.joint_maps import to_ntu25

log = logging.getLogger(__name__)

FLOAT32_MAX = float(np.finfo(np.float32).max)  # clips are float32: a larger number would read as infinite


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """The decoded text of a plain or gzip-compressed (`*.gz`) file. Raises SkeletonFileError for a missing or
    unreadable file, a corrupt or truncated gzip stream, bytes that are not `encoding` (naming the line), NUL bytes
    and a file with nothing but white space."""
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                raw = stream.read()
        else:
            raw = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise SkeletonFileError(path, f"corrupt or truncated gzip file: {error}") from error
    except OSError as error:
        raise SkeletonFileError(path, f"cannot read: {error.strerror or error}") from error
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise SkeletonFileError(path, f"not a text file (invalid {encoding})",
                                line=raw[:error.start].count(b"\n") + 1) from error
    if "\x00" in text:
        raise SkeletonFileError(path, "not a text file (NUL byte)", line=text[:text.index("\x00")].count("\n") + 1)
    if not text.strip():
        raise SkeletonFileError(path, "empty file")
    return text


def read_lines(path: str | Path, encoding: str = "utf-8") -> list[str]:
    """The lines (CRLF or LF) of a plain or gzip-compressed text file; errors as read_text."""
    return read_text(path, encoding).splitlines()


def parse_int(path: Path, lines: list[str], row: int, field: str) -> int:
    """lines[row] as one integer; row is 0-based, errors give it 1-based."""
    if row >= len(lines):
        raise SkeletonFileError(path, "file ends early (truncated)", line=row + 1, field=field)
    text = lines[row].strip()
    try:
        return int(text)
    except ValueError:
        raise SkeletonFileError(path, f"expected one integer, got {text[:40]!r}", line=row + 1, field=field) from None


def parse_rows(path: Path, lines: list[str], row: int, count: int, width: int, field: str) -> np.ndarray:
    """`count` lines from lines[row] with `width` finite numbers each -> (count, width) float64. Numbers beyond
    float32's range count as bad too: clips store float32, where they would become infinite."""
    if row + count > len(lines):
        raise SkeletonFileError(path, f"file ends early (truncated): {count} lines of {field} expected, "
                                f"{max(len(lines) - row, 0)} present", line=min(row, len(lines)) + 1, field=field)
    block = lines[row:row + count]
    tokens = " ".join(block).split()
    values = None
    if len(tokens) == count * width:
        try:
            values = np.array(tokens, dtype=np.float64).reshape(count, width)
        except ValueError:
            values = None
    if values is None or not (np.abs(values) <= FLOAT32_MAX).all():
        _raise_first_bad_row(path, block, row, width, field)
    return values


def read_joint_frames(path: Path, joints_per_frame: int, width: int, field: str) -> np.ndarray:
    """A file of `width` numbers per line and `joints_per_frame` lines per frame, frames concatenated (MSR
    Action3D, GTU) -> (T, joints_per_frame, width) float64; trailing blank lines are ignored."""
    lines = read_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % joints_per_frame:
        raise SkeletonFileError(path, f"{len(lines)} lines is not a whole number of {joints_per_frame}-joint frames "
                                "(truncated?)", line=len(lines), field="frame")
    return parse_rows(path, lines, 0, len(lines), width, field).reshape(-1, joints_per_frame, width)


def _raise_first_bad_row(path: Path, block: list[str], row: int, width: int, field: str):
    for offset, text in enumerate(block):
        tokens = text.split()
        if len(tokens) != width:
            raise SkeletonFileError(path, f"expected {width} numbers, got {len(tokens)}", line=row + offset + 1,
                                    field=field)
        for column, token in enumerate(tokens):
            try:
                value = float(token)
            except ValueError:
                raise SkeletonFileError(path, f"value {column + 1} is not a number: {token[:40]!r}",
                                        line=row + offset + 1, field=field) from None
            if not abs(value) <= FLOAT32_MAX:
                raise SkeletonFileError(path, f"value {column + 1} is {token[:40]!r}, not a finite number",
                                        line=row + offset + 1, field=field)
    raise SkeletonFileError(path, "unparseable block", line=row + 1, field=field)


def check_finite(path: Path, values: np.ndarray, field: str, line_of_row=None):
    """Raise naming the first non-finite entry; line_of_row(i) gives the 1-based line of values[i] when known."""
    bad = ~np.isfinite(values)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise SkeletonFileError(path, f"non-finite value {values[first]} at index {first}",
                                line=line_of_row(first[0]) if line_of_row else None, field=field)


def file_ids(path: Path, pattern: str) -> dict[str, int]:
    """Named integer groups of `pattern` matched in the file name, {} when it does not match."""
    match = re.search(pattern, path.name)
    return {k: int(v) for k, v in match.groupdict().items()} if match else {}


def mapped_clip(path: Path, joints: np.ndarray, present: np.ndarray, source_layout: str, **metadata) -> Clip:
    """One body's source joints (T, J, 3) and per-frame presence (T,) -> a single-body NTU-25 Clip.

    Frames without a body become zeros with valid False; extras record the source layout (see joint_maps).
    """
    if len(joints) == 0:
        raise SkeletonFileError(path, "no frames")
    if not present.any():
        raise SkeletonFileError(path, f"all {len(joints)} frames are empty (all-zero joints)")
    ntu, valid = to_ntu25(joints, source_layout)
    ntu[~present] = 0.0
    valid[~present] = False
    clip = Clip(joints=ntu[:, None], valid=valid[:, None], source=str(path), **metadata)
    clip.extras["source_layout"] = source_layout
    return clip


def bad_file_reason(error: SkeletonFileError, path: Path | None = None) -> str:
    """What a dataset's bad-file list records for a skipped file: line, field and problem, and the file the
    error is in when that is not `path` (the file read: a companion file such as a tag stream)."""
    where = f"line {error.line}: " if error.line is not None else ""
    other = f" (in {Path(error.path).name})" if path is not None and error.path not in (None, path) else ""
    return f"{where}{error.field + ': ' if error.field else ''}{error.problem}{other}"


def read_each(paths, read: Callable[[Path], Clip], bad_files: list) -> list[Clip]:
    """Read every file, skipping (with a warning) and recording the bad ones in bad_files as (path, reason)."""
    clips = []
    for path in paths:
        try:
            clips.append(read(path))
        except SkeletonFileError as error:
            log.warning("skipping bad file: %s", error)
            bad_files.append((str(path), bad_file_reason(error)))
    return clips


def read_each_cut(paths, read: Callable[[Path], tuple[list[Clip], list]], bad_files: list) -> list[Clip]:
    """read_each for files cut into several clips: read(path) -> (clips, skipped pieces as (source, reason)).
    A bad file is skipped and recorded; skipped pieces are logged and recorded as they come."""
    clips = []
    for path in paths:
        try:
            found, skipped = read(path)
        except SkeletonFileError as error:
            log.warning("skipping bad file: %s", error)
            bad_files.append((str(path), bad_file_reason(error, path)))
            continue
        for source, reason in skipped:
            log.warning("skipping %s: %s", source, reason)
        bad_files.extend(skipped)
        clips.extend(found)
    return clips
