"""Recording a labelled clip: source frames resampled to a fixed rate, appended and flushed to a clip folder."""

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from core.clips.clip_folder import STATUS_OK, ClipEntry, ClipFolder
from core.readers.ntu import read_ntu_skeleton
from core.readers.ntu_writer import NtuSkeletonWriter, write_ntu_skeleton

log = logging.getLogger(__name__)


@dataclass
class RecorderConfig:
    fps: float = 30.0  # rate clips are written at: NTU RGB+D's own, so recordings match the training data's pace
    max_blend_gap_s: float = 0.25  # frames further apart are held, not blended: no motion invented across a stall


def blend_frames(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], weight: float,
                 max_gap_ok: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The skeleton `weight` (0..1) of the way from frame a to frame b, each (joints (M, 25, 3), valid (M, 25)).

    Joints observed in both frames are interpolated linearly; the others, and whole frames whose body count
    differs or that lie too far apart (max_gap_ok False), come from the nearer frame."""
    nearer = a if weight < 0.5 else b
    (joints_a, valid_a), (joints_b, valid_b) = a, b
    if not max_gap_ok or joints_a.shape != joints_b.shape:
        return nearer
    both = valid_a & valid_b
    mixed = ((1.0 - weight) * joints_a + weight * joints_b).astype(np.float32)
    return np.where(both[..., None], mixed, nearer[0]), both | nearer[1]


class FrameResampler:
    """Frames at any (irregular) source timestamps -> frames at t0 + k / fps, t0 = the first frame's time.

    push() returns the output frames that became due; nothing is extrapolated past the newest frame, so a clip
    of source frames spanning D seconds yields floor(D * fps) + 1 frames."""

    def __init__(self, fps: float, max_blend_gap_s: float = 0.25):
        assert fps > 0, f"fps must be positive, got {fps}"
        self.fps = fps
        self.max_blend_gap_s = max_blend_gap_s
        self._start: float | None = None
        self._count = 0  # output frames produced
        self._previous: tuple[float, np.ndarray, np.ndarray] | None = None

    def push(self, timestamp: float, joints: np.ndarray, valid: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        joints, valid = np.asarray(joints, np.float32), np.asarray(valid, bool)
        if self._previous is None:
            self._start, self._count, self._previous = timestamp, 1, (timestamp, joints, valid)
            return [(joints, valid)]
        previous_time, previous_joints, previous_valid = self._previous
        if timestamp <= previous_time:
            log.debug("dropping a frame whose timestamp %.4f does not advance past %.4f", timestamp, previous_time)
            return []
        gap = timestamp - previous_time
        out = []
        while (due := self._start + self._count / self.fps) <= timestamp + 1e-9:
            out.append(blend_frames((previous_joints, previous_valid), (joints, valid), (due - previous_time) / gap,
                                    gap <= self.max_blend_gap_s))
            self._count += 1
        self._previous = (timestamp, joints, valid)
        return out


def resample_sequence(joints: np.ndarray, valid: np.ndarray, timestamps: np.ndarray, fps: float,
                      max_blend_gap_s: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """A whole sequence joints (T, M, 25, 3), valid (T, M, 25) at `timestamps` (T,) seconds -> the same at fps."""
    resampler = FrameResampler(fps, max_blend_gap_s)
    frames = [out for t in range(len(joints)) for out in resampler.push(float(timestamps[t]), joints[t], valid[t])]
    return np.stack([j for j, _ in frames]), np.stack([v for _, v in frames])


class Recorder:
    """Writes one clip into a clip folder while frames arrive, crash-safe.

    On creation a manifest row with status "recording" is added and the file is created and locked; every
    resampled frame is appended and flushed (the frame count in the header follows); finish() closes the file
    and marks the row "ok". A process killed meanwhile leaves a row that open_clip_folder() recovers. add() may
    run on a capture thread while finish() is called from another thread.
    """

    def __init__(self, folder: ClipFolder, label: str, source: str = "", notes: str = "",
                 config: RecorderConfig = RecorderConfig()):
        self.folder = folder
        self.config = config
        self.entry, self._lock_handle = folder.reserve(label, datetime.now().astimezone(), source=source,
                                                       fps=config.fps, notes=notes)
        self.path = folder.clip_path(self.entry)
        self._writer = NtuSkeletonWriter(self.path)
        self._resampler = FrameResampler(config.fps, config.max_blend_gap_s)
        self._guard = threading.Lock()
        self._damaged = False  # an append was interrupted half-way: finish() rewrites the file cleanly
        self.finished: ClipEntry | None = None
        self._done = False
        log.info("recording %r into %s", label, self.path)

    @property
    def frames(self) -> int:
        """Frames written so far (at the recorder's fps)."""
        return self._writer.num_frames

    @property
    def duration_s(self) -> float:
        return self.frames / self.config.fps

    def add(self, frame) -> int:
        """Append a core.live.sources.Frame (resampled); returns the frames written so far."""
        return self.add_skeleton(frame.timestamp, frame.joints, frame.valid)

    def add_skeleton(self, timestamp: float, joints: np.ndarray, valid: np.ndarray) -> int:
        """Append one source frame: joints (M, 25, 3) metres in NTU axes, valid (M, 25), at `timestamp` seconds."""
        with self._guard:
            assert not self._done, f"{self.path}: add() after finish()"
            for out_joints, out_valid in self._resampler.push(timestamp, joints, valid):
                try:
                    self._writer.append(out_joints, out_valid)
                except BaseException:  # Ctrl-C mid-frame: the count is still right, but stray text may follow
                    self._damaged = True
                    raise
            return self._writer.num_frames

    def finish(self) -> ClipEntry | None:
        """Close the clip and mark its manifest row "ok"; a clip with no frame is removed. Returns the final row
        (None when nothing was kept). Safe to call twice."""
        with self._guard:
            if self._done:
                return self.finished
            self._done = True
            self._writer.close()  # keeps num_frames
            frames = self._writer.num_frames
            if frames and self._damaged:
                self._rewrite_clean()
            self._lock_handle.close()
            if frames == 0:
                log.info("%s: no frame recorded; nothing kept", self.path)
                self.path.unlink(missing_ok=True)
                self.folder.remove(self.entry.file)
                return None
            entry = self.entry
            entry.frames, entry.duration_s, entry.status = frames, round(frames / self.config.fps, 3), STATUS_OK
            self.folder.upsert(entry)
            self.finished = entry
            log.info("saved %s: %d frames (%.2f s)", self.path, frames, entry.duration_s)
            return entry

    def _rewrite_clean(self):
        clip = read_ntu_skeleton(self.path, allow_truncated=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.rewrite")
        write_ntu_skeleton(temporary, clip)
        os.replace(temporary, self.path)

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc_info):
        self.finish()  # an exception still keeps every frame recorded so far


def record_source(source, recorder: Recorder, seconds: float | None = None, stop: threading.Event | None = None,
                  on_frame=None) -> int:
    """Feed an opened Source into `recorder` until the source ends, `seconds` of clip are written or `stop` is set.
    on_frame(frame, frames_written) runs after each source frame. Returns the frames written. The caller calls
    recorder.finish() (also after KeyboardInterrupt, which this lets through)."""
    limit = None if seconds is None else max(1, int(round(seconds * recorder.config.fps)))
    while stop is None or not stop.is_set():
        frame = source.read()
        if frame is None:
            break
        written = recorder.add(frame)
        if on_frame is not None:
            on_frame(frame, written)
        if limit is not None and written >= limit:
            break
    return recorder.frames
