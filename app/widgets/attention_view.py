"""Motion attention of the scored window as a curve with its keyframes marked, plus keyframe skeleton thumbnails."""

import numpy as np
import pyqtgraph as pg

from app.widgets.skeleton import BODY_COLOURS, empty_graph, front_view, graph_data

MAX_THUMBNAILS = 8  # the keyframes with the most attention get a thumbnail, shown in time order
MIN_SPACING = 1.0  # metres between thumbnail centres at least (a normalised body is about 0.8 m wide)
SPACING_MARGIN = 0.25  # metres of free space between neighbouring thumbnails
CURVE_COLOUR = (38, 132, 255)
KEYFRAME_COLOUR = (230, 80, 0)
Y_STEP = 0.05  # the attention axis grows and shrinks in these steps


class AttentionView(pg.GraphicsLayoutWidget):
    """set_result(result, keyframe_poses) stores the newest window; refresh() redraws.

    keyframe_poses: (K, M, 25, 3) normalised joints of result.keyframes (centred on the spine-shoulder joint,
    shoulders along +x), or None when the source had no window to show.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumHeight(200)
        self.plot = self.addPlot(row=0, col=0)
        self.plot.setTitle("Motion attention of the scored window", color=(60, 60, 60), size="9pt")
        self.plot.setLabel("bottom", "window frame")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=False, alpha=0.2)
        self.curve = self.plot.plot(pen=pg.mkPen(CURVE_COLOUR, width=2), fillLevel=0,
                                    brush=pg.mkBrush(*CURVE_COLOUR, 40))
        self.plot.setRange(xRange=(0, 49), yRange=(0, 0.1), padding=0)  # the usual 50-frame window until data
        self.markers = pg.ScatterPlotItem(size=8, brush=pg.mkBrush(KEYFRAME_COLOUR), pen=None, symbol="t")
        self.plot.addItem(self.markers)
        self.thumbnails = self.addViewBox(row=1, col=0, lockAspect=True, enableMouse=False)
        self.thumbnails.setMenuEnabled(False)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        self.thumbnail_items = [pg.GraphItem() for _ in BODY_COLOURS]
        for item in self.thumbnail_items:
            self.thumbnails.addItem(item)
        self.captions = [pg.TextItem("", color=KEYFRAME_COLOUR, anchor=(0.5, 1)) for _ in range(MAX_THUMBNAILS)]
        for caption in self.captions:
            self.thumbnails.addItem(caption)
        self.attention = np.zeros(0)
        self.keyframes = np.zeros(0, int)
        self.thumbnail_frames = np.zeros(0, int)  # window frames that have a thumbnail now, time order
        self._poses = None
        self._range = None  # (frames, attention axis top) the plot shows
        self._dirty = False

    def set_result(self, result, keyframe_poses=None):
        """Results without attention (nobody in view) keep the last curve: it still describes the last motion."""
        if not result.attention:
            return
        self.attention = np.asarray(result.attention, float)
        self.keyframes = np.asarray(result.keyframes, int)
        self._poses = None if keyframe_poses is None else np.asarray(keyframe_poses, float)
        self._dirty = True

    def refresh(self) -> bool:
        """Draw what set_*() stored; False when there was nothing new."""
        if not self._dirty:
            return False
        self._dirty = False
        T = len(self.attention)
        self.curve.setData(np.arange(T), self.attention)
        self.markers.setData(self.keyframes, self.attention[self.keyframes])
        # Explicit ranges, changed only in steps: an auto-range or range change re-lays out the whole plot.
        y_top = max(np.ceil(float(self.attention.max()) * 1.1 / Y_STEP) * Y_STEP, Y_STEP)
        if (T, y_top) != self._range:
            self._range = (T, y_top)
            self.plot.setRange(xRange=(0, max(T - 1, 1)), yRange=(0, y_top), padding=0)
        self._draw_thumbnails()
        return True

    def _draw_thumbnails(self):
        poses = self._poses
        if poses is None or len(poses) != len(self.keyframes) or len(poses) == 0:
            for item in self.thumbnail_items:
                item.setData(**empty_graph())
            for caption in self.captions:
                caption.setText("")
            self.thumbnail_frames = np.zeros(0, int)
            return
        best = np.sort(np.argsort(-self.attention[self.keyframes], kind="stable")[:MAX_THUMBNAILS])
        self.thumbnail_frames = self.keyframes[best]
        points = front_view(poses[best])  # (K, M, 25, 2)
        # Normalised absent bodies are all zeros (a present body has zeros only at its centre joint).
        body = np.abs(poses[best]).sum(axis=(2, 3)) > 0  # (K, M)
        present = np.repeat(body[..., None], points.shape[2], axis=2)  # (K, M, 25)
        K = len(best)
        # Wide enough for the widest pose, so two people (or outstretched arms) never run into the next one.
        xs = np.where(present, points[..., 0], np.nan)
        half_width = np.nanmax(np.abs(xs)) if present.any() else MIN_SPACING / 2
        spacing = max(MIN_SPACING, 2 * half_width + SPACING_MARGIN)
        offsets = np.stack([np.arange(K) * spacing, np.zeros(K)], axis=1)
        for m, item in enumerate(self.thumbnail_items):
            if m < points.shape[1] and present[:, m].any():
                item.setData(**graph_data(points[:, m], present[:, m], BODY_COLOURS[m], offsets=offsets,
                                          joint_size=3, bone_width=2))
            else:
                item.setData(**empty_graph())
        bottom = float(points[..., 1][present].min()) if present.any() else -1.0
        top = float(points[..., 1][present].max()) if present.any() else 1.0
        for k, caption in enumerate(self.captions):
            text = f"#{self.thumbnail_frames[k]}" if k < K else ""
            if caption.textItem.toPlainText() != text:  # re-laying out text is the costly part
                caption.setText(text)
            if k < K:
                caption.setPos(offsets[k, 0], top + 0.05)  # above the body: text below gets cut at the edge
        self.thumbnails.setRange(xRange=(-spacing / 2, (max(K, 4) - 0.5) * spacing),
                                 yRange=(bottom - 0.05, top + 0.45), padding=0)
