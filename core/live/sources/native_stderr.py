"""MediaPipe's start-up chatter (absl `I0000`/`W0000` lines, TFLite's "Created ... delegate") kept off the
terminal unless debug logging is on (-vv); everything else written meanwhile is passed on."""

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading

log = logging.getLogger(__name__)

# absl/glog lines of info and warning severity ("I0000 00:00:..." / "W1201 ..."), TFLite's and absl's one-line
# notices, and LiteRT's (mediapipe 0.10.30 and later: "INFO: [environment.cc:36] ...", "WARNING: [model_load.cc:402]
# ..."). Errors (E, F, "ERROR:") are kept: they may say why pose estimation fails.
CHATTER = re.compile(r"^(?:[IW]\d{4} \d\d:\d\d:\d\d|INFO: Created TensorFlow Lite|"
                     r"WARNING: All log messages before absl::InitializeLog\(\) is called|"
                     r"(?:INFO|WARNING): \[[\w.]+:\d+\] |WARNING: Logging before InitGoogle\(\))")
_redirect_lock = threading.Lock()  # file descriptor 2 is one per process


def is_chatter(line: str) -> bool:
    return bool(CHATTER.match(line))


@contextlib.contextmanager
def filtered_native_stderr(verbose: bool | None = None):
    """While inside, the process's file descriptor 2 (which C++ libraries write to directly) goes to a
    temporary file; on leaving, its lines that are not chatter are written back to stderr.

    verbose None: follow this module's logger (DEBUG enabled, i.e. -vv: nothing is filtered). One redirection
    at a time: while one is active, another passes everything through (waiting could deadlock two sources)."""
    if verbose is None:
        verbose = log.isEnabledFor(logging.DEBUG)
    if verbose:
        yield
        return
    if not _redirect_lock.acquire(blocking=False):  # another source is starting: its filter covers both
        yield
        return
    try:
        with tempfile.TemporaryFile(mode="w+b") as captured:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(captured.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                captured.seek(0)
                kept = [line for line in captured.read().decode("utf-8", "replace").splitlines(keepends=True)
                        if not is_chatter(line)]
                if kept:
                    sys.stderr.write("".join(kept))
                    sys.stderr.flush()
    finally:
        _redirect_lock.release()
