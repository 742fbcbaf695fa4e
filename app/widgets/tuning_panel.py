"""Scorer settings the user may tune while it runs: window, stride, smoothing, thresholds, top-k, temperature."""

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from app.settings import OPTIONAL_NUMBERS

# field -> (label, minimum, maximum, step, decimals, suffix, tooltip); decimals None = an integer field
FIELDS = {
    "window_seconds": ("Window", 0.5, 6.0, 0.1, 1, " s", "History each prediction looks at"),
    "stride_seconds": ("Stride", 0.05, 2.0, 0.05, 2, " s", "A new prediction this often"),
    "smoothing": ("Smoothing", 0.0, 0.95, 0.05, 2, "", "Weight of the previous probabilities (0 = none)"),
    "min_coverage": ("Min. coverage", 0.0, 1.0, 0.05, 2, "",
                     "Share of the window that must show a person, else “no person”"),
    "min_motion": ("Min. motion", 0.0, 0.2, 0.005, 3, " m", "Joint spread below which the person is “still”"),
    "top_k": ("Top k", 1, 10, 1, None, "", "Bars and timeline curves shown"),
    "temperature": ("Temperature", 0.1, 10.0, 0.1, 2, " ×",
                    "Factor on the model's calibrated softmax temperature: 1 = calibrated, above flatter, below sharper"),
    "unsure_below": ("Unsure below", 0.0, 1.0, 0.05, 2, "",
                     "A top probability under this shows “unsure: A or B?” instead of one answer (0 = never; "
                     "“model's”: the threshold chosen for the model on actions it never saw)"),
}
# Shown one step below the minimum of a setting that may be None (app.settings.OPTIONAL_NUMBERS): the model's value
MODEL_TEXT = "model's"


class TuningPanel(QWidget):
    """Spin boxes bound to AppSettings fields; sig_changed(field, value) on every edit."""

    sig_changed = pyqtSignal(str, object)

    def __init__(self, settings, parent=None):
        super().__init__(parent)
        form = QFormLayout(self)
        self.boxes = {}
        for name, (label, low, high, step, decimals, suffix, tip) in FIELDS.items():
            box = QSpinBox() if decimals is None else QDoubleSpinBox(decimals=decimals)
            optional = name in OPTIONAL_NUMBERS
            box.setRange(low - step if optional else low, high)
            if optional:
                box.setSpecialValueText(MODEL_TEXT)  # shown at the minimum
            box.setSingleStep(step)
            box.setSuffix(suffix)
            box.setToolTip(tip)
            value = getattr(settings, name)
            box.setValue(box.minimum() if value is None else value)
            box.setKeyboardTracking(False)  # one change per finished edit, not per keystroke
            box.valueChanged.connect(lambda value, name=name: self.sig_changed.emit(name, self.value_of(name, value)))
            form.addRow(label, box)
            self.boxes[name] = box

    def value_of(self, name: str, value):
        """The setting a box value stands for: None at an optional field's minimum (the model's own value)."""
        return None if name in OPTIONAL_NUMBERS and value <= self.boxes[name].minimum() + 1e-9 else value

    def show_model_value(self, name: str, value: float | None):
        """Name the loaded model's own value beside MODEL_TEXT ("model's (0.45)")."""
        if name in OPTIONAL_NUMBERS and name in self.boxes:
            self.boxes[name].setSpecialValueText(MODEL_TEXT if value is None else f"{MODEL_TEXT} ({value:.2f})")
