"""App widgets on their own: label editor, prediction bars, timeline, attention view, video view, settings, banner."""

import numpy as np
import pytest
from io_fixtures import standing_pose
from PyQt6.QtCore import Qt

from app.settings import AppSettings, load_settings, open_store, save_settings
from app.widgets.attention_view import AttentionView
from app.widgets.banner import Banner
from app.widgets.label_editor import LabelEditor, write_label_file
from app.widgets.prediction_bars import PredictionBars
from app.widgets.skeleton import EDGES, front_view, graph_data
from app.widgets.timeline import ScoreTimeline
from app.widgets.video_view import VideoView, drawn_points
from core.live.scorer import LiveResult
from core.live.sources.base import Frame
from core.readers.label_presets import load_preset
from core.readers.labels import LabelSpec
from core.skeleton.layouts import NTU25


def result(timestamp, probs: dict, state="ok", version=1, attention=None, keyframes=()):
    """A LiveResult as the scorer makes it: top = labels by probability, scores for every label."""
    order = sorted(probs, key=probs.get, reverse=True)
    return LiveResult(timestamp=timestamp, state=state, labels=list(probs), labels_version=version,
                      top=[{"label": k, "prob": probs[k], "score": np.log(probs[k])} for k in order[:3]]
                      if state == "ok" else [],
                      scores={k: float(np.log(v)) for k, v in probs.items()} if state == "ok" else {},
                      attention=list(attention) if attention is not None else [], keyframes=list(keyframes))


@pytest.fixture
def editor(qtbot):
    widget = LabelEditor()
    qtbot.addWidget(widget)
    widget.set_labels(["wave", "clap"], emit=False)
    return widget


def test_typing_a_name_and_enter_adds_it_with_its_description(qtbot, editor):
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        qtbot.keyClicks(editor.name_edit, "jump in place")
        qtbot.keyClicks(editor.description_edit, "both feet leave the floor")
        qtbot.keyClick(editor.name_edit, Qt.Key.Key_Return)
    assert signal.args[0][-1] == LabelSpec("jump in place", "both feet leave the floor")
    assert editor.names() == ["wave", "clap", "jump in place"] and editor.name_edit.text() == ""
    with qtbot.assertNotEmitted(editor.sig_labels_changed):
        qtbot.keyClicks(editor.name_edit, "  WAVE ")
        qtbot.keyClick(editor.name_edit, Qt.Key.Key_Return)
    assert "already in the list" in editor.message.text() and len(editor.names()) == 3


def test_rename_delete_and_reorder(qtbot, editor):
    editor.add_label("kick")
    assert editor.rename_label("clap", "clap hands") and editor.names() == ["wave", "clap hands", "kick"]
    assert not editor.rename_label("kick", "wave"), "a rename onto an existing name is refused"
    assert not editor.rename_label("kick", "   "), "an empty name is refused"
    assert editor.names() == ["wave", "clap hands", "kick"]
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        editor.move_label("kick", -2)
    assert [label.name for label in signal.args[0]] == ["kick", "wave", "clap hands"]
    with qtbot.waitSignal(editor.sig_labels_changed) as signal:
        assert editor.remove_label("wave")
    assert [label.name for label in signal.args[0]] == ["kick", "clap hands"]


def test_import_export_round_trip_and_presets(qtbot, editor, tmp_path):
    editor.set_labels([LabelSpec("wave", "one hand swings side to side"), LabelSpec("clap")])
    editor.export_file(tmp_path / "labels.txt")
    assert (tmp_path / "labels.txt").read_text() == "wave\tone hand swings side to side\nclap\n"
    editor.set_labels(["other"])
    assert editor.import_file(tmp_path / "labels.txt")
    assert editor.labels() == [LabelSpec("wave", "one hand swings side to side"), LabelSpec("clap")]
    (tmp_path / "bad.txt").write_text("ok\n\tonly a description\n")
    assert not editor.import_file(tmp_path / "bad.txt") and "bad.txt:2" in editor.message.text()
    editor.load_preset("ntu60")
    assert editor.labels() == load_preset("ntu60") and editor.count_label.text() == "60 labels"


def test_scores_column_shows_each_labels_score(qtbot, editor):
    editor.set_scores(result(1.0, {"wave": 0.7, "clap": 0.3}))
    assert editor.score_text("wave") == "" and editor.refresh() and not editor.refresh()
    assert editor.score_text("wave") == f"{np.log(0.7):+.2f}" and editor.score_text("clap") != ""
    editor.set_scores(result(1.2, {"wave": 0.7, "clap": 0.3}, state="no person"))
    editor.refresh()
    assert editor.score_text("wave") == ""


def test_prediction_bars_keep_best_first(qtbot):
    bars = PredictionBars(rows=3)
    qtbot.addWidget(bars)
    bars.set_result(result(1.0, {"a": 0.2, "b": 0.5, "c": 0.3}))
    assert [label for label, _ in bars.top] == ["b", "c", "a"] and bars.state == "ok"
    bars.set_result(result(1.2, {"a": 1.0}, state="still"))
    assert bars.state == "still" and bars.top[0][0] == "b", "an unscored window keeps the last bars, faded"
    bars.grab()  # paints without error


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


