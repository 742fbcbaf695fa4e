"""Source > Pose model: lite, full or a PoseLandmarker .task file, kept in AppSettings.pose_model, and whether
to look for a second person (AppSettings.people); changing either restarts a running camera or video."""

from PyQt6.QtGui import QAction, QActionGroup
from PyQt6.QtWidgets import QFileDialog, QMenu

from core.live.sources.pose_models import BUNDLED_POSE_MODELS, pose_model_name

TASK_FILTER = "MediaPipe PoseLandmarker (*.task);;All files (*)"
CHOICES = {"lite": "&Lite (faster)", "full": "&Full"}


def uses_pose_model(spec: str) -> bool:
    """True for the sources MediaPipe reads (a camera index or a video file), not skeleton files or Kinects."""
    spec = str(spec).strip()
    return spec.isdigit() or spec.lower().endswith((".mp4", ".avi", ".mov", ".mkv", ".webm"))


class PoseModelMenu(QMenu):
    """One checkable action per bundled model and one for a file of the user's own."""

    def __init__(self, window):
        super().__init__("&Pose model", window)
        self.window = window
        self.setToolTipsVisible(True)
        group = QActionGroup(self)
        group.setExclusive(True)
        self.actions_by_model = {}
        for model, text in CHOICES.items():
            action = QAction(text, self, checkable=True)
            action.setToolTip(str(BUNDLED_POSE_MODELS[model]))
            action.triggered.connect(lambda _checked, model=model: self.set_pose_model(model))
            group.addAction(action)
            self.addAction(action)
            self.actions_by_model[model] = action
        self.file_action = QAction("&Other .task file…", self, checkable=True)
        self.file_action.triggered.connect(self.choose_file)
        group.addAction(self.file_action)
        self.addAction(self.file_action)
        self.addSeparator()
        self.second_person_action = QAction("Look for a &second person", self, checkable=True)
        self.second_person_action.setToolTip("Needed for two-person actions (hugging, handshakes); with one person "
                                             "in view, off is faster")
        self.second_person_action.toggled.connect(self.set_second_person)
        self.addAction(self.second_person_action)
        self.show_choice()

    def show_choice(self):
        current = self.window.settings.pose_model
        action = self.actions_by_model.get(str(current).lower(), self.file_action)
        action.setChecked(True)
        self.file_action.setText("&Other .task file…" if action is not self.file_action
                                 else f"&Other .task file ({pose_model_name(current)})…")
        self.second_person_action.blockSignals(True)
        self.second_person_action.setChecked(self.window.settings.people >= 2)
        self.second_person_action.blockSignals(False)

    def choose_file(self):
        path, _ = QFileDialog.getOpenFileName(self.window, "Choose a pose model", "", TASK_FILTER)
        if path:
            self.set_pose_model(path)
        else:
            self.show_choice()

    def set_pose_model(self, model: str):
        """Keep `model` in the settings; a running camera or video restarts with it."""
        changed = model != self.window.settings.pose_model
        self.window.settings.pose_model = model
        self.show_choice()
        self._restart_if(changed)

    def set_second_person(self, on: bool):
        """Look for up to two people per frame (on) or one; a running camera or video restarts."""
        people = 2 if on else 1
        changed = people != self.window.settings.people
        self.window.settings.people = people
        self._restart_if(changed)

    def _restart_if(self, changed: bool):
        if changed and uses_pose_model(self.window.source_spec) and self.window.bridge.stats()["running"]:
            self.window.start_source(self.window.source_spec)
