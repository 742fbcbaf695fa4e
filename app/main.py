"""`smie-live` entry point: parse the command line, apply it over the stored settings, open the window."""

import argparse
import ctypes
import logging
import os
import sys
from pathlib import Path

from core.live.scorer import SCORED_STATES
from core.live.sources.pose_models import BUNDLED_POSE_MODELS, DEFAULT_POSE_MODEL
from core.readers.label_presets import add_label_arguments, labels_from_options, reject_unknown_arguments
from core.verbosity import VERBOSE_HELP, configure_output

log = logging.getLogger(__name__)

SCREENSHOT_SETTLE_MS = 300  # after the first prediction, let the draw timer paint it before grabbing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smie-live", description="SMIE Live: type an action, see it recognised "
                                     "live from a camera, a video, a skeleton file or a Kinect.")
    parser.add_argument("--source", help="camera index (default 0), a video file, an NTU .skeleton or recorded "
                        ".npz file, 'kinect2' or 'azure' (default: the last one used)")
    parser.add_argument("--model", metavar="DIR", help="trained model folder (default: the last one used, "
                        "else models/default)")
    parser.add_argument("--pose-model", metavar="lite|full|FILE.task", help="MediaPipe pose model for cameras and "
                        f"videos (default: the last one used, else {DEFAULT_POSE_MODEL})")
    parser.add_argument("--settings", metavar="FILE", help="read and save settings in this INI file instead of "
                        "the user's")
    parser.add_argument("--screenshot", metavar="FILE", help="save a PNG of the window after the first "
                        "prediction (or after --quit-after seconds) and quit")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="quit after this many seconds")
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    add_label_arguments(parser, "the labels of the last run")
    return parser


# The Qt xcb platform plugin's system libraries (soname -> Debian/Ubuntu package), from `readelf -d` of
# PyQt6's libqxcb.so and libQt6XcbQpa.so.6; Qt aborts (exit 134) when one is missing. Fresh Debian installs lack
# the first three.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
}


def uses_xcb(environment=os.environ, platform: str = sys.platform) -> bool:
    """True when Qt will pick its X11 (xcb) platform plugin: asked for by QT_QPA_PLATFORM (its first choice), or
    the Linux default outside a Wayland session. offscreen, wayland, and other systems are not checked."""
    requested = environment.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if requested:
        return requested == "xcb"
    return platform.startswith("linux") and not environment.get("WAYLAND_DISPLAY")


def missing_libraries(sonames) -> list[str]:
    """The shared libraries of `sonames` the dynamic loader cannot find (it searches as Qt would)."""
    missing = []
    for soname in sonames:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def xcb_problem(libraries: dict[str, str] | None = None, environment=os.environ) -> str | None:
    """What to tell the user instead of Qt's abort when the xcb plugin cannot load; None when it can (or is not
    used). libraries: soname -> package that provides it (default XCB_LIBRARIES)."""
    libraries = XCB_LIBRARIES if libraries is None else libraries
    if not uses_xcb(environment):
        return None
    missing = missing_libraries(libraries)
    if missing:
        packages = " ".join(dict.fromkeys(libraries[soname] for soname in missing))
        return (f"the Qt X11 (xcb) platform needs system libraries that are not installed: {', '.join(missing)}.\n"
                f"On Debian or Ubuntu: sudo apt install {packages}")
    if not environment.get("DISPLAY"):
        return ("no X display: DISPLAY is not set. Start smie-live in a desktop session, or use "
                "QT_QPA_PLATFORM=offscreen for a run without a window")
    return None


def log_qt_message(kind, _context, message: str) -> None:
    """Qt's own messages through `logging` (logger "qt"), so -v decides whether they show: its warnings are
    mostly notes to developers ("This plugin does not support propagateSizeHints()"), shown from -v on."""
    # PyQt6 on use: the command line answers before Qt and torch load
    from PyQt6.QtCore import QtMsgType

    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.DEBUG,
             QtMsgType.QtWarningMsg: logging.INFO, QtMsgType.QtCriticalMsg: logging.ERROR}.get(kind, logging.CRITICAL)
    logging.getLogger("qt").log(level, "%s", message)


def arrange_screenshot(window, path: Path, seconds: float | None):
    """Grab the window after its first scored result, or after `seconds` at the latest, then quit."""
    # PyQt6 on use: the command line answers before Qt and torch load
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    taken = []

    def shoot():
        if taken:
            return
        taken.append(path)
        window.redraw_all()
        if not window.grab().save(str(path)):
            log.error("could not write the screenshot %s", path)
        else:
            log.info("screenshot saved to %s", path)
        QApplication.quit()

    def on_result(result, _poses):
        if result.state in SCORED_STATES:
            window.bridge.sig_result.disconnect(on_result)
            QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot)

    window.bridge.sig_result.connect(on_result)
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), shoot)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    reject_unknown_arguments(parser, extra, argv)
    try:
        labels = labels_from_options(args.labels, args.labels_file, args.preset)
    except ValueError as error:
        print(f"smie-live: {error}", file=sys.stderr)
        return 2
    configure_output(args.verbose)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the text model is packaged; never reach for the network
    problem = xcb_problem()
    if problem:  # before Qt loads: a missing library would abort the process with Qt's own message
        print(f"smie-live: {problem}", file=sys.stderr)
        return 1
    # PyQt6 on use: the command line answers before Qt and torch load
    from PyQt6.QtCore import QTimer, qInstallMessageHandler
    from PyQt6.QtWidgets import QApplication

    qInstallMessageHandler(log_qt_message)
    # PyQt6, pyqtgraph, torch on use: the command line answers before Qt and torch load
    from app.main_window import ICON_PATH, MainWindow
    from app.settings import APPLICATION, ORGANIZATION, load_settings, open_store

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName("smie-live")
    store = open_store(args.settings)
    settings = load_settings(store)
    if args.source is not None:
        # A file is stored by its absolute path, so the next start finds it from any folder.
        settings.source = str(Path(args.source).resolve()) if Path(args.source).is_file() else args.source
    if args.model is not None:
        settings.model_dir = str(Path(args.model).expanduser().resolve())
    if labels is not None:
        settings.labels = labels
    if args.pose_model is not None:
        bundled = args.pose_model.strip().lower() in BUNDLED_POSE_MODELS
        settings.pose_model = args.pose_model.strip().lower() if bundled else str(Path(args.pose_model).resolve())
    # A screenshot run is automation: it must not rewrite the user's stored settings.
    window = MainWindow(settings, store=None if args.screenshot else store)
    # PyQt6 on use: the command line answers before Qt and torch load
    from PyQt6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(ICON_PATH)))
    if args.screenshot:
        arrange_screenshot(window, Path(args.screenshot), args.quit_after)
    elif args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    window.show()
    window.start_source(settings.source)
    code = app.exec()
    if args.screenshot:
        window.close()  # stops the engine threads (closeEvent) before the interpreter exits
    return code


if __name__ == "__main__":
    sys.exit(main())