def test_attention_view_draws_curve_keyframes_and_thumbnails(qtbot):
    view = AttentionView()
    qtbot.addWidget(view)
    attention = np.linspace(0, 1, 50) / 25
    keyframes = [10, 20, 30, 40, 45, 46, 47, 48, 49]
    poses = np.zeros((len(keyframes), 2, 25, 3))
    poses[:, 0] = standing_pose() - standing_pose()[20]
    view.set_result(result(1.0, {"a": 1.0}, attention=attention, keyframes=keyframes), poses)
    view.refresh()
    x, y = view.curve.getData()
    np.testing.assert_allclose(y, attention)
    assert list(view.markers.data["x"]) == keyframes
    # The 8 keyframes with the most attention (attention grows with time here), in time order.
    assert list(view.thumbnail_frames) == [20, 30, 40, 45, 46, 47, 48, 49]
    assert drawn_points(view.thumbnail_items[0]).shape == (8 * 25, 2)
    assert drawn_points(view.thumbnail_items[1]).shape == (0, 2), "the absent second body is not drawn"


def test_video_view_front_view_for_skeletons_and_overlay_for_images(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    pose = standing_pose()
    valid = np.ones((1, 25), bool)
    valid[0, 3] = False  # head not tracked
    view.set_frame(Frame(joints=pose[None], valid=valid, timestamp=0.0, index=0))
    view.refresh()
    assert view.mode() == "skeleton"
    item = view.skeleton_items[0]
    np.testing.assert_allclose(drawn_points(item)[valid[0]], front_view(pose)[valid[0]], atol=1e-6)
    assert len(item.adjacency) == len(EDGES) - 1, "the bone to the untracked head is left out"
    image = np.zeros((120, 160, 3), np.uint8)
    frame = Frame(joints=pose[None], valid=np.ones((1, 25), bool), timestamp=0.1, index=1, image=image,
                  image_points=np.full((1, 25, 2), 50.0, np.float32))
    view.set_frame(frame)
    view.refresh()
    assert view.mode() == "image" and view.image_item.image.shape == (120, 160, 3)
    np.testing.assert_allclose(drawn_points(view.skeleton_items[0]), 50.0)


def test_graph_data_has_one_node_per_joint_and_layout_edges():
    points = front_view(np.stack([standing_pose(), standing_pose()]))
    data = graph_data(points, np.ones((2, 25), bool), offsets=np.array([[0, 0], [2, 0]]))
    assert data["pos"].shape == (50, 2) and len(data["adj"]) == 2 * len(EDGES)
    np.testing.assert_allclose(data["pos"][25:] - data["pos"][:25], [[2, 0]] * 25)


def test_settings_round_trip_in_a_temporary_file(qtbot, settings_file):
    settings = AppSettings(source="clip.skeleton", labels=[LabelSpec("wave", "hand swings"), LabelSpec("clap")],
                           stride_seconds=0.3, smoothing=0.2, min_motion=0.02, geometry=b"\x01\x02")
    save_settings(open_store(settings_file), settings)
    assert load_settings(open_store(settings_file)) == settings
    store = open_store(settings_file)
    store.setValue("stride_seconds", "fast")
    store.sync()
    loaded = load_settings(open_store(settings_file))
    assert loaded.stride_seconds == AppSettings().stride_seconds and loaded.smoothing == 0.2


def test_banner_shows_message_and_actions(qtbot):
    banner = Banner()
    qtbot.addWidget(banner)
    clicked = []
    banner.show_message("No camera", "error", [("Open video…", lambda: clicked.append(1))])
    assert banner.message() == "No camera" and banner.button_texts() == ["Open video…"]
    banner._buttons[0].click()
    assert clicked == [1]
    banner.close_button.click()
    assert banner.message() == ""


def test_label_file_writer_matches_the_core_reader(tmp_path):
    from core.readers.label_presets import read_label_file

    labels = [LabelSpec("a b", "desc one"), LabelSpec("c")]
    write_label_file(tmp_path / "l.txt", labels)
    assert read_label_file(tmp_path / "l.txt") == labels


def test_video_frames_carry_pixel_positions_inside_the_image(shared_data):
    """The overlay needs MediaPipe's image landmarks mapped to NTU joints: inside the picture, head above feet."""
    from core.live.sources.mediapipe_pose import MediaPipeSource

    J = NTU25.index
    with MediaPipeSource(shared_data / "video" / "ta_chi.mp4", realtime=False) as source:
        frames = [source.read() for _ in range(15)]
    with_body = [f for f in frames if f.num_bodies]
    assert len(with_body) >= 10
    for frame in with_body:
        points = frame.image_points[0]
        height, width = frame.image.shape[:2]
        assert points.shape == (25, 2) and points.dtype == np.float32
        inside = (points[:, 0] > -0.05 * width) & (points[:, 0] < 1.05 * width) & (points[:, 1] > -0.05 * height)
        assert inside.mean() > 0.9, "joints must fall on the picture"
        assert points[J["Head"], 1] < points[J["FootLeft"], 1], "image y grows downwards: head above the feet"
