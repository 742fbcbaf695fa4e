"""The per-epoch record `smie pretrain` keeps in encoder.json, read back as a curve: where seen-class validation
peaked, whether it was still rising when training stopped, and a PNG of training and validation accuracy."""

from pathlib import Path

import numpy as np

from core.benchmark.confusion_image import _put

SIZE_X, SIZE_Y, MARGIN = 600, 320, 60
VAL_COLOR, TRAIN_COLOR, BEST_COLOR, GRID_COLOR = (200, 120, 40), (60, 160, 60), (60, 60, 220), (215, 215, 215)
STILL_RISING = 0.01  # the last epochs' best beats every earlier epoch by this much: more epochs would help


def curve_summary(history: list[dict], tail: int = 5) -> dict:
    """Best epoch and accuracy, and the gain of the best of the last `tail` epochs over the best before them
    (still_rising when it is STILL_RISING or more). A history without epochs or without validation is an error."""
    if not history:
        raise ValueError("the encoder's history has no epochs")
    missing = [i + 1 for i, r in enumerate(history) if not {"epoch", "val_acc", "train_acc"} <= set(r)]
    if missing:
        raise ValueError(f"history epochs {missing[:5]} lack epoch / train_acc / val_acc")
    val = np.array([float(r["val_acc"]) for r in history])
    if not np.isfinite(val).all():
        raise ValueError("the encoder was trained without seen-class validation: no curve to read")
    best = int(np.argmax(val))
    tail = min(tail, len(val) - 1)
    gain = float(val[-tail:].max() - val[:-tail].max()) if tail > 0 else float("nan")
    return {"epochs": len(history), "best_epoch": int(history[best]["epoch"]), "best_val_acc": float(val[best]),
            "last_val_acc": float(val[-1]), "tail_epochs": tail, "tail_gain": gain,
            "still_rising": bool(gain >= STILL_RISING),
            "seconds": float(sum(float(r.get("seconds", 0.0)) for r in history)),
            "val_acc": [round(float(v), 4) for v in val],
            "train_acc": [round(float(r["train_acc"]), 4) for r in history]}


def write_curve_png(path: Path, history: list[dict], title: str) -> Path:
    """Training (green) and seen-class validation (blue) accuracy per epoch, the best epoch marked in red."""
    import cv2  # imported on use: reading a curve needs no OpenCV

    summary = curve_summary(history)
    width, height = SIZE_X + 2 * MARGIN, SIZE_Y + 2 * MARGIN + 20
    image = np.full((height, width, 3), 255, np.uint8)
    top, left, epochs = MARGIN + 20, MARGIN, summary["epochs"]

    def point(epoch: float, accuracy: float) -> tuple[int, int]:
        x = left + (epoch - 1) / max(1, epochs - 1) * SIZE_X
        return int(x), int(top + (1 - accuracy) * SIZE_Y)

    for tick in np.linspace(0, 1, 6):
        cv2.line(image, point(1, tick), point(epochs, tick), GRID_COLOR, 1)
        _put(image, f"{tick:.1f}", left - 36, point(1, tick)[1] + 5)
    for epoch in sorted({1, epochs, *range(5, epochs, 5)}):
        _put(image, str(epoch), point(epoch, 0)[0] - 6, top + SIZE_Y + 18)
    for values, color in ((summary["train_acc"], TRAIN_COLOR), (summary["val_acc"], VAL_COLOR)):
        points = np.array([point(i + 1, v) for i, v in enumerate(values)], np.int32)
        cv2.polylines(image, [points], False, color, 2, cv2.LINE_AA)
    cv2.circle(image, point(summary["best_epoch"], summary["best_val_acc"]), 6, BEST_COLOR, 2, cv2.LINE_AA)
    _put(image, title, left, 24)
    _put(image, f"validation (blue) best {100 * summary['best_val_acc']:.1f} % at epoch {summary['best_epoch']}, "
                f"training (green); epoch", left, height - 12)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")
    return path
