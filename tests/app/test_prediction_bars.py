"""The prediction bars: best first, one bar per label in the top k (no empty placeholders), long names elided."""

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QPoint
from PyQt6.QtGui import QHelpEvent
from PyQt6.QtWidgets import QToolTip

from app.widgets.label_text import MAX_LABEL_LENGTH
from app.widgets.prediction_bars import PredictionBars
from core.live.scorer import LiveResult


def result(timestamp, probs: dict, state="ok"):
    """A LiveResult whose top lists every label, best first (the scorer's top k with k >= the label count)."""
    order = sorted(probs, key=probs.get, reverse=True)
    return LiveResult(timestamp=timestamp, state=state, labels=list(probs),
                      top=[{"label": k, "prob": probs[k], "score": np.log(probs[k])} for k in order]
                      if state in ("ok", "unsure") else [])


@pytest.fixture
def bars(qtbot):
    widget = PredictionBars(rows=5)
    qtbot.addWidget(widget)
    widget.resize(400, 200)
    return widget


def track_end_colour(bars, image, row: int):
    """The colour near the right end of a row's track, where a bar below 90 % leaves the track bare."""
    label_width = min(max(bars.width() * 0.42, 120), 260)
    x = label_width + 8 + 0.95 * (bars.width() - label_width - 68)
    y = (row + 0.5) * bars.height() / bars.rows
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(x * ratio), int(y * ratio)).name()


def test_prediction_bars_keep_best_first(qtbot):
    bars = PredictionBars(rows=3)
    qtbot.addWidget(bars)
    bars.set_result(result(1.0, {"a": 0.2, "b": 0.5, "c": 0.3}))
    assert [label for label, _ in bars.top] == ["b", "c", "a"] and bars.state == "ok"
    bars.set_result(result(1.2, {"a": 1.0}, state="still"))
    assert bars.state == "still" and bars.top[0][0] == "b", "an unscored window keeps the last bars, faded"
    bars.grab()
    assert bars.drawn == ["b", "c", "a"]


def test_fewer_labels_than_rows_draw_no_empty_bars(qtbot, bars):
    bars.set_result(result(1.0, {"wave": 0.6, "clap": 0.4}))
    image = bars.grab().toImage()
    assert bars.drawn == ["wave", "clap"]
    background = image.pixelColor(2, image.height() - 2).name()
    assert track_end_colour(bars, image, 0) != background and track_end_colour(bars, image, 1) != background
    for row in (2, 3, 4):
        assert track_end_colour(bars, image, row) == background, f"row {row} draws a bar for no label"
    bars.clear()
    image = bars.grab().toImage()
    assert bars.drawn == [] and track_end_colour(bars, image, 1) == background, "no bars before a result"


def test_a_long_label_is_elided_with_the_full_name_as_tooltip(qtbot, bars):
    long = ("raise the left knee to the chest and hold it there " * 3)[:MAX_LABEL_LENGTH]
    bars.set_result(result(1.0, {long: 0.7, "clap": 0.3}))
    bars.show()
    qtbot.waitExposed(bars)
    bars.grab()
    assert bars.drawn[0].endswith("…") and long.startswith(bars.drawn[0][:-1].rstrip())
    assert bars.drawn[1] == "clap"
    row_height = bars.height() / bars.rows
    assert bars.label_at(0.5 * row_height) == long and bars.label_at(1.5 * row_height) == "clap"
    assert bars.label_at(3.5 * row_height) is None, "no tooltip under an empty row"
    position = QPoint(20, int(0.5 * row_height))
    bars.event(QHelpEvent(QEvent.Type.ToolTip, position, bars.mapToGlobal(position)))
    assert QToolTip.text() == long


def test_an_unsure_answer_names_its_two_best_candidates_and_fades_the_bars(qtbot):
    bars = PredictionBars(rows=3)
    qtbot.addWidget(bars)
    bars.set_result(result(1.0, {"wave the right hand": 0.4, "clap": 0.35, "jump": 0.25}, state="unsure"))
    assert bars.state == "unsure" and [label for label, _ in bars.top][:2] == ["wave the right hand", "clap"]
    assert bars.banner_text() == "Unsure: wave the right hand or clap?"
    assert bars._banner_height() > 0


def test_the_seen_line_names_side_and_direction_of_scored_windows_only(qtbot):
    from app.widgets.seen_line import SeenLine

    line = SeenLine()
    qtbot.addWidget(line)
    scored = result(1.0, {"wave the left hand": 0.7, "clap": 0.3})
    scored.attributes = {"limb": "arm", "side": "left", "direction": "up"}
    line.set_result(scored)
    assert line.text() == "Seen: left hand, moving up"
    line.set_result(result(1.2, {}, state="no person"))
    assert line.text() == ""
