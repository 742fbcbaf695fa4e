"""Recording panel: label, countdown, start/stop, clip count, open and evaluate the folder of recorded clips."""

from pathlib import Path

from PyQt6.QtCore import QUrl, pyqtSignal
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                             QToolButton, QVBoxLayout, QWidget)

CLIP_SUFFIXES = (".skeleton", ".npz")  # what counts as a recorded clip in the folder
NOT_AVAILABLE = ("Recording and folder evaluation need the core recording API, which this build does not have "
                 "yet.")


class RecordingPanel(QWidget):
    """Shows the recording controls. Start/stop and evaluation stay disabled, saying why, until the core API
    for them exists; choosing, counting and opening the folder work now."""

    sig_folder_changed = pyqtSignal(str)

    def __init__(self, folder: str = "", parent=None):
        super().__init__(parent)
        self.folder = Path(folder).expanduser() if folder else Path.home() / "smie-recordings"
        self.label_combo = QComboBox(editable=True, toolTip="Class name saved with the next clip")
        self.countdown = QSpinBox(minimum=0, maximum=10, value=3, suffix=" s",
                                  toolTip="Seconds between pressing Start and the recording starting")
        self.start_button = QPushButton("● Start")
        self.evaluate_button = QPushButton("Evaluate folder")
        for button in (self.start_button, self.evaluate_button):
            button.setEnabled(False)
            button.setToolTip(NOT_AVAILABLE)
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.clip_count = QLabel()
        choose = QToolButton(text="…", toolTip="Choose the folder clips are saved in")
        choose.clicked.connect(self.choose_folder)
        self.open_button = QPushButton("Open folder")
        self.open_button.setToolTip("Show the folder in the file manager")
        self.open_button.clicked.connect(self.open_folder)
        self.status = QLabel(NOT_AVAILABLE)
        self.status.setWordWrap(True)
        self.status.setEnabled(False)  # greyed: a note, not an error

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
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.refresh_folder()

    def set_labels(self, names: list[str]):
        """Offer the label list's names; keep what the user typed."""
        current = self.label_combo.currentText()
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        self.label_combo.addItems(names)
        self.label_combo.setCurrentText(current if current else (names[0] if names else ""))
        self.label_combo.blockSignals(False)

    def count_clips(self) -> int:
        if not self.folder.is_dir():
            return 0
        return sum(1 for path in self.folder.rglob("*") if path.suffix.lower() in CLIP_SUFFIXES)

    def refresh_folder(self):
        self.folder_label.setText(str(self.folder))
        count = self.count_clips()
        self.clip_count.setText(f"{count} clip{'s' if count != 1 else ''}" if self.folder.is_dir()
                                else "folder not created yet")
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
