"""The app and two people: both skeletons drawn over the picture in their own colours, and the pose model kept in
the settings, chosen in Source > Pose model and handed to the source."""

import numpy as np

from app.main_window import MainWindow
from app.pose_model_menu import uses_pose_model
from app.settings import AppSettings, load_settings, open_store, save_settings
from app.widgets.skeleton import BODY_COLOURS
from app.widgets.video_view import VideoView, drawn_points
from core.live.sources.base import Frame


def test_two_bodies_are_drawn_over_the_picture_in_two_colours(qtbot):
    view = VideoView()
    qtbot.addWidget(view)
    points = np.stack([np.full((25, 2), 40.0), np.full((25, 2), 120.0)]).astype(np.float32)
    valid = np.ones((2, 25), bool)
    frame = Frame(joints=np.zeros((2, 25, 3), np.float32), valid=valid, timestamp=0.0, index=0,
                  image=np.zeros((160, 200, 3), np.uint8), image_points=points)
    view.set_frame(frame)
    view.refresh()
    for body in (0, 1):
        item = view.skeleton_items[body]
        np.testing.assert_allclose(drawn_points(item), points[body])
        assert item.pen.color().getRgb()[:3] == BODY_COLOURS[body]
    assert BODY_COLOURS[0] != BODY_COLOURS[1]
    # A frame where only the second slot holds a person draws only that one, still in its own colour.
    valid[0] = False
    view.set_frame(Frame(joints=np.zeros((2, 25, 3), np.float32), valid=valid, timestamp=0.1, index=1,
                         image=np.zeros((160, 200, 3), np.uint8), image_points=points))
    view.refresh()
    assert drawn_points(view.skeleton_items[0]).shape == (0, 2)
    assert view.skeleton_items[1].pen.color().getRgb()[:3] == BODY_COLOURS[1]


def test_pose_model_setting_round_trips(qtbot, settings_file):
    assert AppSettings().pose_model == "lite"
    save_settings(open_store(settings_file), AppSettings(pose_model="full"))
    assert load_settings(open_store(settings_file)).pose_model == "full"


class FakeBridge:
    """Records what the window asks the engine bridge to start."""

    def __init__(self):
        from PyQt6.QtCore import QObject, pyqtSignal

        class Signals(QObject):
            sig_frame = pyqtSignal(object)
            sig_result = pyqtSignal(object, object)
            sig_error = pyqtSignal(object)
            sig_started = pyqtSignal(object)
            sig_stopped = pyqtSignal(str)
            sig_progress = pyqtSignal(str)

        self.signals = Signals()
        for name in ("sig_frame", "sig_result", "sig_error", "sig_started", "sig_stopped", "sig_progress"):
            setattr(self, name, getattr(self.signals, name))
        self.started = []
        self.run_info = None
        self.recognizer = None
        self.frame_sink = None
        self.running = False

    def start(self, source, model_dir, source_options=None):
        self.started.append((source, dict(source_options or {})))
        self.running = True

    def stop(self):
        self.running = False

    def set_labels(self, labels):
        pass

    def set_scorer_config(self, config):
        pass

    def set_examples(self, *args, **kwargs):
        pass

    def stats(self):
        return {"fps": None, "pose_ms": 0.0, "frames": 0, "skipped_windows": 0, "running": self.running}

    def shutdown(self, timeout=2.0):
        return True


def test_the_pose_model_menu_sets_the_model_and_restarts_a_camera_with_it(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    bridge = FakeBridge()
    window = MainWindow(AppSettings(source="0", recording_folder=str(tmp_path / "rec")), bridge=bridge)
    qtbot.addWidget(window)
    window.start_source("0")
    assert bridge.started[-1] == ("0", {"pose_model": "lite", "num_poses": 2})
    menu = window.pose_model_menu
    assert menu.actions_by_model["lite"].isChecked()
    menu.actions_by_model["full"].trigger()
    assert window.settings.pose_model == "full" and menu.actions_by_model["full"].isChecked()
    assert bridge.started[-1] == ("0", {"pose_model": "full", "num_poses": 2}), "a running camera restarts with it"
    count = len(bridge.started)
    menu.actions_by_model["full"].trigger()
    assert len(bridge.started) == count, "choosing the model in use restarts nothing"
    own = tmp_path / "mine.task"
    own.write_bytes(b"")
    menu.set_pose_model(str(own))
    assert menu.file_action.isChecked() and "mine.task" in menu.file_action.text()
    assert uses_pose_model("clip.MP4") and not uses_pose_model("clip.skeleton") and not uses_pose_model("kinect2")


def test_looking_for_one_person_only_is_kept_and_restarts_the_camera(qtbot, tmp_path, monkeypatch, settings_file):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))
    bridge = FakeBridge()
    window = MainWindow(AppSettings(source="0", recording_folder=str(tmp_path / "rec")), bridge=bridge)
    qtbot.addWidget(window)
    window.start_source("0")
    action = window.pose_model_menu.second_person_action
    assert action.isChecked()
    action.trigger()
    assert window.settings.people == 1 and bridge.started[-1] == ("0", {"pose_model": "lite", "num_poses": 1})
    save_settings(open_store(settings_file), window.settings)
    assert load_settings(open_store(settings_file)).people == 1
