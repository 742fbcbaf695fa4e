"""The timeline's legend, above the plot: one entry per drawn curve, a line in its colour and the elided name."""

from PyQt6.QtCore import QPointF, QSize, Qt
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from app.widgets.label_text import elided

SWATCH_WIDTH = 18  # pixels of sample line left of the name
COLUMNS = 2  # entries per row: the timeline is tall and narrow, so the legend takes height, not width


class LegendEntry(QWidget):
    """A sample line in the curve's colour and the label, elided to the entry's width; the full name as tooltip."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = ""
        self.colour = QColor(0, 0, 0, 0)
        # Ignored width: a long name must never widen the timeline, it is elided instead.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_entry(self, label: str, colour: QColor):
        self.label, self.colour = label, QColor(colour)
        self.setToolTip(label)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(SWATCH_WIDTH + 6 + self.fontMetrics().horizontalAdvance(self.label),
                     self.fontMetrics().height() + 4)

    def text_width(self) -> int:
        return self.width() - SWATCH_WIDTH - 6

    def elided_text(self) -> str:
        """The text paintEvent draws."""
        return elided(self.label, self.fontMetrics(), self.text_width())

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        middle = self.height() / 2
        painter.setPen(QPen(self.colour, 2))
        painter.drawLine(QPointF(1, middle), QPointF(SWATCH_WIDTH - 1, middle))
        painter.setBrush(self.colour)
        painter.drawEllipse(QPointF(SWATCH_WIDTH / 2, middle), 2.5, 2.5)
        painter.setPen(self.palette().text().color())
        painter.drawText(SWATCH_WIDTH + 6, 0, self.text_width(), self.height(),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.elided_text())
        painter.end()


class TimelineLegend(QWidget):
    """set_entries([(label, colour)]) shows one entry per curve, in curve order, row by row."""

    def __init__(self, capacity: int, parent=None):
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setHorizontalSpacing(12)
        layout.setVerticalSpacing(0)
        self.entries = [LegendEntry(self) for _ in range(capacity)]  # made once, shown as needed
        for i, entry in enumerate(self.entries):
            layout.addWidget(entry, i // COLUMNS, i % COLUMNS)
            entry.hide()
        for column in range(COLUMNS):
            layout.setColumnStretch(column, 1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.reserve(capacity)

    def reserve(self, count: int):
        """Keep room for `count` entries, so the plot below does not jump as labels come and go."""
        rows = -(-count // COLUMNS)
        margins = self.layout().contentsMargins()
        self.setFixedHeight(rows * (self.fontMetrics().height() + 4) + margins.top() + margins.bottom())

    def set_entries(self, entries: list[tuple[str, QColor]]):
        assert len(entries) <= len(self.entries), f"{len(entries)} entries for a legend of {len(self.entries)}"
        for i, entry in enumerate(self.entries):
            if i < len(entries):
                entry.set_entry(*entries[i])
            entry.setVisible(i < len(entries))

    def shown(self) -> list[tuple[str, QColor]]:
        """(label, colour) of the entries shown, in order."""
        return [(entry.label, entry.colour) for entry in self.entries if not entry.isHidden()]
