"""NTU-25 skeletons as pyqtgraph GraphItem data: 2D projections, per-body colours, edges from core.skeleton.layouts."""

import numpy as np
import pyqtgraph as pg

from core.skeleton.layouts import NTU25

EDGES = np.asarray(NTU25.edges, dtype=int)  # (E, 2) (child, parent), the layout table's own edges
BODY_COLOURS = ((255, 196, 0), (0, 200, 255))  # body 0 amber, body 1 cyan: readable on video and on black
JOINT_SIZE = 6  # pixels
BONE_WIDTH = 3  # pixels


def front_view(joints: np.ndarray) -> np.ndarray:
    """(..., 25, 3) NTU camera axes (X to the sensor's left, Y up) -> (..., 25, 2) as the sensor sees it:
    x to the right of the picture, y up. Depth is dropped."""
    return np.stack([-joints[..., 0], joints[..., 1]], axis=-1)


def graph_data(points: np.ndarray, valid: np.ndarray, colour=BODY_COLOURS[0], offsets: np.ndarray | None = None,
               joint_size: float = JOINT_SIZE, bone_width: float = BONE_WIDTH) -> dict:
    """Bodies (B, 25, 2) in view coordinates and valid (B, 25) -> GraphItem.setData keywords, one colour.

    Bones touching an invalid joint are left out and invalid joints get size 0, so a half-tracked body shows
    only what was seen. `offsets` (B, 2) shifts each body (thumbnail strips). B = 0 gives empty data.
    """
    V = NTU25.num_joints
    points = np.asarray(points, dtype=float).reshape(-1, V, 2)
    valid = np.asarray(valid, dtype=bool).reshape(-1, V)
    B = valid.shape[0]
    if B == 0:
        return empty_graph()
    if offsets is not None:
        points = points + np.asarray(offsets, dtype=float).reshape(B, 1, 2)
    points = np.where(valid[..., None], points, points[valid].mean(axis=0) if valid.any() else 0.0)
    adj = (EDGES[None] + V * np.arange(B)[:, None, None]).reshape(-1, 2)
    adj = adj[valid.reshape(-1)[adj].all(axis=1)]
    return dict(pos=points.reshape(-1, 2), adj=adj, pen=pg.mkPen(colour, width=bone_width),
                size=np.where(valid.reshape(-1), joint_size, 0.0), symbol="o", symbolBrush=pg.mkBrush(colour),
                symbolPen=None, pxMode=True)


def empty_graph() -> dict:
    """GraphItem.setData keywords that draw nothing."""
    return dict(pos=np.zeros((0, 2)), adj=np.zeros((0, 2), dtype=int))


def present_bodies(joints: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """joints (M, 25, C) / valid (M, 25) -> only the bodies with at least one valid joint."""
    present = valid.any(axis=1)
    return joints[present], valid[present]
