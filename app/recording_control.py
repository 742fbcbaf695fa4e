"""QObject around core.clips.recording and core.clips.clip_eval: record labelled clips from the running source, score a folder."""

import logging
import queue
import threading
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from core.clips.clip_eval import evaluate_clip_folder
from core.clips.clip_folder import open_clip_folder
from core.clips.recording import Recorder
from core.live.scorer import ErrorEvent

log = logging.getLogger(__name__)


class RecordingControl(QObject):
    """Recording runs beside the live engine: add_frame() (called on the capture thread for every frame) appends
    to the open core.clips.recording.Recorder; creating and finishing clips (folder and manifest I/O) happens on a
    worker thread, and folder evaluation on a thread of its own, so the GUI thread only sends requests.

    Signals: sig_recording(clip path) when a clip starts, sig_saved(core.clips.clip_folder.ClipEntry or None when
    nothing was kept, why it stopped: the reason given to stop(), "" when the user stopped it),
    sig_evaluated(ClipEvalReport.to_dict()), sig_error(ErrorEvent, where "recording" or "evaluation").
    """

    sig_recording = pyqtSignal(str)
    sig_saved = pyqtSignal(object, str)
    sig_evaluated = pyqtSignal(dict)
    sig_error = pyqtSignal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._recorder = None  # the open Recorder; add_frame and stop swap it under _lock
        self._lock = threading.Lock()
        self._commands: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="smie-recording", daemon=True)
        self._worker.start()
        self._evaluating: threading.Thread | None = None

    # ---- GUI thread ----
    def start(self, folder, label: str, source: str = ""):
        self._commands.put(("start", Path(folder), label, source))

    def stop(self, reason: str = ""):
        """Finish the open clip, if any; `reason` (e.g. "the source ended") travels with sig_saved."""
        self._commands.put(("stop", reason))

    def evaluate(self, folder, recognizer, extra_labels=None) -> bool:
        """Score every clip of `folder` with `recognizer` among the folder's own labels and `extra_labels`
        (LabelSpecs, e.g. the label list); False while one runs."""
        if self._evaluating is not None and self._evaluating.is_alive():
            return False
        self._evaluating = threading.Thread(target=self._run_evaluation,
                                            args=(Path(folder), recognizer, list(extra_labels or ())),
                                            name="smie-evaluate", daemon=True)
        self._evaluating.start()
        return True

    def frames(self) -> int:
        """Frames written to the clip being recorded (0 when none is)."""
        recorder = self._recorder
        return recorder.frames if recorder is not None else 0

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Finish an open clip and end the worker (application exit)."""
        self._commands.put(("quit",))
        self._worker.join(timeout)
        return not self._worker.is_alive()

    # ---- capture thread ----
    def add_frame(self, frame):
        with self._lock:
            recorder = self._recorder
            if recorder is None:
                return
            try:
                recorder.add(frame)
            except OSError as error:  # disk full, folder gone: stop recording, keep the frames written so far
                self._recorder = None
                self._commands.put(("finish", recorder))
                self.sig_error.emit(ErrorEvent("recording", f"recording stopped: {error}"))

    # ---- worker threads ----
    def _run(self):
        while True:
            command = self._commands.get()
            try:
                if command[0] == "start":
                    self._finish(self._take())
                    self._start(*command[1:])
                elif command[0] == "stop":
                    self._finish(self._take(), command[1])
                elif command[0] == "finish":
                    self._finish(command[1])
                elif command[0] == "quit":
                    self._finish(self._take())
                    return
            except Exception as error:  # bad folder or manifest, disk errors: reported, the worker carries on
                log.exception("recording failed")
                self.sig_error.emit(ErrorEvent("recording", f"{type(error).__name__}: {error}"))

    def _take(self):
        with self._lock:
            recorder, self._recorder = self._recorder, None
        return recorder

    def _start(self, folder: Path, label: str, source: str):
        clip_folder, recovered = open_clip_folder(folder, create=True)
        for item in recovered:
            log.info("recovered an interrupted recording: %s", item)
        recorder = Recorder(clip_folder, label, source=source)
        with self._lock:
            self._recorder = recorder
        self.sig_recording.emit(str(recorder.path))

    def _finish(self, recorder, reason: str = ""):
        if recorder is not None:
            self.sig_saved.emit(recorder.finish(), reason)

    def _run_evaluation(self, folder: Path, recognizer, extra_labels: list):
        try:
            report = evaluate_clip_folder(folder, recognizer, extra_labels=extra_labels)
        except Exception as error:  # no clips, bad manifest, unreadable folder
            self.sig_error.emit(ErrorEvent("evaluation", str(error)))
            return
        self.sig_evaluated.emit(report.to_dict())
