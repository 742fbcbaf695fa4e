"""The camera image with the 25-joint skeleton drawn over it; skeleton-only sources get a front view instead."""

import numpy as np
import pyqtgraph as pg

from app.widgets.skeleton import BODY_COLOURS, empty_graph, front_view, graph_data

MAX_DRAWN_BODIES = len(BODY_COLOURS)
FRONT_VIEW_HEIGHT_M = 2.4  # metres of the scene shown top to bottom in the skeleton-only view
FRONT_VIEW_FOLLOW = 0.1  # per-frame weight of the body centre in the view centre: follows without jitter
RECENTRE_M = 0.1  # the skeleton-only view moves once the smoothed body centre drifted this far


class VideoView(pg.GraphicsLayoutWidget):
    """set_frame() stores the newest frame; refresh() (called from the window's draw timer) paints it.

    With an image the skeleton is drawn over it at the frame's per-joint pixel positions (image_points).
    Without an image (NTU files, Kinect) the bodies are drawn as the sensor sees them, X/Y in metres, on black.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("k")
        self.setMinimumSize(320, 240)
        self.view = self.addViewBox(lockAspect=True, enableMouse=False)
        self.view.setMenuEnabled(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.skeleton_items = [pg.GraphItem() for _ in range(MAX_DRAWN_BODIES)]
        for item in self.skeleton_items:
            item.setZValue(10)
            self.view.addItem(item)
        self.message = pg.TextItem("", color=(220, 220, 220), anchor=(0.5, 0.5))
        self.message.setZValue(20)
        self.view.addItem(self.message)
        self._frame = None
        self._dirty = False
        self._mode = None  # "image" | "skeleton", so the view is reconfigured only when the kind of source changes
        self._image_shape = None
        self._centre = None  # smoothed body centre of the skeleton-only view, metres
        self._shown_centre = None  # the centre the view range was last set to
        self.show_message("No source yet")

    # ---- slots ----
    def set_frame(self, frame):
        """A core.live.sources.Frame (or None to clear). Stores it; the next refresh() draws it."""
        self._frame = frame
        self._dirty = True

    def show_message(self, text: str):
        """A line in the middle of the view (e.g. "Waiting for camera 0"); empty text hides it."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if not text:
            return
        if self._frame is None:
            self._mode = None  # the next frame sets up its own view range again
            self.view.invertY(False)
            self.view.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        self.message.setPos(self.view.viewRect().center())

    # ---- drawing ----
    def refresh(self) -> bool:
        """Draw what set_*() stored; False when there was nothing new."""
        if not self._dirty:
            return False
        self._dirty = False
        frame = self._frame
        if frame is None:
            self.image_item.clear()
            for item in self.skeleton_items:
                item.setData(**empty_graph())
            return True
        self.message.setVisible(False)
        if frame.image is not None:
            self._draw_image(frame.image)
            if frame.image_points is not None:
                self._draw_bodies(np.asarray(frame.image_points, float), frame.valid)
            else:
                self._draw_bodies(np.zeros((0, 25, 2)), frame.valid[:0])
        else:
            self._draw_front_view(frame)
        return True

    def _draw_image(self, image: np.ndarray):
        if self._mode != "image" or self._image_shape != image.shape:
            self._mode, self._image_shape = "image", image.shape
            self.view.invertY(True)  # image rows grow downwards
            self.view.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)
        rgb = image[..., ::-1] if image.ndim == 3 else image  # OpenCV BGR -> RGB
        self.image_item.setImage(rgb, autoLevels=False, levels=(0, 255))

    def _draw_bodies(self, points: np.ndarray, valid: np.ndarray):
        """points (M, 25, 2) in the view's coordinates."""
        for m, item in enumerate(self.skeleton_items):
            if m < len(points) and valid[m].any():
                item.setData(**graph_data(points[m:m + 1], valid[m:m + 1], BODY_COLOURS[m]))
            else:
                item.setData(**empty_graph())

    def _draw_front_view(self, frame):
        if self._mode != "skeleton":
            self._mode, self._centre, self._shown_centre = "skeleton", None, None
            self.image_item.clear()
            self.view.invertY(False)  # metres, Y up
        points = front_view(frame.joints)  # (M, 25, 2)
        present = frame.valid.any(axis=1)
        if present.any():
            centre = points[present][frame.valid[present]].mean(axis=0)
            self._centre = centre if self._centre is None else (
                (1 - FRONT_VIEW_FOLLOW) * self._centre + FRONT_VIEW_FOLLOW * centre)
        if self._centre is not None and (self._shown_centre is None or
                                         np.abs(self._centre - self._shown_centre).max() > RECENTRE_M):
            # Moving the view re-transforms every item, so it follows the body in steps, not every frame.
            self._shown_centre = self._centre.copy()
            half = FRONT_VIEW_HEIGHT_M / 2
            self.view.setRange(xRange=(self._centre[0] - half, self._centre[0] + half),
                               yRange=(self._centre[1] - half, self._centre[1] + half), padding=0)
        self._draw_bodies(points, frame.valid)

    def mode(self) -> str | None:
        """"image" or "skeleton" once a frame was drawn (tests and the status bar read it)."""
        return self._mode


def drawn_points(item: pg.GraphItem) -> np.ndarray:
    """The node positions a skeleton GraphItem currently draws ((0, 2) when empty)."""
    return np.zeros((0, 2)) if item.pos is None else np.asarray(item.pos)

