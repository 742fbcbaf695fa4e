"""A folder of labelled clips: NTU .skeleton files plus manifest.csv, updated atomically, with crash recovery."""

import csv
import io
import logging
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

from core.errors import SkeletonFileError
from core.readers.ntu import read_ntu_skeleton
from core.readers.ntu_writer import write_ntu_skeleton

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.csv"
LABELS_CSV_NAME = "labels.csv"  # file,label: ground truth of a folder without a manifest (e.g. plain videos)
CLIP_SUFFIX = ".skeleton"
STATUS_OK = "ok"
STATUS_RECORDING = "recording"  # a recorder is (or was, until a crash) appending to the file
_LOCK_NAME = ".manifest.lock"  # advisory lock serialising manifest updates between processes


@dataclass
class ClipEntry:
    """One manifest row. fps is the rate the file was written at; duration_s = frames / fps."""

    file: str  # path relative to the folder
    label: str
    source: str = ""  # where the frames came from (camera, video, dataset file)
    fps: float = 30.0
    frames: int = 0
    started_at: str = ""  # ISO 8601 local time with offset
    duration_s: float = 0.0
    notes: str = ""
    status: str = STATUS_OK
    extra: dict = field(default_factory=dict)  # columns we do not know, kept so a rewrite never loses them


COLUMNS = tuple(f.name for f in fields(ClipEntry) if f.name != "extra")


@dataclass
class RecoveredClip:
    """What recovery did with one interrupted recording: kept (frames > 0) or dropped (nothing usable)."""

    file: str
    frames: int
    action: str  # "recovered", "dropped" or "in progress"
    reason: str = ""


class ClipFolderError(ValueError):
    """A clip folder or its manifest cannot be used; the message names the file, line and field."""


def _parse_row(path: Path, line: int, row: dict) -> ClipEntry:
    def number(name, cast, default):
        text = (row.get(name) or "").strip()
        try:
            return cast(text) if text else default
        except ValueError:
            raise ClipFolderError(f"{path}:{line}: column {name!r}: not a number: {text!r}") from None

    file, label = (row.get("file") or "").strip(), (row.get("label") or "").strip()
    if not file:
        raise ClipFolderError(f"{path}:{line}: column 'file' is empty")
    return ClipEntry(file=file, label=label, source=row.get("source") or "", fps=number("fps", float, 30.0),
                     frames=number("frames", int, 0), started_at=row.get("started_at") or "",
                     duration_s=number("duration_s", float, 0.0), notes=row.get("notes") or "",
                     status=(row.get("status") or STATUS_OK).strip() or STATUS_OK,
                     extra={k: v for k, v in row.items() if k not in COLUMNS and k is not None})


def read_manifest(path: str | Path) -> list[ClipEntry]:
    """manifest.csv -> entries in file order. Needs the columns file and label; others default.
    Raises ClipFolderError naming the file, line and column for anything unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ClipFolderError(f"{path}: cannot read manifest: {error}") from error
    reader = csv.DictReader(io.StringIO(text))
    missing = {"file", "label"} - set(reader.fieldnames or ())
    if missing:
        raise ClipFolderError(f"{path}: missing column(s) {', '.join(sorted(missing))} "
                              f"(header is {reader.fieldnames})")
    try:
        return [_parse_row(path, reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise ClipFolderError(f"{path}:{reader.line_num}: {error}") from error


def format_manifest(entries: list[ClipEntry]) -> str:
    extra_columns = list(dict.fromkeys(key for entry in entries for key in entry.extra))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS) + extra_columns, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        row = {k: v for k, v in asdict(entry).items() if k != "extra"}
        row["fps"], row["duration_s"] = f"{entry.fps:g}", f"{entry.duration_s:.3f}"
        writer.writerow({**entry.extra, **row})
    return out.getvalue()


def write_atomically(path: Path, text: str):
    """Write a temporary file beside `path`, fsync it, then rename over `path`: readers see the old or new file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def try_lock(file) -> bool:
    """Take an exclusive advisory lock on an open file without waiting. The OS drops it when the process dies
    (kill -9 included), which is how recovery tells a live recording from an interrupted one. Always True where
    the platform has no flock (Windows): there recovery relies on the manifest status alone."""
    try:
        # POSIX only: imported where used
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def clip_file_name(label: str, started: datetime, taken: set[str]) -> str:
    """`<label words>_<YYYYmmdd-HHMMSS>[_n].skeleton`, unique among `taken` (names relative to the folder)."""
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:60] or "clip"
    base = f"{slug}_{started:%Y%m%d-%H%M%S}"
    name, n = base + CLIP_SUFFIX, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}{CLIP_SUFFIX}"
    return name


