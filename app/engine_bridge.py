"""QObject around core's LiveEngine: worker callbacks become typed Qt signals; the newest result replaces a pending one."""

import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, Qt, pyqtSignal

from core.live.engine import EngineConfig, LiveEngine, load_recognizer
from core.live.recognizer import pick_device
from core.live.ring_buffer import resample_window
from core.live.scorer import ErrorEvent, LiveScorer, ScorerConfig, threshold_in_use
from core.live.sources import SourceError, open_source
from core.skeleton.preprocess import PreprocessError, normalize_sequence

log = logging.getLogger(__name__)

KEYFRAME_HISTORY_MARGIN_S = 2.0  # frames older than the window kept in the snapshot, for scorer latency
FPS_SAMPLES = 90  # frame arrival times kept for the FPS estimate


@dataclass
class RunInfo:
    """What sig_started reports once a source and model are running."""

    source: str  # the source's name ("camera 0", a file path)
    model: str  # model folder name and head kind
    device: str  # "CPU" or "GPU (name)"
    is_live: bool  # a device rather than a file
    unsure_below: float | None = None  # the model's own "unsure" threshold (None: the scorer's default)


def device_text(device: str) -> str:
    if device.startswith("cuda"):
        # torch on use: the command line answers before Qt and torch load
        import torch

        return f"GPU ({torch.cuda.get_device_name(torch.device(device))})"
    return "CPU"


