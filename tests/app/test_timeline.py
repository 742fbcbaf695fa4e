"""The score timeline: fixed history, one colour per drawn label shared by curve and legend, a time axis that fits."""

import numpy as np
import pytest
from PyQt6.QtGui import QColor

from app.widgets.label_text import MAX_LABEL_LENGTH
from app.widgets.timeline import MIN_SPAN_SECONDS, SPAN_SECONDS, ScoreTimeline
from app.widgets.timeline_legend import SWATCH_WIDTH
from core.live.scorer import LiveResult


def result(timestamp, probs: dict, state="ok", version=1, top=3):
    """A LiveResult as the scorer makes it: `top` = the best labels by probability, scores for every label."""
    order = sorted(probs, key=probs.get, reverse=True)
    return LiveResult(timestamp=timestamp, state=state, labels=list(probs), labels_version=version,
                      top=[{"label": k, "prob": probs[k], "score": np.log(probs[k])} for k in order[:top]]
                      if state == "ok" else [],
                      scores={k: float(np.log(v)) for k, v in probs.items()} if state == "ok" else {})


@pytest.fixture
def timeline(qtbot):
    widget = ScoreTimeline(curves=3)
    qtbot.addWidget(widget)
    widget.resize(420, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drawn(timeline) -> list[tuple[str, QColor]]:
    """(label, pen colour) of every curve that has data, in curve order; checks its newest dot has that colour."""
    pairs = []
    for curve, head, label in zip(timeline.curves, timeline.heads, timeline.shown + [None] * 10):
        x, _ = curve.getData()
        if x is None or not len(x):
            continue
        assert label is not None, "a curve with data but no label"
        colour = curve.opts["pen"].color()
        if len(head.data):
            assert head.opts["brush"].color() == colour, f"{label}: its newest dot has another colour than its line"
        pairs.append((label, colour))
    return pairs


def check_legend_matches_curves(timeline):
    lines = drawn(timeline)
    legend = timeline.legend.shown()
    assert [label for label, _ in legend] == [label for label, _ in lines], "one legend entry per line, same order"
    for (label, pen), (_, swatch) in zip(lines, legend):
        assert swatch == pen, f"{label}: legend {swatch.name()} but line {pen.name()}"
    colours = [colour.name() for _, colour in lines]
    assert len(set(colours)) == len(colours), f"two lines share a colour: {lines}"
    return {label: colour.name() for label, colour in lines}


def test_a_label_keeps_its_colour_while_drawn_and_legend_follows_across_a_label_change(qtbot, timeline):
    # The top 3 reshuffle every result; labels leave and enter the top k.
    orders = [("tai chi", "wave", "clap", "kick", "bow"), ("wave", "tai chi", "kick", "clap", "bow"),
              ("tai chi", "kick", "bow", "wave", "clap"), ("bow", "tai chi", "kick", "clap", "wave")]
    colours: dict[str, str] = {}
    previous: set[str] = set()
    for step, order in enumerate(orders * 3):
        probs = dict(zip(order, (0.5, 0.25, 0.15, 0.06, 0.04)))
        timeline.add_result(result(step * 0.2, probs))
        assert timeline.refresh()
        now = check_legend_matches_curves(timeline)
        for label in set(now) & previous:
            assert now[label] == colours[label], f"step {step}: {label} changed colour while drawn"
        colours.update(now)
        previous = set(now)
    assert previous == {"bow", "tai chi", "kick"}
    before = check_legend_matches_curves(timeline)
    # The user deletes "bow" and adds "jump", which at once wins.
    timeline.add_result(result(3.0, {"tai chi": 0.2, "kick": 0.1, "wave": 0.05, "jump": 0.65}, version=2))
    timeline.refresh()
    after = check_legend_matches_curves(timeline)
    assert "bow" not in after and "bow" not in [label for label, _ in timeline.legend.shown()]
    assert list(after) == ["jump", "tai chi", "kick"]
    assert after["tai chi"] == before["tai chi"] and after["kick"] == before["kick"]


def test_legend_swatches_are_painted_in_the_line_colour(qtbot, timeline):
    for i in range(5):
        timeline.add_result(result(i * 0.2, {"wave": 0.6, "clap": 0.3, "kick": 0.1}))
    timeline.refresh()
    qtbot.wait(10)
    lines = drawn(timeline)
    visible = [entry for entry in timeline.legend.entries if entry.isVisible()]
    assert len(visible) == len(lines) == 3
    for entry, (label, pen) in zip(visible, lines):
        image = entry.grab().toImage()
        painted = image.pixelColor(int(SWATCH_WIDTH * image.devicePixelRatio() / 4), image.height() // 2)
        assert abs(painted.red() - pen.red()) + abs(painted.green() - pen.green()) + abs(painted.blue() - pen.blue()) \
            < 60, f"{label}: swatch painted {painted.name()}, line is {pen.name()}"
        assert entry.elided_text() == label and entry.toolTip() == label


def test_no_legend_entry_before_anything_is_drawn(qtbot, timeline):
    timeline.add_result(result(0.0, {"wave": 0.6, "clap": 0.4}, state="no person"))
    timeline.refresh()
    assert timeline.legend.shown() == [] and drawn(timeline) == []
    timeline.add_result(result(0.2, {"wave": 0.6, "clap": 0.4}))
    timeline.clear_history()
    timeline.refresh()
    assert timeline.legend.shown() == [] and drawn(timeline) == [], "a cleared history names no label"


def test_a_label_removed_and_added_back_between_two_refreshes_gets_a_colour(qtbot, timeline):
    timeline.add_result(result(0.0, {"wave": 0.6, "clap": 0.4}))
    timeline.refresh()
    timeline.add_result(result(0.2, {"clap": 1.0}, version=2))
    timeline.add_result(result(0.4, {"clap": 0.3, "wave": 0.7}, version=3))
    timeline.refresh()
    assert set(check_legend_matches_curves(timeline)) == {"wave", "clap"}


def test_time_axis_fits_a_short_clip_and_grows_to_the_span(qtbot, timeline):
    for i in range(16):  # 3 s at the 0.2 s stride
        timeline.add_result(result(i * 0.2, {"wave": 0.6, "clap": 0.4}))
    timeline.refresh()
    left, right = timeline.x_range()
    assert -MIN_SPAN_SECONDS - 0.01 <= left <= -3.0, f"a 3-s clip on an axis from {left} s"
    assert 0 < right < 0.5
    x, _ = timeline.curves[0].getData()
    assert x[0] == pytest.approx(-3.0), "the whole clip is drawn"
    for i in range(16, 300):  # 60 s in all
        timeline.add_result(result(i * 0.2, {"wave": 0.6, "clap": 0.4}))
    timeline.refresh()
    assert timeline.x_range()[0] == pytest.approx(-SPAN_SECONDS)


def test_set_curves_follows_the_top_k_setting(qtbot, timeline):
    probs = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    timeline.add_result(result(0.0, probs, top=4))
    timeline.refresh()
    assert timeline.shown == ["a", "b", "c"]
    timeline.set_curves(4)
    timeline.refresh()
    assert timeline.shown == ["a", "b", "c", "d"] and len(check_legend_matches_curves(timeline)) == 4


def test_a_long_label_is_elided_in_the_legend_and_the_legend_recovers_when_it_is_deleted(qtbot, timeline):
    long = ("slowly raise both arms above the head while " * 4)[:MAX_LABEL_LENGTH]
    timeline.add_result(result(0.0, {long: 0.6, "clap": 0.3, "wave": 0.1}))
    timeline.refresh()
    qtbot.wait(10)
    entries = [entry for entry in timeline.legend.entries if entry.isVisible()]
    assert entries[0].label == long and entries[0].toolTip() == long
    assert entries[0].elided_text().endswith("…") and len(entries[0].elided_text()) < len(long)
    assert timeline.legend.width() <= timeline.width(), "a long name never widens the timeline"
    assert [entry.elided_text() for entry in entries[1:]] == ["clap", "wave"]
    timeline.add_result(result(0.2, {"clap": 0.7, "wave": 0.3}, version=2))
    timeline.refresh()
    qtbot.wait(10)
    entries = [entry for entry in timeline.legend.entries if entry.isVisible()]
    assert [entry.elided_text() for entry in entries] == ["clap", "wave"]
    assert all(entry.width() > 100 for entry in entries), "entries keep their width after the long label goes"


def test_timeline_keeps_a_fixed_history_and_follows_label_edits(qtbot):
    timeline = ScoreTimeline(curves=2)
    qtbot.addWidget(timeline)
    curves_before = list(timeline.curves)
    for i in range(10):
        timeline.add_result(result(i * 0.2, {"wave": 0.6, "clap": 0.3, "kick": 0.1}))
    timeline.add_result(result(2.0, {"wave": 0.6, "clap": 0.3, "kick": 0.1}, state="no person"))
    timeline.refresh()
    assert timeline.curves == curves_before, "curves are made once"
    assert timeline.shown == ["wave", "clap"]
    history = timeline.history_of("wave")
    assert len(history) == 11 and np.allclose(history[:10], 0.6) and np.isnan(history[-1])
    x, y = timeline.curves[0].getData()
    assert x[-1] == 0.0 and np.isclose(x[-2], -0.2) and timeline.probs.shape[0] == 600
    assert np.isclose(y[-2], 60.0), "drawn in percent"
    timeline.add_result(result(2.2, {"clap": 0.5, "jump": 0.5}, version=2))  # wave removed, jump added
    timeline.refresh()
    assert set(timeline.columns) == {"clap", "jump"} and np.allclose(timeline.history_of("clap")[:10], 0.3)


def test_a_window_scored_again_replaces_its_point_instead_of_drawing_a_step(qtbot, timeline):
    timeline.add_result(result(2.0, {"wave": 0.7, "clap": 0.3}))
    timeline.add_result(result(2.2, {"wave": 0.6, "clap": 0.4}))
    timeline.add_result(result(2.2, {"wave": 0.2, "clap": 0.8}))  # labels edited after the file ended
    timeline.refresh()
    assert timeline.count == 2
    x, y = timeline.curves[timeline.shown.index("clap")].getData()
    assert len(x) == 2 and y[-1] == pytest.approx(80.0)  # percent
