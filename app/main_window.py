"""The main window: lays out the views and panels and wires them to the engine bridge; draws on a timer."""

import dataclasses
import logging
from pathlib import Path

from PyQt6.QtCore import QSize, QTimer
from PyQt6.QtGui import QIcon
from PyQt6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app.engine_bridge import EngineBridge
from app.example_wiring import ExampleWiring
from app.recording_control import RecordingControl
from app.settings import AppSettings, save_settings
from app.widgets.banner import Banner
from app.widgets.status_panel import StatusPanel
from app.window_layout import build_docks, build_menus, build_views
from core.paths import ASSETS_DIR

log = logging.getLogger(__name__)

DRAW_INTERVAL_MS = 33  # views repaint at most ~30 times a second, whatever the source rate
STATS_INTERVAL_MS = 1000
VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)"
SKELETON_FILTER = "Skeleton files (*.skeleton *.npz);;All files (*)"
ICON_PATH = ASSETS_DIR / "icons" / "smie-live.svg"
STOP_REASONS = {"ended": "the source ended", "failed": "the source failed", "stopped": "the source stopped"}


class MainWindow(QMainWindow):
    """`store` is the QSettings the settings are saved to on close (None: never saved)."""

    def __init__(self, settings: AppSettings, store=None, bridge: EngineBridge | None = None):
        super().__init__()
        self.settings = settings
        self.store = store
        self.bridge = bridge or EngineBridge(self)
        self.recorder = RecordingControl(self)
        self.bridge.frame_sink = self._sink_frame  # every captured frame also goes to an open clip or example
        self.setWindowTitle("SMIE Live")
        self.setWindowIcon(QIcon(str(ICON_PATH)))
        self.banner = Banner()
        build_views(self)
        build_docks(self)
        build_menus(self)
        self.status = StatusPanel(self.statusBar())
        self.status.clear_model("model: loading…")
        self._wire()
        self.examples = ExampleWiring(self).control
        self.label_editor.set_labels(settings.labels, emit=False)
        self.recording.set_labels(self.label_editor.names())
        self.bridge.set_labels(self.label_editor.labels())
        self.bridge.set_scorer_config(settings.scorer_config())
        self.resize(QSize(1360, 820))
        if settings.geometry:
            self.restoreGeometry(settings.geometry)
        if settings.window_state:
            self.restoreState(settings.window_state)
        self.source_spec = settings.source
        self._banner_from = ""  # what raised the banner shown now ("capture", "model", "ended", ...)
        self._source_stopped = "no source is running"  # why clips cannot be recorded now ("" while one runs)

    def _wire(self):
        self.bridge.sig_frame.connect(self.on_frame)
        self.bridge.sig_result.connect(self.on_result)
        self.bridge.sig_error.connect(self.on_error)
        self.bridge.sig_started.connect(self.on_started)
        self.bridge.sig_stopped.connect(self.on_stopped)
        self.bridge.sig_progress.connect(self.video.show_message)
        self.label_editor.sig_labels_changed.connect(self.on_labels_changed)
        self.tuning.sig_changed.connect(self.on_tuning_changed)
        self.recording.sig_folder_changed.connect(lambda folder: setattr(self.settings, "recording_folder", folder))
        self.recording.sig_start.connect(self.start_recording)
        self.recording.sig_stop.connect(self.recorder.stop)
        self.recording.sig_evaluate.connect(self.evaluate_folder)
        self.recorder.sig_recording.connect(self.recording.recording_started)
        self.recorder.sig_saved.connect(self.recording.recording_saved)  # (entry or None, why it stopped)
        self.recorder.sig_evaluated.connect(self.recording.show_report)
        self.recorder.sig_error.connect(self.on_error)
        self._next_view = 0  # the result view redraw() tries first
        self.draw_timer = QTimer(self, interval=DRAW_INTERVAL_MS)
        self.draw_timer.timeout.connect(self.redraw)
        self.draw_timer.start()
        self.stats_timer = QTimer(self, interval=STATS_INTERVAL_MS)
        self.stats_timer.timeout.connect(self.update_stats)
        self.stats_timer.start()

    def _sink_frame(self, frame):  # on the capture thread
        self.recorder.add_frame(frame)
        self.examples.add_frame(frame)

    # ---- actions ----
    def start_source(self, spec: str):
        if self._banner_from == "ended":
            self.banner.hide()  # "Finished replaying" is over once anything starts
            self._banner_from = ""
        self.source_spec = self.settings.source = str(spec)
        self.video.set_frame(None)
        self.video.show_message("Starting…")
        self.bars.clear()
        self.timeline.clear_history()
        self.bridge.start(spec, self.settings.model_dir, {"pose_model": self.settings.pose_model,
                                                          "num_poses": self.settings.people})

    def open_video_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", "", VIDEO_FILTER)
        if path:
            self.start_source(path)

    def open_skeleton_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Open a skeleton file", "", SKELETON_FILTER)
        if path:
            self.start_source(path)

    def choose_model_dialog(self):
        folder = QFileDialog.getExistingDirectory(self, "Model folder", self.settings.model_dir)
        if folder:
            self.set_model_dir(folder)

    def set_model_dir(self, folder):
        self.settings.model_dir = str(folder)
        self.status.clear_model("model: loading…")
        self.start_source(self.source_spec)

    def start_recording(self, label: str):
        if self._source_stopped:  # e.g. a countdown that ran out after the video ended
            self.recording.recording_saved(None, self._source_stopped)
            return
        source = self.bridge.run_info.source if self.bridge.run_info else self.source_spec
        self.recorder.start(self.recording.folder, label, source)

    def evaluate_folder(self, folder: str, with_label_list: bool = False):
        recognizer = self.bridge.recognizer
        extra = self.label_editor.labels() if with_label_list else None
        if recognizer is not None and self.recorder.evaluate(folder, recognizer, extra):
            self.recording.evaluation_started()

    def show_about(self):
        box = QMessageBox(QMessageBox.Icon.Information, "About SMIE Live",
                          "SMIE Live: zero-shot skeleton action recognition.\nType any action in the label list "
                          "and the model scores it live.", parent=self)
        box.setModal(False)  # never block the window
        box.show()

    # ---- slots ----
    def redraw(self):
        """Every tick: the video; then the next of the result views that has something new. Qt paints all
        widgets changed in one event-loop pass together, so spreading them keeps each pass short."""
        self.video.refresh()
        views = (self.timeline.refresh, self.attention.refresh, self.label_editor.refresh)
        for k in range(len(views)):
            if views[(self._next_view + k) % len(views)]():
                self._next_view = (self._next_view + k + 1) % len(views)
                break

    def redraw_all(self):
        """Bring every view up to date at once (before a screenshot)."""
        self.video.refresh()
        self.timeline.refresh()
        self.attention.refresh()
        self.label_editor.refresh()

    def update_stats(self):
        stats = self.bridge.stats()
        self.status.set_source(stats["fps"], stats["pose_ms"])
        self.status.tick()
        self.recording.show_frames(self.recorder.frames())

    def on_frame(self, frame):
        self.video.set_frame(frame)
        if self.banner.level == "warning" and self._banner_from == "capture":
            self.banner.hide()  # the camera is back
            self._banner_from = ""

    def on_result(self, result, keyframe_poses):
        self.bars.set_result(result)
        self.seen.set_result(result)
        self.timeline.add_result(result)
        self.attention.set_result(result, keyframe_poses)
        self.label_editor.set_scores(result)
        self.status.set_result(result)

    def on_started(self, info):
        self._source_stopped = ""
        self.status.set_model(info.model, info.device)
        self.tuning.show_model_value("unsure_below", info.unsure_below)
        self.recording.set_source_running(True)
        self.recording.set_model_loaded(True)
        if self.banner.level in ("error", "warning"):
            self.banner.hide()
        self.setWindowTitle(f"SMIE Live — {Path(info.source).name if not info.is_live else info.source}")

    def on_stopped(self, reason: str):
        self._source_stopped = STOP_REASONS.get(reason, "the source stopped")
        self.recording.set_source_running(False)
        # Always, not only when the panel shows a recording: a clip asked for just before the end may still be
        # opening on the recorder's thread; this stop, queued after it, finishes it.
        self.recorder.stop(self._source_stopped)
        if reason == "ended":
            self._banner_from = "ended"
            self.banner.show_message(f"Finished replaying {Path(self.source_spec).name}. Label edits re-score "
                                     "its last window.", "info",
                                     [("Replay", lambda: self.start_source(self.source_spec))]
                                     + self._source_actions())

    def _source_actions(self):
        return [("Open video…", self.open_video_dialog), ("Open skeleton file…", self.open_skeleton_dialog),
                ("Use Kinect", lambda: self.start_source("kinect2"))]

    def on_error(self, event):
        text = event.message
        self._banner_from = event.where
        if event.where == "model":
            self.recording.set_model_loaded(False)
            self.status.clear_model("no model")
            self.video.show_message("No model loaded")
            self.banner.show_message(f"Model not loaded: {text}", "error",
                                     [("Choose model folder…", self.choose_model_dialog)])
        elif event.where in ("source", "capture"):
            camera = self.source_spec.isdigit()
            head = "No camera" if camera else "Source problem"
            retry = f" Retrying in {event.retry_in_s:.0f} s." if event.retry_in_s else ""
            advice = " Open a video file, a skeleton file or a Kinect instead." if camera else ""
            self.video.show_message(f"{head}: waiting" if event.retry_in_s else head)
            self.banner.show_message(f"{head}: {text}.{retry}{advice}", "error" if event.fatal else "warning",
                                     self._source_actions())
        else:
            if event.where in ("recording", "evaluation"):
                self.recording.recording_failed(text)
                self.recording.set_model_loaded(self.bridge.recognizer is not None)
            self.banner.show_message(f"{event.where.capitalize()}: {text}", "warning")

    def on_labels_changed(self, labels):
        self.settings.labels = labels
        self.bridge.set_labels(labels)
        self.recording.set_labels([label.name for label in labels])

    def on_tuning_changed(self, name: str, value):
        setattr(self.settings, name, value)
        self.bridge.set_scorer_config(self.settings.scorer_config())
        if name == "top_k":
            self.bars.set_rows(int(value))
            self.timeline.set_curves(int(value))

    def closeEvent(self, event):
        self.draw_timer.stop()
        if self.store is not None:
            self.settings = dataclasses.replace(self.settings, geometry=bytes(self.saveGeometry()),
                                                window_state=bytes(self.saveState()))
            save_settings(self.store, self.settings)
        if not self.bridge.shutdown():
            log.warning("engine threads did not stop in time")
        self.recorder.shutdown()  # after the engine: no frame arrives while the last clip is finished
        self.examples.shutdown()
        super().closeEvent(event)
