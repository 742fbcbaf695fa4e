"""Scrolling timeline of the top labels' probabilities: fixed-size numpy history, curves made once, legend above."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QVBoxLayout, QWidget

from app.widgets.timeline_legend import TimelineLegend
from core.live.scorer import SCORED_STATES

HISTORY = 600  # results kept (2 minutes at the default 0.2 s stride)
SPAN_SECONDS = 30.0  # the most seconds shown
MIN_SPAN_SECONDS = 5.0  # the time axis starts this short and grows with the history, so a short clip fills it
X_STEP = 5.0  # the time axis grows in these steps
Y_STEP = 0.05  # the probability axis grows and shrinks in these steps
# Tableau 10: ten colours told apart on white, one for each curve the top-k setting allows.
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
MAX_CURVES = len(PALETTE)


class ScoreTimeline(QWidget):
    """add_result() appends one result to the history; refresh() redraws the curves when something changed.

    History: times (HISTORY,) and probabilities (HISTORY, L), NaN where a label was outside the top k (so the
    curve has a gap there). The curves show the `curves` labels with the highest probability in the newest
    scored result. Each drawn label has its own colour and keeps it while it is drawn; the pens and the legend
    are both set from that one mapping (`colours`), in the same refresh.
    """

    def __init__(self, curves: int = 5, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(140)
        self.plotItem = self.plot.plotItem
        self.plotItem.setLabel("left", "probability", units="%")
        self.plotItem.getAxis("left").enableAutoSIPrefix(False)  # "%" with plain numbers, never "x0.001"
        self.plotItem.setLabel("bottom", "seconds")
        self.plotItem.showGrid(x=True, y=True, alpha=0.25)
        self.plotItem.setMouseEnabled(x=False, y=False)
        self.plotItem.hideButtons()
        self.plotItem.setMenuEnabled(False)
        self.plot.setYRange(0, 100, padding=0)
        # Above the plot, not over it: the winners' lines run at 70-100 %, where a legend in the plot would sit.
        self.legend = TimelineLegend(MAX_CURVES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        # Dots as well as lines: a label that enters the top k for a single result has no line to draw.
        self.curves = [self.plotItem.plot(connect="finite", symbol="o", symbolSize=3, symbolPen=None)
                       for _ in range(MAX_CURVES)]
        # The newest value of each curve as a dot, so a label shows from its first result on.
        self.heads = [pg.ScatterPlotItem(size=7, pen=None) for _ in range(MAX_CURVES)]
        for head in self.heads:
            self.plotItem.addItem(head)
        self.set_curves(curves)
        self.times = np.full(HISTORY, np.nan)
        self.probs = np.full((HISTORY, 0), np.nan)
        self.columns: dict[str, int] = {}  # label -> column of self.probs
        self.colours: dict[str, int] = {}  # label -> palette index; drawn labels hold distinct ones
        self._last_drawn = np.full(len(PALETTE), -1)  # refresh count when each colour was last drawn
        self._refreshes = 0
        self.count = 0  # results appended since the last clear
        self.shown: list[str] = []  # labels drawn now, curve order (best first)
        self.y_top = 1.0  # upper end of the probability axis
        self.x_span = MIN_SPAN_SECONDS  # seconds the time axis shows
        self._set_x_range()
        self._dirty = False

    def set_curves(self, curves: int):
        """Draw this many labels (the top-k setting, 1 to MAX_CURVES) from the next refresh on."""
        self.active = min(max(1, curves), MAX_CURVES)  # curves in use; the others stay empty
        self.legend.reserve(self.active)
        self._dirty = True

    def clear_history(self):
        self.times[:] = np.nan
        self.probs[:] = np.nan
        self.count = 0
        self._dirty = True

    def _ensure_columns(self, labels):
        """Give every label of the result a column; labels gone from the label set lose theirs."""
        if all(label in self.columns for label in labels) and len(labels) == len(self.columns):
            return
        probs = np.full((HISTORY, len(labels)), np.nan)
        for j, label in enumerate(labels):
            if label in self.columns:
                probs[:, j] = self.probs[:, self.columns[label]]
        self.probs, self.columns = probs, {label: j for j, label in enumerate(labels)}
        self.colours = {label: i for label, i in self.colours.items() if label in self.columns}

    def add_result(self, result):
        """A core LiveResult. Results that were not scored add a gap, so "no person" shows as no curve; a result
        for the newest point's time (its window scored again) replaces that point."""
        self._ensure_columns(result.labels)
        if self.count and self.times[-1] == result.timestamp:
            pass  # the same window scored again (labels edited after the source ended): replace its point
        else:
            self.times[:-1] = self.times[1:]
            self.probs[:-1] = self.probs[1:]
            self.count += 1
        self.times[-1] = result.timestamp
        self.probs[-1] = np.nan
        for item in result.top if result.state in SCORED_STATES else ():
            column = self.columns.get(item["label"])
            if column is not None:
                self.probs[-1, column] = item["prob"]
        self._dirty = True

    def _assign_colours(self, shown: list[str]):
        """Labels drawn last time keep their colour; a label coming back gets its old one when it is free;
        a new one the colour drawn longest ago (so it rarely looks like a label that just left)."""
        # A label removed and added back between two refreshes lost its colour with its column: it counts as new.
        kept = {label for label in shown if label in self.shown and label in self.colours}
        taken = {self.colours[label] for label in kept}
        for label in shown:
            if label in kept:
                continue
            index = self.colours.get(label)
            if index is None or index in taken:
                free = [i for i in range(len(PALETTE)) if i not in taken]
                index = min(free, key=lambda i: self._last_drawn[i])
            self.colours[label] = index
            taken.add(index)
        for label in shown:
            self._last_drawn[self.colours[label]] = self._refreshes

    def colour_of(self, label: str) -> QColor:
        return QColor(*PALETTE[self.colours[label]])

    def _rank(self, visible: np.ndarray) -> list[str]:
        """The labels to draw: best first in the newest scored result (so they stay while nobody is in view),
        and only those with a value in the span shown, so the legend never names a label without a line."""
        scored = np.flatnonzero(np.isfinite(self.probs[-self.count:]).any(axis=1)) if self.count else []
        if not len(scored):
            return []
        newest = self.probs[-self.count:][scored[-1]]
        ranked = [j for j in np.argsort(-np.nan_to_num(newest, nan=-1.0), kind="stable") if np.isfinite(newest[j])]
        names = {j: label for label, j in self.columns.items()}
        return [names[j] for j in ranked[:self.active] if np.isfinite(self.probs[visible, j]).any()]

    def refresh(self) -> bool:
        """Draw what add_result() stored; False when there was nothing new."""
        if not self._dirty:
            return False
        self._dirty = False
        self._refreshes += 1
        x = self.times - (self.times[-1] if self.count else 0.0)
        self._fit_x_axis(x)
        visible = x >= -self.x_span - 1.0  # the history is longer than the span shown; NaN times drop out too
        shown = self._rank(visible)
        self._assign_colours(shown)
        if shown != self.shown:  # a label drawn on keeps its colour, so only a new set changes pens and legend
            for i, (curve, head) in enumerate(zip(self.curves, self.heads)):
                colour = self.colour_of(shown[i]) if i < len(shown) else QColor(0, 0, 0, 0)
                curve.setPen(pg.mkPen(colour, width=2))
                curve.setSymbolBrush(pg.mkBrush(colour))
                head.setBrush(pg.mkBrush(colour))
                curve.setZValue(MAX_CURVES - i)  # the best label's line on top
                head.setZValue(MAX_CURVES - i)
            self.legend.set_entries([(label, self.colour_of(label)) for label in shown])
            self.shown = shown
        for i, (curve, head) in enumerate(zip(self.curves, self.heads)):
            column = self.probs[:, self.columns[shown[i]]] if i < len(shown) else None
            if column is not None and np.isfinite(column[visible]).any():
                curve.setData(x[visible], 100 * column[visible])
                if np.isfinite(column[-1]):
                    head.setData([0.0], 100 * column[-1:])
                else:
                    head.setData([], [])
            else:
                curve.setData([], [])
                head.setData([], [])
        self._fit_y_axis(visible, shown)
        return True

    def _fit_x_axis(self, x: np.ndarray):
        """As many seconds as the history holds, in steps, from MIN_SPAN_SECONDS up to SPAN_SECONDS."""
        held = -np.nanmin(x[-self.count:]) if self.count else 0.0
        span = min(SPAN_SECONDS, max(MIN_SPAN_SECONDS, np.ceil(held / X_STEP) * X_STEP))
        if span != self.x_span:  # a range change re-transforms every item: only in steps
            self.x_span = span
            self._set_x_range()

    def _set_x_range(self):
        self.plot.setXRange(-self.x_span, 0.02 * self.x_span, padding=0)  # room right of "now" for the dots

    def _fit_y_axis(self, visible: np.ndarray, shown: list[str]):
        # Many labels share the probability mass, so a fixed 0..1 axis would flatten every curve.
        drawn = self.probs[visible][:, [self.columns[label] for label in shown]] if shown else []
        top = np.nanmax(drawn) if np.size(drawn) and np.isfinite(drawn).any() else 1.0
        y_top = min(1.0 + Y_STEP, max(0.1, np.ceil(1.15 * top / Y_STEP) * Y_STEP))  # room for dots at 100 %
        if y_top != self.y_top:
            self.y_top = y_top
            self.plot.setYRange(0, 100 * y_top, padding=0)

    def x_range(self) -> tuple[float, float]:
        """The seconds the time axis shows now, relative to the newest result."""
        left, right = self.plotItem.getViewBox().viewRange()[0]
        return left, right

    def history_of(self, label: str) -> np.ndarray:
        """The stored probabilities of one label, oldest first (NaN where it was not in the top k)."""
        return self.probs[-self.count:, self.columns[label]] if self.count else np.zeros(0)
