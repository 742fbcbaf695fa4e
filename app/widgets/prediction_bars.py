"""Top-k predictions as horizontal bars: label, probability bar and percentage, best first."""

from PyQt6.QtCore import QEvent, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter
from PyQt6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app.widgets.label_text import elided, quoted
from core.live.scorer import SCORED_STATES

BAR_COLOUR = QColor(38, 132, 255)
TOP_BAR_COLOUR = QColor(0, 170, 90)
TRACK_COLOUR = QColor(0, 0, 0, 22)
STALE_ALPHA = 90  # bars of an unsure answer, or of a window not scored ("no person", "still"), are drawn faded
STATE_TEXT = {
    "no person": "No person in view",
    "still": "Person is still: nothing to recognise",
    "no labels": "No labels: type one in the label list",
}


class PredictionBars(QWidget):
    """set_result() stores the newest top-k; the widget repaints itself (a handful of rectangles).

    One bar per label in the top k: with fewer labels than rows, the rows below stay empty. A name too long
    for its column is elided; hovering a row shows the full name.
    """

    def __init__(self, rows: int = 5, parent=None):
        super().__init__(parent)
        self.rows = rows
        self.top: list[tuple[str, float]] = []  # (label, probability), best first
        self.state = "waiting"
        self.drawn: list[str] = []  # the label texts the last paint drew, best first (elided where too long)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(30 * rows)

    def sizeHint(self) -> QSize:
        return QSize(360, 34 * self.rows + 24)

    def set_rows(self, rows: int):
        self.rows = max(1, rows)
        self.setMinimumHeight(30 * self.rows)
        self.update()

    def set_result(self, result):
        """A core LiveResult: its `top` list and `state`. An unsure answer is drawn faded under "Unsure: A or
        B?"; a result that was not scored keeps the last bars, faded, under a line saying why."""
        self.state = result.state
        if result.state in SCORED_STATES:
            self.top = [(item["label"], float(item["prob"])) for item in result.top[:self.rows]]
        self.update()

    def clear(self, state: str = "waiting"):
        self.top, self.state = [], state
        self.update()

    def banner_text(self) -> str:
        if self.state == "unsure":
            names = [quoted(label) for label, _ in self.top[:2]]
            return f"Unsure: {' or '.join(names)}?"
        return STATE_TEXT.get(self.state, "Waiting for the first prediction…")

    def _banner_height(self) -> int:
        return 22 if self.state != "ok" else 0

    def _row_height(self) -> float:
        return (self.height() - self._banner_height()) / self.rows

    def label_at(self, y: float) -> str | None:
        """The full name of the bar at height y, None where no bar is."""
        row = int((y - self._banner_height()) // self._row_height()) if y >= self._banner_height() else -1
        return self.top[row][0] if 0 <= row < len(self.top) else None

    def event(self, event):
        if event.type() == QEvent.Type.ToolTip:
            label = self.label_at(event.pos().y())
            if label is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), label, self)
            return True
        return super().event(event)

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width()
        banner = self._banner_height()
        if banner:
            text = self.banner_text()
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(QRectF(6, 0, width - 12, banner), Qt.AlignmentFlag.AlignVCenter, text)
        row_height = self._row_height()
        label_width = min(max(width * 0.42, 120), 260)
        bold = QFont(self.font())
        bold.setBold(True)
        self.drawn = []
        for i, (label, prob) in enumerate(self.top[:self.rows]):
            top = banner + i * row_height
            bar_rect = QRectF(label_width + 8, top + row_height * 0.18, width - label_width - 68, row_height * 0.64)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TRACK_COLOUR)
            painter.drawRoundedRect(bar_rect, 3, 3)
            colour = QColor(TOP_BAR_COLOUR if i == 0 else BAR_COLOUR)
            if self.state != "ok":
                colour.setAlpha(STALE_ALPHA)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(bar_rect.x(), bar_rect.y(), bar_rect.width() * min(max(prob, 0.0), 1.0),
                                           bar_rect.height()), 3, 3)
            painter.setPen(self.palette().text().color())
            painter.setFont(bold if i == 0 else self.font())
            text = elided(label, painter.fontMetrics(), int(label_width))
            self.drawn.append(text)
            painter.drawText(QRectF(4, top, label_width, row_height),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, text)
            painter.drawText(QRectF(width - 56, top, 52, row_height),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"{100 * prob:.0f} %")
        painter.end()
