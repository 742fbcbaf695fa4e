"""Examples panel: the selected label's recorded examples; record one after a countdown, or keep the last 2 s of
the source; view an example's keyframes; delete one."""

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.widgets.attention_view import AttentionView
from app.widgets.label_text import quoted
from core.live.scorer import LiveResult

LAST_SECONDS = 2.0  # "Use the last 2 s": one live window of the source
NO_LABEL = "Select a label in the list to record examples of it."
NO_SOURCE = "Start a source first: examples are taken from the running source"


class ExamplePanel(QWidget):
    """Asks for example changes through signals; the window forwards them to ExampleControl.

    sig_record(label) when the countdown ends, sig_stop() when the recording time is up (or Stop is pressed),
    sig_use_last(label, seconds), sig_delete(file), sig_show(file)."""

    sig_record = pyqtSignal(str)
    sig_stop = pyqtSignal()
    sig_use_last = pyqtSignal(str, float)
    sig_delete = pyqtSignal(str)
    sig_show = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = ""
        self.recording = False
        self._source_running = False
        self._countdown_left = 0
        self._countdown_timer = QTimer(self, interval=1000)
        self._countdown_timer.timeout.connect(self._count_down)
        self._stop_timer = QTimer(self, singleShot=True)
        self._stop_timer.timeout.connect(self.stop)
        self.title = QLabel(NO_LABEL, wordWrap=True)
        self.countdown = QSpinBox(minimum=0, maximum=10, value=3, suffix=" s",
                                  toolTip="Seconds between pressing Record and the recording starting")
        self.duration = QSpinBox(minimum=1, maximum=10, value=3, suffix=" s", toolTip="Length of the example")
        self.record_button = QPushButton("● Record example")
        self.record_button.clicked.connect(self.toggle)
        self.last_button = QPushButton(f"Use the last {LAST_SECONDS:g} s",
                                       toolTip="Keep what the source just showed as an example of the label")
        self.last_button.clicked.connect(lambda: self.sig_use_last.emit(self.label, LAST_SECONDS))
        self.delete_button = QPushButton("Delete", toolTip="Delete the selected example")
        self.delete_button.clicked.connect(self._delete_selected)
        self.list = QListWidget(toolTip="Click an example to see its keyframes")
        self.list.currentItemChanged.connect(self._selected)
        self.status = QLabel("", wordWrap=True)
        self.keyframes = AttentionView()
        self.keyframes.plot.setTitle("Motion attention of the example", color=(60, 60, 60), size="9pt")
        self.keyframes.setMinimumHeight(160)

        form = QFormLayout()
        form.addRow("Countdown", self.countdown)
        form.addRow("Length", self.duration)
        buttons = QHBoxLayout()
        for button in (self.record_button, self.last_button, self.delete_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.keyframes, 2)
        self._update_buttons()

    # ---- state from the window ----
    def set_label(self, name: str):
        self.label = name
        self.title.setText(f"Examples of “{quoted(name)}”" if name else NO_LABEL)
        self._update_buttons()

    def set_source_running(self, running: bool):
        self._source_running = running
        if not running and self.recording:
            self.stop()
        self._update_buttons()

    def show_entries(self, entries):
        """The selected label's examples (manifest rows of the library)."""
        selected = self.list.currentItem().data(Qt.ItemDataRole.UserRole) if self.list.currentItem() else None
        self.list.blockSignals(True)
        self.list.clear()
        for entry in entries:
            item = QListWidgetItem(f"{entry.file}  ({entry.duration_s:.1f} s)")
            item.setData(Qt.ItemDataRole.UserRole, entry.file)
            self.list.addItem(item)
            if entry.file == selected:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._update_buttons()

    def show_keyframes(self, file: str, attention, frames, poses):
        result = LiveResult(timestamp=0.0, state="ok", attention=[float(a) for a in attention],
                            keyframes=[int(k) for k in frames])
        self.keyframes.set_result(result, poses)
        self.keyframes.refresh()
        self.status.setText(f"{file}: {len(frames)} keyframes")

    def example_saved(self, entry):
        self.status.setText(f"Saved {entry.file} ({entry.duration_s:.1f} s): the label now scores with it."
                            if entry is not None else "Nothing recorded: no frame arrived.")

    # ---- recording ----
    def toggle(self):
        if self.recording or self._countdown_left:
            self.stop()
        elif self.label and self._source_running:
            self._countdown_left = self.countdown.value()
            self.record_button.setText("■ Cancel")
            if self._countdown_left:
                self.status.setText(f"Recording in {self._countdown_left} s…")
                self._countdown_timer.start()
            else:
                self._start()

    def _count_down(self):
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self.status.setText(f"Recording in {self._countdown_left} s…")
            return
        self._countdown_timer.stop()
        self._start()

    def _start(self):
        self._countdown_left = 0
        self.recording = True
        self.record_button.setText("■ Stop")
        self.status.setText(f"Recording “{quoted(self.label)}” for {self.duration.value()} s…")
        self.sig_record.emit(self.label)
        self._stop_timer.start(1000 * self.duration.value())

    def stop(self):
        self._countdown_timer.stop()
        self._stop_timer.stop()
        was_recording, self.recording, self._countdown_left = self.recording, False, 0
        self.record_button.setText("● Record example")
        if was_recording:
            self.sig_stop.emit()
        self._update_buttons()

    # ---- list ----
    def _selected(self, item, _previous):
        if item is not None:
            self.sig_show.emit(item.data(Qt.ItemDataRole.UserRole))
        self._update_buttons()

    def _delete_selected(self):
        item = self.list.currentItem()
        if item is not None:
            self.sig_delete.emit(item.data(Qt.ItemDataRole.UserRole))

    def _update_buttons(self):
        can_take = bool(self.label) and self._source_running
        self.record_button.setEnabled(can_take or self.recording or bool(self._countdown_left))
        self.last_button.setEnabled(can_take)
        tip = NO_LABEL if not self.label else NO_SOURCE if not self._source_running else ""
        self.record_button.setToolTip(tip or "Record an example of the label after the countdown")
        self.delete_button.setEnabled(self.list.currentItem() is not None)
