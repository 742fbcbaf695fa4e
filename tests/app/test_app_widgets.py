"""App widgets on their own: attention view, video view, skeleton drawing, settings, banner (the label editor,
prediction bars and timeline have their own test files)."""

import numpy as np
from io_fixtures import standing_pose

from app.settings import AppSettings, load_settings, open_store, save_settings
from app.widgets.attention_view import AttentionView
from app.widgets.banner import Banner
from app.widgets.skeleton import EDGES, front_view, graph_data
from app.widgets.video_view import VideoView, drawn_points
from core.live.scorer import LiveResult
from core.live.sources.base import Frame
from core.live.sources.mediapipe_pose import MediaPipeSource
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


def test_video_frames_carry_pixel_positions_inside_the_image(shared_data):
    """The overlay needs MediaPipe's image landmarks mapped to NTU joints: inside the picture, head above feet."""
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
