"""The reliability diagram is a real PNG whose bars stand where the clips' confidences fall."""

import cv2
import numpy as np
import pytest

from core.benchmark.reliability_image import BAR_COLOR, MARGIN, SIZE, write_reliability_png


def test_the_diagram_draws_a_bar_only_in_the_bins_that_hold_clips(tmp_path):
    scores = np.log(np.array([[0.95, 0.05]] * 8 + [[0.55, 0.45]] * 4))
    labels = np.array([0] * 8 + [1] * 4)  # the confident answers are right, the hesitant ones wrong
    path = write_reliability_png(tmp_path / "r.png", scores, labels, 1.0, "test")
    image = cv2.imread(str(path))
    assert image.shape == (SIZE + 2 * MARGIN + 30, SIZE + 2 * MARGIN, 3)
    top, left = MARGIN + 30, MARGIN
    bottom_row = image[top + SIZE - 20]  # 20 px above the x axis: inside any bar taller than that
    is_bar = (bottom_row == BAR_COLOR).all(axis=1)
    top_bin = slice(left + int(0.9 * SIZE) + 3, left + SIZE - 3)
    middle_bin = slice(left + int(0.5 * SIZE) + 3, left + int(0.6 * SIZE) - 3)
    assert is_bar[top_bin].all(), "the 0.9-1.0 bin holds 8 right answers: a full bar"
    assert not is_bar[middle_bin].any(), "the 0.5-0.6 bin's answers are all wrong: no bar"


def test_an_unwritable_path_is_named(tmp_path):
    with pytest.raises(OSError, match="nowhere"):
        write_reliability_png(tmp_path / "nowhere" / "r.png", np.zeros((2, 2)), np.array([0, 1]), 1.0, "t")
