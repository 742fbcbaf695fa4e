"""A confusion matrix drawn as a PNG with OpenCV: class names on both axes, counts in the cells, a title."""

from pathlib import Path

import numpy as np

FONT_SCALE = 0.45  # Hershey simplex at this scale: about 8 px per character, readable at 100 %
MARGIN = 12  # pixels around the figure and between the axis names and the grid
TITLE_HEIGHT = 48


def _ascii(text: str) -> str:
    # OpenCV's Hershey fonts draw ASCII only.
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


def _text_size(text: str, scale: float) -> tuple[int, int]:
    # cv2 imported on use: importing this module stays light
    import cv2

    (width, height), baseline = cv2.getTextSize(_ascii(text), cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    return width, height + baseline


def _put(image: np.ndarray, text: str, x: int, y: int, scale: float = FONT_SCALE, color=(0, 0, 0), thickness=1):
    # cv2 imported on use: importing this module stays light
    import cv2

    cv2.putText(image, _ascii(text), (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness, cv2.LINE_AA)


def draw_confusion(matrix: np.ndarray, names: list[str], title: str) -> np.ndarray:
    """(L, L) counts, rows true and columns predicted -> BGR uint8 image. Cell shade = share of the row."""
    matrix = np.asarray(matrix)
    L = len(names)
    assert matrix.shape == (L, L), f"matrix must be ({L}, {L}) for {L} names, got {matrix.shape}"
    cell = int(np.clip(1800 // max(L, 1), 22, 64))
    scale = FONT_SCALE if cell >= 36 else 0.35
    names = [_ascii(name)[:48] for name in names]
    name_width = max([_text_size(name, scale)[0] for name in names] + [_text_size("predicted", scale)[0]])
    line = _text_size("Ag", scale)[1]
    left = MARGIN + line + MARGIN + name_width + MARGIN  # "true" written vertically, then the row names
    top = TITLE_HEIGHT + line + MARGIN + name_width + MARGIN  # title, "predicted", then the column names
    width = max(left + L * cell + MARGIN, _text_size(title, 0.6)[0] + 2 * MARGIN)
    image = np.full((top + L * cell + MARGIN, width, 3), 255, np.uint8)
    _put(image, title, MARGIN, TITLE_HEIGHT - 16, 0.6, thickness=1)
    _put(image, "predicted", left, TITLE_HEIGHT + line - 4, scale)
    totals = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    share = matrix / totals
    for row in range(L):
        y0 = top + row * cell
        _put(image, names[row], left - MARGIN - _text_size(names[row], scale)[0], y0 + cell // 2 + line // 3, scale)
        for col in range(L):
            x0 = left + col * cell
            shade = float(share[row, col])
            image[y0:y0 + cell, x0:x0 + cell] = (255, 255 - 170 * shade, 255 - 220 * shade)  # BGR: white -> blue
            if row == col:
                image[y0:y0 + cell, x0:x0 + 2] = image[y0:y0 + 2, x0:x0 + cell] = (0, 140, 0)  # diagonal marked
            count = str(int(matrix[row, col]))
            count_width, _ = _text_size(count, scale)
            _put(image, count, x0 + (cell - count_width) // 2, y0 + cell // 2 + line // 3, scale,
                 (255, 255, 255) if shade > 0.55 else (0, 0, 0))
    image[top:top + L * cell + 1:cell, left:left + L * cell] = 160  # grid lines
    image[top:top + L * cell, left:left + L * cell + 1:cell] = 160
    for col in range(L):  # column names written bottom to top: draw on a strip, then rotate it
        strip = np.full((cell, name_width + MARGIN, 3), 255, np.uint8)
        _put(strip, names[col], MARGIN, cell // 2 + line // 3, scale)
        rotated = np.ascontiguousarray(np.rot90(strip))
        x0 = left + col * cell
        image[top - rotated.shape[0]:top, x0:x0 + cell] = rotated  # text starts just above the grid
    true_strip = np.full((line + 4, _text_size("true", scale)[0] + 4, 3), 255, np.uint8)
    _put(true_strip, "true", 2, line, scale)
    rotated = np.ascontiguousarray(np.rot90(true_strip))
    y0 = top + (L * cell - rotated.shape[0]) // 2
    image[max(y0, top):max(y0, top) + rotated.shape[0], MARGIN:MARGIN + rotated.shape[1]] = rotated
    return image


def write_confusion_png(path: str | Path, matrix: np.ndarray, names: list[str], title: str) -> Path:
    """Draw and save the confusion matrix; raises OSError naming the path when it cannot be written."""
    # cv2 imported on use: importing this module stays light
    import cv2

    path = Path(path)
    image = draw_confusion(matrix, names, title)
    if not path.parent.is_dir():
        raise OSError(f"cannot write {path}: folder {path.parent} does not exist")
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cannot write {path}: OpenCV could not save a PNG there")
    return path
