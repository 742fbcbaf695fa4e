"""How much `smie` and `smie-live` say: WARNING by default, -v INFO, -vv DEBUG; third-party chatter (OpenCV,
FFmpeg, MediaPipe, transformers) only at -vv. A leaf module: both command lines (core.cli, app.main) set it up."""

import logging
import os
import sys

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"

# Native libraries read these when they load, so they are set before cv2, mediapipe or transformers are
# imported (every command imports those inside run(), after this). setdefault: a value the user exported wins.
QUIET_ENVIRONMENT = {
    "OPENCV_LOG_LEVEL": "FATAL",  # "can't open camera by index" and obsensor lines on every camera retry
    "OPENCV_FFMPEG_LOGLEVEL": "-8",  # AV_LOG_QUIET: FFmpeg's decoder errors on a damaged file; we name the file
    "GLOG_minloglevel": "2",  # glog and TFLite inside MediaPipe: errors only
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # the "Loading weights" bar of the packaged text model
}
# Libraries that set their own logger level, or are too chatty at -v: WARNING unless -vv.
THIRD_PARTY_LOGGERS = ("sentence_transformers", "transformers", "huggingface_hub", "urllib3", "filelock")
NEVER_USEFUL_LOGGERS = ("matplotlib", "PIL")  # font cache and plugin lookups, even at -vv
OPENCV_FATAL = 1  # cv::utils::logging::LOG_LEVEL_FATAL, what OPENCV_LOG_LEVEL=FATAL sets
VERBOSE_HELP = "say more: -v progress (INFO), -vv debug messages and third-party libraries' own output"


def log_level(verbosity: int) -> int:
    """Count of -v flags -> logging level: 0 WARNING, 1 INFO, 2 or more DEBUG."""
    return logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG


def configure_output(verbosity: int) -> None:
    """Set the root log level and quieten third-party libraries; call before they are imported. Like
    logging.basicConfig, the level is left alone where logging was configured already (a test's capture)."""
    if verbosity <= 1:
        for name, value in QUIET_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
    level = log_level(verbosity)
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
    for name in NEVER_USEFUL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if verbosity <= 1:
        _quiet_loaded_libraries()


def _quiet_loaded_libraries() -> None:
    """Libraries already imported (a test calling main() twice, the app importing torch early) read the
    environment too late; tell the ones that offer a switch directly."""
    if "transformers" in sys.modules:
        transformers_logging = sys.modules["transformers"].utils.logging
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
    if "cv2" in sys.modules:
        cv2 = sys.modules["cv2"]
        # OpenCV 4 has cv2.setLogLevel; OpenCV 5 (what numpy 2 installs beside the newest mediapipe) only the
        # cv2.utils.logging one
        (getattr(cv2, "setLogLevel", None) or cv2.utils.logging.setLogLevel)(OPENCV_FATAL)