class EngineBridge(QObject):
    """Runs core.live.engine.LiveEngine for the window. The GUI thread only calls methods that return at once.

    A control thread (daemon, owned here) loads the model, opens the source and starts/stops the engine, so a
    slow model load or a stuck camera never freezes the window. Engine callbacks run on the capture and scorer
    threads; they store the newest frame/result and post one queued wake-up, so the GUI handles the newest
    item only and never a backlog.

    Signals: sig_result(LiveResult, keyframe poses (K, M, 25, 3) normalised or None), sig_frame(Frame),
    sig_error(core.live.scorer.ErrorEvent; where is "model", "source", "capture", "scorer" or "labels"),
    sig_started(RunInfo), sig_stopped(reason: "ended" at the end of a file, "failed", "stopped"),
    sig_progress(what the control thread is doing, e.g. "Loading the model…").

    After a file ended, label and scorer-config edits re-score its last window (on the control thread), so the
    views never show labels that are no longer in the list.
    """

    sig_result = pyqtSignal(object, object)
    sig_frame = pyqtSignal(object)
    sig_error = pyqtSignal(object)
    sig_started = pyqtSignal(object)
    sig_stopped = pyqtSignal(str)
    sig_progress = pyqtSignal(str)
    _sig_result_ready = pyqtSignal()
    _sig_frame_ready = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._lock = threading.Lock()  # guards the pending items and the statistics below
        self._pending_result = None
        self._pending_frame = None
        self._frame_times = deque(maxlen=FPS_SAMPLES)
        self._pose_ms = 0.0
        self._labels: list = []
        self._examples: list = []  # core.live.example_features.ExampleClip of the labels, scored with them
        self._labels_generation = 0
        self._scorer_config = ScorerConfig()
        self._engine = None  # read by the GUI for statistics; replaced only by the control thread
        self._scorer = None
        self._ended = None  # (engine, scorer) of a file that ended: its buffer holds the last window to re-score
        self._started_generation = 0  # _labels_generation when the running scorer was made
        self._recognizer = None
        self._recognizer_key = None
        self.run_info: RunInfo | None = None
        self.frame_sink = None  # callable(frame) run on the capture thread for every frame (recording)
        self._commands: queue.Queue = queue.Queue()
        self._sig_result_ready.connect(self._flush_result, Qt.ConnectionType.QueuedConnection)
        self._sig_frame_ready.connect(self._flush_frame, Qt.ConnectionType.QueuedConnection)
        self._control = threading.Thread(target=self._run_control, name="smie-control", daemon=True)
        self._control.start()

    # ---- GUI-thread API: every call returns at once ----
    def start(self, source: str, model_dir, source_options: dict | None = None):
        """(Re)start on `source` (open_source spec) with the model in `model_dir`."""
        self._commands.put(("start", str(source), Path(model_dir), dict(source_options or {})))

    def stop(self):
        self._commands.put(("stop",))

    def set_labels(self, labels):
        """LabelSpecs for the running scorer (embedded on a background thread) and for the next start."""
        self._labels = list(labels)
        self._labels_generation += 1
        scorer = self._scorer
        if scorer is not None:
            scorer.request_labels(self._labels, self._examples)
        elif self._ended is not None:
            self._commands.put(("rescore",))

    def set_examples(self, examples):
        """The labels' recorded examples (ExampleClips): the running scorer takes them with the labels, so the
        next results use them; a file that ended re-scores its last window."""
        self._examples = list(examples)
        self.set_labels(self._labels)

    def last_frames(self, seconds: float):
        """The newest `seconds` of captured frames (joints (T, M, 25, 3), valid (T, M, 25), timestamps (T,)), of
        the running source or the one that just ended; None when there are none."""
        engine = self._engine or (self._ended[0] if self._ended else None)
        if engine is None:
            return None
        joints, valid, timestamps, _, _ = engine.buffer.snapshot(seconds)
        return (joints, valid, timestamps) if len(timestamps) >= 2 else None

    def set_scorer_config(self, config: ScorerConfig):
        """Stride, smoothing, thresholds: a running scorer picks the new config up with its next window."""
        self._scorer_config = config
        scorer = self._scorer
        if scorer is not None:
            scorer.config = config  # one reference swap; the worker reads scorer.config per window
        elif self._ended is not None:
            self._commands.put(("rescore",))

    def stats(self) -> dict:
        """Source FPS over the last frames, pose ms of the newest frame, frames read, windows skipped."""
        with self._lock:
            times = list(self._frame_times)
            pose_ms = self._pose_ms
        fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None
        if times and time.monotonic() - times[-1] > 1.0:
            fps = None  # no frame for a second: the source stalled or ended
        engine, scorer = self._engine, self._scorer
        return {"fps": fps, "pose_ms": pose_ms, "frames": engine.frames_read if engine else 0,
                "skipped_windows": scorer.skipped_windows if scorer else 0, "running": engine is not None}

    @property
    def recognizer(self):
        """The loaded core Recognizer, None until a model loaded."""
        return self._recognizer

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop the engine and end the control thread (application exit); True when both ended in time."""
        self._commands.put(("quit",))
        self._control.join(timeout)
        return not self._control.is_alive()

    # ---- worker callbacks (capture / scorer threads) ----
    def _on_frame(self, frame):
        sink = self.frame_sink
        if sink is not None:
            sink(frame)
        with self._lock:
            self._frame_times.append(time.monotonic())
            self._pose_ms = frame.pose_ms
            post = self._pending_frame is None
            self._pending_frame = frame
        if post:
            self._sig_frame_ready.emit()

    def _on_result(self, result, engine=None, scorer=None):
        poses = self._keyframe_poses(result, engine or self._engine, scorer or self._scorer)
        with self._lock:
            post = self._pending_result is None
            self._pending_result = (result, poses)
        if post:
            self._sig_result_ready.emit()

    def _on_error(self, event: ErrorEvent):
        self.sig_error.emit(event)

    def _keyframe_poses(self, result, engine, scorer):
        """The normalised joints of the result's keyframes, rebuilt from the engine's ring buffer (the same
        frames the scorer resampled: those up to the result's timestamp)."""
        if engine is None or scorer is None or not result.keyframes:
            return None
        seconds = scorer.config.window_seconds
        joints, valid, timestamps, captured_at, _ = engine.buffer.snapshot(seconds + KEYFRAME_HISTORY_MARGIN_S)
        upto = timestamps <= result.timestamp + 1e-9
        if not upto.any():
            return None
        window = resample_window(joints[upto], valid[upto], timestamps[upto], captured_at[upto][-1], seconds,
                                 scorer.preprocess_config.num_frames)
        try:
            x = normalize_sequence(window.joints, window.valid, scorer.preprocess_config)  # (3, T, V, M)
        except PreprocessError:
            return None
        return np.ascontiguousarray(x[:, result.keyframes].transpose(1, 3, 2, 0))  # (K, M, V, 3)

    # ---- GUI thread: the queued wake-ups ----
    def _flush_result(self):
        with self._lock:
            item, self._pending_result = self._pending_result, None
        if item is not None:
            self.sig_result.emit(*item)

    def _flush_frame(self):
        with self._lock:
            frame, self._pending_frame = self._pending_frame, None
        if frame is not None:
            self.sig_frame.emit(frame)

    # ---- control thread ----
    def _run_control(self):
        while True:
            try:
                command = self._commands.get(timeout=0.2)
            except queue.Empty:
                self._check_finished()
                continue
            try:
                if command[0] == "start":
                    self._stop_engine("stopped")
                    self._ended = None
                    self._start_engine(*command[1:])
                elif command[0] == "stop":
                    self._stop_engine("stopped")
                    self._ended = None
                elif command[0] == "rescore":
                    self._rescore_last_window()
                elif command[0] == "quit":
                    self._stop_engine("stopped")
                    return
            except Exception as error:  # a bug here must not end the control thread silently
                log.exception("engine control failed")
                self.sig_error.emit(ErrorEvent("engine", f"{type(error).__name__}: {error}", fatal=True))

    def _check_finished(self):
        engine = self._engine
        if engine is not None and engine.finished.is_set():
            self._stop_engine("failed" if engine.fatal_error else "ended")

    def _stop_engine(self, reason: str):
        engine = self._engine
        if engine is None:
            return
        engine.stop()
        scorer, self._engine, self._scorer = self._scorer, None, None
        self.sig_stopped.emit(reason)
        if reason == "ended":
            self._ended = (engine, scorer)
            if self._labels_generation != self._started_generation:
                # Edited while the file played: the scorer's newest embedding may have been cut short by the end.
                self._rescore_last_window()

    def _rescore_last_window(self):
        """Score the ended file's last window with the current labels and config; the result goes out as any."""
        if self._ended is None or self._scorer is not None:
            return
        engine, scorer = self._ended
        scorer.config = self._scorer_config
        try:
            scorer.set_labels(self._labels, self._examples)
        except Exception as error:  # the labels could not be embedded: the last result stays
            self.sig_error.emit(ErrorEvent("labels", f"labels not changed: {error}"))
            return
        window = engine.buffer.window(scorer.config.window_seconds, scorer.preprocess_config.num_frames)
        if window is not None:
            self._on_result(scorer.score_window(window), engine, scorer)

    def _load_recognizer(self, model_dir: Path):
        device = pick_device()
        key = (model_dir.resolve(), device)
        if key != self._recognizer_key:
            self._recognizer, self._recognizer_key = None, None
            self.sig_progress.emit(f"Loading the model from {model_dir}…")
            recognizer = load_recognizer(model_dir, device)
            # Labels already in the embedding cache never load the text model; the first new label typed would
            # then wait seconds for it. Load it here, before anything is shown running.
            recognizer.text_encoder.warm_up()
            self._recognizer, self._recognizer_key = recognizer, key
        return self._recognizer

    def _start_engine(self, source_spec: str, model_dir: Path, source_options: dict):
        try:
            recognizer = self._load_recognizer(model_dir)
        except Exception as error:  # missing folder, damaged checkpoint, text model absent: all shown the same
            log.warning("model %s not loaded: %s", model_dir, error)
            self.sig_error.emit(ErrorEvent("model", str(error), fatal=True))
            return
        self.sig_progress.emit(f"Opening camera {source_spec}…" if source_spec.isdigit() else
                               f"Opening {Path(source_spec).name}…")
        try:
            source = open_source(source_spec, **source_options)
        except (SourceError, TypeError, ValueError) as error:
            self.sig_error.emit(ErrorEvent("source", str(error), fatal=True))
            return
        generation = self._started_generation = self._labels_generation
        try:
            scorer = LiveScorer(recognizer, self._labels, self._scorer_config, on_result=self._on_result,
                                on_error=self._on_error, examples=self._examples)
        except Exception as error:  # the labels could not be embedded
            self.sig_error.emit(ErrorEvent("labels", f"labels not set: {error}", fatal=True))
            return
        engine = LiveEngine(source, scorer, EngineConfig(), on_frame=self._on_frame, on_error=self._on_error)
        with self._lock:
            self._frame_times.clear()
        self._scorer, self._engine = scorer, engine
        if generation != self._labels_generation:  # edited while this scorer embedded the older list
            scorer.request_labels(self._labels, self._examples)
        metadata = recognizer.metadata
        self.run_info = RunInfo(source=source.name, model=f"{model_dir.name} ({metadata.head_kind})",
                                device=device_text(recognizer.device), is_live=source.is_live,
                                unsure_below=threshold_in_use(ScorerConfig(), recognizer))
        self.sig_started.emit(self.run_info)  # before the threads start, so it precedes any of their errors
        engine.start()
