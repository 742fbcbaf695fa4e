"""A reliability diagram as a PNG with OpenCV: accuracy against top-1 probability per bin, the diagonal a
calibrated model would follow, bin counts, and the headline figures in the title."""

from pathlib import Path

import numpy as np

from core.benchmark.confusion_image import FONT_SCALE, _put
from core.metrics import calibration_metrics, reliability_bins, softmax

SIZE = 480  # plot square, pixels
MARGIN = 60
BAR_COLOR = (200, 120, 40)  # BGR: blue bars
GAP_COLOR = (60, 60, 220)  # red: the gap to the diagonal
GRID_COLOR = (200, 200, 200)


def reliability_image(scores: np.ndarray, labels: np.ndarray, temperature: float, title: str,
                      bins: int = 10) -> np.ndarray:
    """(H, W, 3) uint8 BGR image of the diagram for softmax(scores / temperature) against the true labels."""
    # cv2 imported on use: importing this module stays light
    import cv2

    probs = softmax(scores, temperature)
    rows = reliability_bins(probs, np.asarray(labels), bins)
    figures = calibration_metrics(scores, labels, temperature, bins)
    width, height = SIZE + 2 * MARGIN, SIZE + 2 * MARGIN + 30
    image = np.full((height, width, 3), 255, np.uint8)
    top, left = MARGIN + 30, MARGIN

    def point(x: float, y: float) -> tuple[int, int]:
        return int(left + x * SIZE), int(top + (1 - y) * SIZE)

    for tick in np.linspace(0, 1, 6):
        cv2.line(image, point(tick, 0), point(tick, 1), GRID_COLOR, 1)
        cv2.line(image, point(0, tick), point(1, tick), GRID_COLOR, 1)
        _put(image, f"{tick:.1f}", point(tick, 0)[0] - 10, top + SIZE + 18)
        _put(image, f"{tick:.1f}", left - 36, point(0, tick)[1] + 5)
    for row in rows:
        if not row["count"]:
            continue
        cv2.rectangle(image, point(row["low"], row["accuracy"]), point(row["high"], 0), BAR_COLOR, -1)
        cv2.rectangle(image, point(row["low"], row["accuracy"]), point(row["high"], row["confidence"]),
                      GAP_COLOR, 2)
        _put(image, str(row["count"]), point(row["low"], 0)[0] + 3, point(0, 0)[1] - 4, 0.35, (255, 255, 255))
    cv2.line(image, point(0, 0), point(1, 1), (0, 0, 0), 1, cv2.LINE_AA)
    cv2.rectangle(image, point(0, 1), point(1, 0), (0, 0, 0), 1)
    _put(image, "top-1 probability", left + SIZE // 2 - 60, top + SIZE + 40)
    _put(image, "accuracy", 4, top - 10)
    _put(image, title, MARGIN, 24, FONT_SCALE + 0.1)
    _put(image, f"ECE {figures['ece']:.3f}  AUROC {figures['auroc']:.2f}  NLL {figures['nll']:.2f}  "
         f"n {len(labels)}", MARGIN, 48)
    return image


def write_reliability_png(path: Path, scores: np.ndarray, labels: np.ndarray, temperature: float,
                          title: str) -> Path:
    """Draw the diagram and write it; raises OSError naming the path when it cannot be written."""
    # cv2 imported on use: importing this module stays light
    import cv2

    path = Path(path)
    if not cv2.imwrite(str(path), reliability_image(scores, labels, temperature, title)):
        raise OSError(f"cannot write the reliability diagram to {path}")
    return path
