"""Clip folders: manifest round trip and bad manifests, unique names, atomic updates, crash recovery."""

import sys
from datetime import datetime

import numpy as np
import pytest
from io_fixtures import moving_body

from core.clips.clip_folder import (
    STATUS_OK,
    STATUS_RECORDING,
    ClipEntry,
    ClipFolder,
    ClipFolderError,
    format_manifest,
    open_clip_folder,
    read_manifest,
)
from core.clips.recording import Recorder
from core.errors import SkeletonFileError
from core.readers.ntu import read_ntu_skeleton
from core.readers.ntu_writer import NtuSkeletonWriter

STARTED = datetime(2024, 5, 1, 12, 30, 0).astimezone()


def test_manifest_round_trip_keeps_every_column_and_unknown_ones(tmp_path):
    entries = [ClipEntry("a.skeleton", "wave the hand", "camera 0", 30.0, 90, "2024-05-01T12:30:00+02:00", 3.0,
                         'notes with, a comma and "quotes"', STATUS_OK, {"person": "P1"}),
               ClipEntry("b.skeleton", "clap", fps=15.0, frames=4, duration_s=4 / 15)]
    path = tmp_path / "manifest.csv"
    path.write_text(format_manifest(entries))
    assert path.read_text().splitlines()[0] == "file,label,source,fps,frames,started_at,duration_s,notes,status,person"
    back = read_manifest(path)
    assert back[0] == entries[0]
    assert (back[1].file, back[1].fps, back[1].frames, back[1].extra) == ("b.skeleton", 15.0, 4, {"person": ""})
    assert back[1].duration_s == pytest.approx(4 / 15, abs=1e-3)


@pytest.mark.parametrize("text, message", [
    ("file,notes\na.skeleton,x\n", "missing column(s) label"),
    ("file,label,fps\na.skeleton,wave,fast\n", ":2: column 'fps': not a number: 'fast'"),
    ("file,label\n,wave\n", ":2: column 'file' is empty"),
])
def test_bad_manifest_names_the_line_and_column(tmp_path, text, message):
    (tmp_path / "manifest.csv").write_text(text)
    with pytest.raises(ClipFolderError, match="manifest.csv") as error:
        open_clip_folder(tmp_path)
    assert message in str(error.value)


def test_missing_folder_is_an_error_unless_created(tmp_path):
    with pytest.raises(ClipFolderError, match="not found"):
        open_clip_folder(tmp_path / "nope")
    folder, recovered = open_clip_folder(tmp_path / "new", create=True)
    assert folder.path.is_dir() and recovered == [] and folder.entries() == []


def test_reserved_names_are_unique_and_updates_leave_no_temporary_files(tmp_path):
    folder = ClipFolder(tmp_path)
    reserved = [folder.reserve("Wave the hand!", STARTED) for _ in range(3)]
    for _, handle in reserved:
        handle.close()
    names = [entry.file for entry, _ in reserved]
    assert names == ["wave_the_hand_20240501-123000.skeleton", "wave_the_hand_20240501-123000_2.skeleton",
                     "wave_the_hand_20240501-123000_3.skeleton"]
    assert [e.status for e in folder.entries()] == [STATUS_RECORDING] * 3
    folder.upsert(ClipEntry(names[0], "wave the hand", frames=7))
    folder.remove(names[1])
    assert {e.file: e.frames for e in folder.entries()} == {names[2]: 0, names[0]: 7}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def interrupted_recording(folder: ClipFolder, frames: int, half_frame: bool = True) -> ClipEntry:
    """A recording as a killed recorder leaves it: row "recording", `frames` flushed, maybe half a frame more."""
    entry, handle = folder.reserve("wave", STARTED, source="test")
    handle.close()  # the recorder died: its lock is gone
    writer = NtuSkeletonWriter(folder.clip_path(entry))
    joints = moving_body(frames + 1)
    for t in range(frames):
        writer.append(joints[t][None], np.ones((1, 25), bool))
    if half_frame:
        writer._file.write(b"1\n1 0 0 0 0 0 0 0 0 2\n25\n0.1 0.2")  # killed mid-frame
        writer._file.flush()
    return entry


def test_recovery_keeps_every_flushed_frame_and_fixes_the_manifest(tmp_path):
    folder = ClipFolder(tmp_path)
    entry = interrupted_recording(folder, 12)
    with pytest.raises(SkeletonFileError):
        read_ntu_skeleton(folder.clip_path(entry))  # as the crash left it: not a valid file
    folder, recovered = open_clip_folder(tmp_path)
    assert [(r.file, r.frames, r.action) for r in recovered] == [(entry.file, 12, "recovered")]
    clip = read_ntu_skeleton(folder.clip_path(entry))  # strict read: a valid file now
    np.testing.assert_allclose(clip.joints[:, 0], moving_body(13)[:12], atol=1e-6)
    [row] = folder.entries()
    assert (row.status, row.frames, row.duration_s, row.label) == (STATUS_OK, 12, pytest.approx(0.4), "wave")
    assert "recovered" in row.notes
    assert open_clip_folder(tmp_path)[1] == []  # nothing left to recover


def test_recordings_with_nothing_on_disk_are_dropped(tmp_path):
    folder = ClipFolder(tmp_path)
    empty = interrupted_recording(folder, 0, half_frame=False)
    never, handle = folder.reserve("clap", STARTED)
    handle.close()
    folder.clip_path(never).unlink()
    kept = interrupted_recording(folder, 3, half_frame=False)
    _, recovered = open_clip_folder(tmp_path)
    assert {r.file: r.action for r in recovered} == {empty.file: "dropped", never.file: "dropped",
                                                     kept.file: "recovered"}
    assert [e.file for e in folder.entries()] == [kept.file]
    assert not folder.clip_path(empty).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="live recordings are told apart by flock (POSIX)")
def test_a_live_recording_is_left_alone(tmp_path):
    folder = ClipFolder(tmp_path)
    recorder = Recorder(folder, "wave")
    recorder.add_skeleton(0.0, moving_body(1)[0][None], np.ones((1, 25), bool))
    _, recovered = open_clip_folder(tmp_path)
    assert [(r.file, r.action) for r in recovered] == [(recorder.entry.file, "in progress")]
    assert folder.entries()[0].status == STATUS_RECORDING
    recorder.finish()
    assert open_clip_folder(tmp_path)[1] == [] and folder.entries()[0].status == STATUS_OK
