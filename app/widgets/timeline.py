"""Scrolling timeline of the top labels' probabilities: fixed-size numpy history, curves made once."""

import numpy as np
import pyqtgraph as pg

HISTORY = 600  # results kept (2 minutes at the default 0.2 s stride)
SPAN_SECONDS = 30.0  # seconds shown
Y_STEP = 0.05  # the probability axis grows and shrinks in these steps
PALETTE = ((0, 170, 90), (38, 132, 255), (230, 120, 0), (200, 40, 160), (120, 90, 220), (0, 170, 190),
           (170, 130, 0), (220, 50, 50))


class ScoreTimeline(pg.PlotWidget):
    """add_result() appends one result to the history; refresh() redraws the curves when something changed.

    History: times (HISTORY,) and probabilities (HISTORY, L), NaN where a label was outside the top k (so the
    curve has a gap there). The curves show the `curves` labels with the highest probability in the newest
    scored result; a label keeps its colour as long as it has a column.
    """

    def __init__(self, curves: int = 5, parent=None):
        super().__init__(parent, background="w")
        self.setMinimumHeight(140)
        self.plotItem.setLabel("left", "probability", units="%")
        self.plotItem.getAxis("left").enableAutoSIPrefix(False)  # "%" with plain numbers, never "x0.001"
        self.plotItem.setLabel("bottom", "seconds")
        self.plotItem.showGrid(x=True, y=True, alpha=0.25)
        self.plotItem.setMouseEnabled(x=False, y=False)
        self.plotItem.hideButtons()
        self.plotItem.setMenuEnabled(False)
        self.setYRange(0, 100, padding=0)
        self.setXRange(-SPAN_SECONDS, 0.6, padding=0)  # a little room right of "now" for the newest dots
        self.legend = self.plotItem.addLegend(offset=(-8, 8), labelTextColor=(40, 40, 40),
                                              brush=pg.mkBrush(255, 255, 255, 200))
        # Dots as well as lines: a label that enters the top k for a single result has no line to draw.
        self.curves = [self.plotItem.plot(connect="finite", symbol="o", symbolSize=3, symbolPen=None)
                       for _ in range(curves)]
        # The newest value of each curve as a dot, so a label shows from its first result on.
        self.heads = [pg.ScatterPlotItem(size=7, pen=None) for _ in range(curves)]
        for curve, head in zip(self.curves, self.heads):
            self.plotItem.addItem(head)
            self.legend.addItem(curve, " ")  # entries made once; their text changes with the labels shown
        for sample, label in self.legend.items:
            sample.setVisible(False)
        self.times = np.full(HISTORY, np.nan)
        self.probs = np.full((HISTORY, 0), np.nan)
        self.columns: dict[str, int] = {}  # label -> column of self.probs
        self.colours: dict[str, int] = {}  # label -> palette index
        self.count = 0  # results appended since the last clear
        self.shown: list[str] = []  # labels drawn now, curve order
        self.y_top = 1.0  # upper end of the probability axis
        self._dirty = False

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
        """A core LiveResult. Results that were not scored add a gap, so "no person" shows as no curve."""
        self._ensure_columns(result.labels)
        self.times[:-1] = self.times[1:]
        self.probs[:-1] = self.probs[1:]
        self.times[-1] = result.timestamp
        self.probs[-1] = np.nan
        for item in result.top if result.state == "ok" else ():
            column = self.columns.get(item["label"])
            if column is not None:
                self.probs[-1, column] = item["prob"]
        self.count += 1
        self._dirty = True

    def _colour(self, label: str):
        if label not in self.colours:
            used = set(self.colours.values())
            free = [i for i in range(len(PALETTE)) if i not in used]
            self.colours[label] = free[0] if free else len(self.colours) % len(PALETTE)
        return PALETTE[self.colours[label]]

    def refresh(self) -> bool:
        """Draw what set_*() stored; False when there was nothing new."""
        if not self._dirty:
            return False
        self._dirty = False
        scored = np.flatnonzero(np.isfinite(self.probs[-self.count:]).any(axis=1)) if self.count else []
        # Rank on the newest scored result, so the curves stay while nobody is in view.
        newest = self.probs[-self.count:][scored[-1]] if len(scored) else np.zeros(len(self.columns))
        ranked = [j for j in np.argsort(-np.nan_to_num(newest, nan=-1.0)) if np.isfinite(newest[j])]
        names = {j: label for label, j in self.columns.items()}
        shown = [names[j] for j in ranked[:len(self.curves)]]
        x = self.times - (self.times[-1] if self.count else 0.0)
        if shown != self.shown:  # pens and legend text change only when the set of drawn labels does
            for i, (curve, head) in enumerate(zip(self.curves, self.heads)):
                label = shown[i] if i < len(shown) else None
                colour = self._colour(label) if label else (0, 0, 0, 0)
                curve.setPen(pg.mkPen(colour, width=2))
                curve.setSymbolBrush(pg.mkBrush(colour))
                head.setBrush(pg.mkBrush(colour))
                self.legend.items[i][1].setText(label or "")
                self.legend.items[i][0].setVisible(label is not None)
            self.shown = shown
        visible = x >= -SPAN_SECONDS - 1.0  # the history is longer than the span shown; NaN times drop out too
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
        # Many labels share the probability mass, so a fixed 0..1 axis would flatten every curve.
        drawn = self.probs[visible][:, [self.columns[label] for label in shown]] if shown else []
        top = np.nanmax(drawn) if np.size(drawn) and np.isfinite(drawn).any() else 1.0
        y_top = min(1.0 + Y_STEP, max(0.1, np.ceil(1.15 * top / Y_STEP) * Y_STEP))  # room for dots at 100 %
        if y_top != self.y_top:  # a range change re-transforms every item: only in steps
            self.y_top = y_top
            self.setYRange(0, 100 * y_top, padding=0)
        return True

    def history_of(self, label: str) -> np.ndarray:
        """The stored probabilities of one label, oldest first (NaN where it was not in the top k)."""
        return self.probs[-self.count:, self.columns[label]] if self.count else np.zeros(0)
