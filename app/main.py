"""`smie-live` entry point: parse the command line, apply it over the stored settings, open the window."""

import argparse
import logging
import os
import sys
from pathlib import Path

from core.readers.label_presets import load_preset, preset_names, read_label_file
from core.readers.labels import LabelSpec

log = logging.getLogger(__name__)

SCREENSHOT_SETTLE_MS = 300  # after the first prediction, let the draw timer paint it before grabbing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smie-live", description="SMIE Live: type an action, see it recognised "
                                     "live from a camera, a video, a skeleton file or a Kinect.")
    parser.add_argument("--source", help="camera index (default 0), a video file, an NTU .skeleton or recorded "
                        ".npz file, 'kinect2' or 'azure' (default: the last one used)")
    parser.add_argument("--model", metavar="DIR", help="trained model folder (default: the last one used, "
                        "else models/default)")
    parser.add_argument("--labels", nargs="+", metavar="LABEL", help="candidate actions: label names, label "
                        "files (one a line, name<TAB>description) or preset names such as ntu60")
    parser.add_argument("--settings", metavar="FILE", help="read and save settings in this INI file instead of "
                        "the user's")
    parser.add_argument("--screenshot", metavar="FILE", help="save a PNG of the window after the first "
                        "prediction (or after --quit-after seconds) and quit")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="quit after this many seconds")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    return parser


def labels_from_args(items: list[str]):
    """Each item is a label file, a preset name or a label name -> list[LabelSpec] in order."""
    labels = []
    for item in items:
        if Path(item).is_file():
            labels += read_label_file(item)
        elif item in preset_names():
            labels += load_preset(item)
        else:
            labels.append(LabelSpec(item))
    return labels


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
        if result.state == "ok":
            window.bridge.sig_result.disconnect(on_result)
            QTimer.singleShot(SCREENSHOT_SETTLE_MS, shoot)

    window.bridge.sig_result.connect(on_result)
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), shoot)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the text model is packaged; never reach for the network
    # PyQt6 on use: the command line answers before Qt and torch load
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

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
    if args.labels:
        try:
            settings.labels = labels_from_args(args.labels)
        except ValueError as error:
            print(f"smie-live: --labels: {error}", file=sys.stderr)
            return 2
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
