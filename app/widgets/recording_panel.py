"""Recording panel: label, countdown, start/stop, clip count, open the folder, evaluate the folder's clips."""

from pathlib import Path

from PyQt6.QtCore import QTimer, QUrl, pyqtSignal
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

CLIP_SUFFIXES = (".skeleton", ".npz")  # what counts as a recorded clip in the folder
NO_SOURCE = "Start a source first: clips are recorded from the running source"
NO_MODEL = "Load a model first: evaluation scores the clips with it"
WITH_LABEL_LIST = "Also score against the label list"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class RecordingPanel(QWidget):
    """Asks for recordings and evaluations through signals; the window forwards them to RecordingControl.

    sig_start(label) after the countdown, sig_stop(), sig_evaluate(folder, add the label list to the folder's
    labels as candidates), sig_folder_changed(folder).
    """

    sig_start = pyqtSignal(str)
    sig_stop = pyqtSignal()
    sig_evaluate = pyqtSignal(str, bool)
    sig_folder_changed = pyqtSignal(str)

    def __init__(self, folder: str = "", parent=None):
        super().__init__(parent)
        self.folder = Path(folder).expanduser() if folder else Path.home() / "smie-recordings"
        self.recording = False
        self._source_running = False
        self._label_names: list[str] = []  # the label list, offered as extra candidates when evaluating
        self._countdown_left = 0
        self._countdown_timer = QTimer(self, interval=1000)
        self._countdown_timer.timeout.connect(self._count_down)
        self.label_combo = QComboBox(editable=True, toolTip="Class name saved with the next clip")
        self.countdown = QSpinBox(minimum=0, maximum=10, value=3, suffix=" s",
                                  toolTip="Seconds between pressing Start and the recording starting")
        self.start_button = QPushButton("● Start")
        self.start_button.clicked.connect(self.toggle)
        self.evaluate_button = QPushButton("Evaluate folder")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.with_label_list = QCheckBox(WITH_LABEL_LIST, toolTip="Candidates: the folder's labels and every "
                                         "label of the list (otherwise the folder's labels only)")
        self.retry_button = QPushButton("Evaluate with the label list")
        self.retry_button.clicked.connect(self._evaluate_with_label_list)
        self.retry_button.hide()
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.clip_count = QLabel()
        choose = QToolButton(text="…", toolTip="Choose the folder clips are saved in")
        choose.clicked.connect(self.choose_folder)
        self.open_button = QPushButton("Open folder")
        self.open_button.setToolTip("Show the folder in the file manager")
        self.open_button.clicked.connect(self.open_folder)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.warning = QLabel("", styleSheet="color: #8a5a00;")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.clip_results = QPlainTextEdit(readOnly=True, maximumHeight=120,
                                           toolTip="Each scored clip: its label and the predicted label")
        self.clip_results.hide()

        form = QFormLayout()
        form.addRow("Label", self.label_combo)
        form.addRow("Countdown", self.countdown)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(choose)
        form.addRow("Folder", folder_row)
        form.addRow("Clips", self.clip_count)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.open_button, self.evaluate_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.with_label_list)
        layout.addWidget(self.status)
        layout.addWidget(self.warning)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.clip_results)
        layout.addStretch(1)
        self.set_source_running(False)
        self.set_model_loaded(False)
        self.refresh_folder()

    # ---- state from the window ----
    def set_source_running(self, running: bool):
        self._source_running = running
        if not self.recording and not self._countdown_left:
            self.start_button.setEnabled(running)
        self.start_button.setToolTip("Record a clip of the chosen label (press again to stop)" if running
                                     else NO_SOURCE)

    def set_model_loaded(self, loaded: bool):
        self.evaluate_button.setEnabled(loaded)
        self.retry_button.setEnabled(loaded)
        self.evaluate_button.setToolTip("Score every clip in the folder among the folder's labels" if loaded
                                        else NO_MODEL)

    def set_labels(self, names: list[str]):
        """Offer the label list's names; keep what the user typed."""
        self._label_names = list(names)
        current = self.label_combo.currentText()
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        self.label_combo.addItems(names)
        self.label_combo.setCurrentText(current if current else (names[0] if names else ""))
        self.label_combo.blockSignals(False)

    def recording_started(self, path: str):
        self.recording = True
        self.start_button.setText("■ Stop")
        self.start_button.setEnabled(True)
        self.status.setText(f"Recording {Path(path).name}…")

    def show_frames(self, frames: int, fps: float = 30.0):
        if self.recording:
            self.status.setText(f"Recording: {frames} frames ({frames / fps:.1f} s)")

    def recording_saved(self, entry, reason: str = ""):
        """entry: the saved ClipEntry or None; reason: why recording stopped ("" when the user stopped it)."""
        self._recording_ended()
        if entry:
            why = f"; {reason}" if reason else ""
            self.status.setText(f"Saved {entry.file}: {entry.frames} frames ({entry.duration_s:.1f} s){why}")
        else:
            self.status.setText(f"Nothing recorded: {reason or 'no frame arrived'}")
        self.refresh_folder()

    def recording_failed(self, message: str):
        self._recording_ended()
        self.status.setText(message)

    def _recording_ended(self):
        self.recording = False
        self.start_button.setText("● Start")
        self.set_source_running(self._source_running)

    def show_report(self, report: dict):
        """A ClipEvalReport.to_dict(): accuracies, warnings, and each clip's label and predicted label."""
        def percent(value):
            return "–" if value is None else f"{100 * value:.0f} %"

        self.evaluate_button.setEnabled(True)
        skipped = f"; {len(report['skipped'])} skipped" if report["skipped"] else ""
        self.status.setText(f"Top-1 {percent(report['top1'])}, top-5 {percent(report['top5'])} over "
                            f"{plural(report['n'], 'clip')} and {plural(len(report['labels']), 'label')}{skipped}")
        warnings = list(report.get("warnings", ()))
        offer = bool(warnings) and not self.with_label_list.isChecked() and len(self._label_names) > 1
        if offer:
            warnings.append(f"“{self.retry_button.text()}” adds the {len(self._label_names)} labels of the list "
                            "as candidates.")
        self.warning.setText("\n".join(f"⚠ {line}" for line in warnings))
        self.warning.setVisible(bool(warnings))
        self.retry_button.setVisible(offer)
        self.clip_results.setPlainText("\n".join(
            f"{'✓' if clip['correct'] else '✗'} {clip['file']}: {clip['label']} → {clip['predicted']}"
            for clip in report.get("clips", ())))
        self.clip_results.setVisible(bool(report.get("clips")))
        self.status.setToolTip("\n".join([f"{name}: {percent(value)}" for name, value in report["per_class"].items()]
                                         + [f"skipped {s['file']}: {s['reason']}" for s in report["skipped"]]))

    # ---- actions ----
    def evaluate(self):
        self.sig_evaluate.emit(str(self.folder), self.with_label_list.isChecked())

    def _evaluate_with_label_list(self):
        self.with_label_list.setChecked(True)
        self.evaluate()

    def toggle(self):
        if self.recording:
            self.sig_stop.emit()
        elif self._countdown_left:
            self._countdown_timer.stop()
            self._countdown_left = 0
            self.start_button.setText("● Start")
            self.status.setText("Cancelled")
        elif not self.label_combo.currentText().strip():
            self.status.setText("Choose or type the label of the clip first.")
        elif self.countdown.value() == 0:
            self.sig_start.emit(self.label_combo.currentText().strip())
        else:
            self._countdown_left = self.countdown.value()
            self._show_countdown()
            self._countdown_timer.start()

    def _show_countdown(self):
        self.start_button.setText(f"Cancel ({self._countdown_left})")
        self.status.setText(f"Recording “{self.label_combo.currentText().strip()}” in {self._countdown_left} s…")

    def _count_down(self):
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self._show_countdown()
            return
        self._countdown_timer.stop()
        self.start_button.setText("● Start")
        self.sig_start.emit(self.label_combo.currentText().strip())

    def evaluation_started(self):
        self.evaluate_button.setEnabled(False)
        self.retry_button.hide()
        self.warning.hide()
        self.clip_results.hide()
        self.status.setText(f"Evaluating the clips in {self.folder}…")

    def count_clips(self) -> int:
        if not self.folder.is_dir():
            return 0
        return sum(1 for path in self.folder.rglob("*") if path.suffix.lower() in CLIP_SUFFIXES)

    def refresh_folder(self):
        self.folder_label.setText(str(self.folder))
        count = self.count_clips()
        self.clip_count.setText(f"{count} clip{'s' if count != 1 else ''}" if self.folder.is_dir()
                                else "none yet (the folder is made with the first clip)")
        self.open_button.setEnabled(self.folder.is_dir())

    def choose_folder(self):
        folder = QFileDialog.getExistingDirectory(self, "Folder for recorded clips", str(self.folder))
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder):
        self.folder = Path(folder)
        self.refresh_folder()
        self.sig_folder_changed.emit(str(self.folder))

    def open_folder(self):
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