class ClipFolder:
    """A folder of clips and its manifest. Every change re-reads manifest.csv, applies the change and replaces
    the file atomically under a lock, so several recorders (threads or processes) may share one folder."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.manifest_path = self.path / MANIFEST_NAME
        self._lock = threading.Lock()

    def entries(self) -> list[ClipEntry]:
        """The manifest's rows (empty when there is no manifest yet)."""
        return read_manifest(self.manifest_path) if self.manifest_path.is_file() else []

    def clip_path(self, entry: ClipEntry | str) -> Path:
        return self.path / (entry.file if isinstance(entry, ClipEntry) else entry)

    @contextmanager
    def _editing(self):
        """Yield the current entries for in-place editing; write them back atomically on success."""
        self.path.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path / _LOCK_NAME, "a+b") as lock_file:
            try:
                # POSIX only: imported where used
                import fcntl

                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)  # released when lock_file closes
            except ImportError:
                pass
            entries = self.entries()
            yield entries
            write_atomically(self.manifest_path, format_manifest(entries))

    def upsert(self, *new: ClipEntry):
        """Add rows, each replacing any row for the same file (one manifest rewrite for all)."""
        files = {entry.file for entry in new}
        with self._editing() as entries:
            entries[:] = [e for e in entries if e.file not in files] + list(new)

    def remove(self, file: str):
        with self._editing() as entries:
            entries[:] = [e for e in entries if e.file != file]

    def reserve(self, label: str, started: datetime, **values) -> tuple[ClipEntry, object]:
        """Add a row with status "recording" under a new unique file name, create that file empty and lock it.
        Returns (entry, open lock handle): keep the handle open while recording and close it when done, so
        recovery in another process or thread can tell this live recording from an interrupted one."""
        with self._editing() as entries:
            taken = {e.file for e in entries} | {p.name for p in self.path.iterdir()}
            entry = ClipEntry(file=clip_file_name(label, started, taken), label=label,
                              started_at=started.isoformat(timespec="seconds"), status=STATUS_RECORDING, **values)
            handle = open(self.clip_path(entry), "ab")
            try_lock(handle)
            entries.append(entry)
        return entry, handle

    def recover(self) -> list[RecoveredClip]:
        """Turn every interrupted recording (status "recording", no live recorder) into a valid clip with all the
        frames that reached disk, or drop it when none did. Returns what was done, one item per such row."""
        report = []
        for entry in self.entries():
            if entry.status != STATUS_RECORDING:
                continue
            path = self.clip_path(entry)
            try:
                handle = open(path, "rb")
            except OSError:
                self.remove(entry.file)
                report.append(RecoveredClip(entry.file, 0, "dropped", "the file was never created"))
                continue
            with handle:
                if not try_lock(handle):  # a live recorder (or another recovery) holds it
                    report.append(RecoveredClip(entry.file, entry.frames, "in progress", "still being written"))
                    continue
                report.append(self._recover_one(entry, path))
        for item in report:
            log.warning("%s: %s %s (%d frames)%s", self.path, item.action, item.file, item.frames,
                        f": {item.reason}" if item.reason else "")
        return report

    def _recover_one(self, entry: ClipEntry, path: Path) -> RecoveredClip:
        try:
            clip = read_ntu_skeleton(path, allow_truncated=True)
        except (SkeletonFileError, OSError) as error:
            path.unlink(missing_ok=True)
            self.remove(entry.file)
            return RecoveredClip(entry.file, 0, "dropped", f"no complete frame reached disk ({error})")
        temporary = path.with_name(f".{path.name}.{os.getpid()}.recovering")
        write_ntu_skeleton(temporary, clip)
        os.replace(temporary, path)
        entry.frames, entry.status = clip.num_frames, STATUS_OK
        entry.duration_s = round(clip.num_frames / entry.fps, 3) if entry.fps > 0 else 0.0
        note = f"recovered after an interrupted recording ({clip.num_frames} frames)"
        entry.notes = f"{entry.notes}; {note}" if entry.notes else note
        self.upsert(entry)
        return RecoveredClip(entry.file, clip.num_frames, "recovered")


def open_clip_folder(path: str | Path, create: bool = False) -> tuple[ClipFolder, list[RecoveredClip]]:
    """Open a clip folder (make it when `create`) and recover interrupted recordings first.
    Returns (folder, what recovery did). Raises ClipFolderError when the folder is missing or its manifest bad."""
    path = Path(path).expanduser()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif not path.is_dir():
        raise ClipFolderError(f"clip folder not found: {path}")
    folder = ClipFolder(path)
    return folder, folder.recover()
