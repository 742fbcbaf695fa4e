"""The live pipeline without UI: capture thread -> ring buffer -> scorer thread, with retries and clean stop."""

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.live.recognizer import Recognizer
from core.live.ring_buffer import RingBuffer
from core.live.scorer import ErrorEvent, LiveScorer
from core.live.sources.base import Frame, Source, SourceError

log = logging.getLogger(__name__)

MAX_FPS = 60.0  # the buffer is sized for the fastest source we expect, so it never needs the real rate first


@dataclass
class EngineConfig:
    buffer_seconds: float = 10.0  # history kept for display; windows need only ScorerConfig.window_seconds
    realtime: bool = True  # True: a slow scorer skips windows (newest wins); False: capture waits, every stride scored
    retry_initial_s: float = 0.5  # first wait before reopening a failed live device
    retry_max_s: float = 8.0  # the wait doubles up to this
    # A live device that has not delivered a frame yet is given up (a fatal error) once the next retry would start
    # after this many seconds; None retries for ever (the app, which offers other sources meanwhile).
    give_up_without_frames_s: float | None = None
    stop_timeout_s: float = 1.0  # stop() gives the threads this long to end


class ModelNotFoundError(FileNotFoundError):
    """No trained model where one was expected."""


def load_recognizer(model_dir: str | Path, device: str | None = None):
    """Recognizer.load (device None: CUDA when present, else CPU) with a message a user can act on when the
    model is missing."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir() or not any(model_dir.iterdir()):
        raise ModelNotFoundError(f"no model at {model_dir}; train one with smie train or pass --model")
    return Recognizer.load(model_dir, device)


class LiveEngine:
    """Owns a capture thread that reads `source` into `buffer` and hands a window to `scorer` every stride.

    Windows are cut on source time (file timestamps or the monotonic clock), so a file replayed fast gets the
    same windows as one replayed at its pace. `on_frame(frame)` and `on_error(ErrorEvent)` run on the capture
    thread; results arrive through the scorer's own callback/queue. `finished` is set once the source ended
    (or failed for good) and the scorer has delivered its last result.
    """

    def __init__(self, source: Source, scorer: LiveScorer, config: EngineConfig = EngineConfig(), on_frame=None,
                 on_error=None):
        self.source = source
        self.scorer = scorer
        self.config = config
        self.on_frame = on_frame
        self.on_error = on_error
        self.buffer = RingBuffer.for_duration(config.buffer_seconds, MAX_FPS)
        self.latest_frame: Frame | None = None  # the newest frame (for a preview); replaced, never queued
        self.frames_read = 0
        self.fatal_error: ErrorEvent | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self.source.interrupt = self._stop
        self._next_due: float | None = None  # source time at which the next window is cut
        self._last_submitted: float | None = None  # newest timestamp of the last window handed to the scorer
        self._capture: threading.Thread | None = None

    def start(self) -> "LiveEngine":
        assert self._capture is None, "LiveEngine.start() called twice"
        self.scorer.start()
        self._capture = threading.Thread(target=self._run_capture, name="smie-capture", daemon=True)
        self._capture.start()
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Stop both threads; True when they ended within `timeout` (default config.stop_timeout_s)."""
        timeout = self.config.stop_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + timeout
        self._stop.set()
        stopped = self.scorer.stop(timeout)
        if self._capture is not None:
            self._capture.join(max(deadline - time.monotonic(), 0.0))
            stopped &= not self._capture.is_alive()
        if not stopped:
            log.warning("live engine threads did not end within %.1f s", timeout)
        self.finished.set()
        return stopped

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the source ended and the last result is out; False on timeout."""
        return self.finished.wait(timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ---- capture thread ----
    def _run_capture(self):
        delay = self.config.retry_initial_s
        ended = False
        started = time.monotonic()
        try:
            while not self._stop.is_set() and not ended:
                try:
                    self.source.open()
                    delay = self.config.retry_initial_s
                    ended = self._read_until_end()
                except SourceError as error:
                    limit = self.config.give_up_without_frames_s
                    give_up = (self.frames_read == 0 and limit is not None
                               and time.monotonic() - started + delay > limit)
                    if not (error.retryable and self.source.is_live) or give_up:
                        self._report(ErrorEvent("capture", str(error), fatal=True))
                        break
                    self._report(ErrorEvent("capture", str(error), retry_in_s=delay))
                    if self._stop.wait(delay):
                        break
                    delay = min(2 * delay, self.config.retry_max_s)
                except Exception as error:  # a bug in a source: report it and end instead of hanging
                    log.exception("capture failed")
                    self._report(ErrorEvent("capture", f"{type(error).__name__}: {error}", fatal=True))
                    break
                finally:
                    self.source.close()
            if ended and not self._stop.is_set():
                self._submit_last_window()
        finally:
            self.scorer.finish()
            self.scorer.join()
            self.finished.set()

    def _read_until_end(self) -> bool:
        """Read frames until the source ends (True) or stop is requested (False)."""
        while not self._stop.is_set():
            frame = self.source.read()
            if frame is None:
                return not self._stop.is_set()
            self._add(frame)
        return False

    def _add(self, frame: Frame):
        self.buffer.append(frame.joints[:self.buffer.max_bodies], frame.valid[:self.buffer.max_bodies],
                           frame.timestamp, frame.captured_at, frame.index)
        self.latest_frame = frame
        self.frames_read += 1
        if self.on_frame is not None:
            self.on_frame(frame)
        config = self.scorer.config
        if self._next_due is None:
            # The first window that could pass the coverage check, not one that is mostly empty history.
            self._next_due = frame.timestamp + config.min_coverage * config.window_seconds
        if frame.timestamp >= self._next_due - 1e-9:
            self._submit_window()
            self._next_due += config.stride_seconds
            if self._next_due <= frame.timestamp:  # after a long gap, restart the stride from now
                self._next_due = frame.timestamp + config.stride_seconds

    def _submit_window(self):
        window = self.buffer.window(self.scorer.config.window_seconds, self.scorer.preprocess_config.num_frames)
        if window is not None:
            self.scorer.submit(window, block=not self.config.realtime)
        self._last_submitted = window.newest_timestamp if window is not None else None

    def _submit_last_window(self):
        """At the end of a file, score the final frames if the last stride did not cover them."""
        newest = self.buffer.newest_timestamp()
        if newest is not None and self._last_submitted != newest:
            self._submit_window()

    def _report(self, event: ErrorEvent):
        # A handler shows the error to the user (the app's banner, smie run's stderr): logged as well, it would
        # be said twice, and every few seconds while a camera is retried.
        level = logging.ERROR if event.fatal else logging.WARNING
        log.log(logging.INFO if self.on_error is not None else level, "%s: %s", event.where, event.message)
        if event.fatal:
            self.fatal_error = event
        if self.on_error is not None:
            self.on_error(event)
