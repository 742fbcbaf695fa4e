"""The main window's layout: views in splitters, panels in docks, and the menus."""

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QDockWidget, QGroupBox, QSplitter, QVBoxLayout, QWidget

from app.pose_model_menu import PoseModelMenu
from app.widgets.attention_view import AttentionView
from app.widgets.example_panel import ExamplePanel
from app.widgets.label_editor import LabelEditor
from app.widgets.prediction_bars import PredictionBars
from app.widgets.recording_panel import RecordingPanel
from app.widgets.seen_line import SeenLine
from app.widgets.timeline import ScoreTimeline
from app.widgets.tuning_panel import TuningPanel
from app.widgets.video_view import VideoView


def _group(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 4, 4)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def build_views(window):
    """Video, keyframes, predictions and timeline in splitters, the banner above them."""
    window.video = VideoView()
    window.attention = AttentionView()
    window.bars = PredictionBars(window.settings.top_k)
    window.seen = SeenLine()
    window.timeline = ScoreTimeline(window.settings.top_k)
    left = QSplitter(Qt.Orientation.Vertical)
    left.addWidget(_group("Source", window.video))
    keyframes = _group("Keyframes: the normalised poses the model sees", window.attention)
    keyframes.setToolTip("Motion attention over the 50 frames of the scored window; the triangles mark the "
                         "keyframes, drawn below as the model sees them (centred, shoulders facing front)")
    left.addWidget(keyframes)
    left.setSizes([430, 370])
    right = QSplitter(Qt.Orientation.Vertical)
    right.addWidget(_group("Predictions", window.bars, window.seen))
    right.addWidget(_group("Timeline", window.timeline))
    right.setSizes([260, 540])
    main = QSplitter(Qt.Orientation.Horizontal)
    main.addWidget(left)
    main.addWidget(right)
    main.setSizes([560, 440])
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(6, 6, 6, 0)
    layout.addWidget(window.banner)
    layout.addWidget(main, 1)
    window.setCentralWidget(central)


def build_docks(window):
    """Labels, recording, tuning and examples panels as docks on the right."""
    window.label_editor = LabelEditor()
    window.recording = RecordingPanel(window.settings.recording_folder)
    window.tuning = TuningPanel(window.settings)
    window.example_panel = ExamplePanel()
    docks = []
    for title, widget, name in (("Labels", window.label_editor, "labels"), ("Recording", window.recording,
                                "recording"), ("Tuning", window.tuning, "tuning"),
                                ("Examples", window.example_panel, "examples")):
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock_{name}")  # restoreState matches docks by object name
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        docks.append(dock)
    window.splitDockWidget(docks[0], docks[1], Qt.Orientation.Vertical)
    window.tabifyDockWidget(docks[1], docks[2])
    window.tabifyDockWidget(docks[1], docks[3])
    window.resizeDocks([docks[0], docks[1]], [560, 220], Qt.Orientation.Vertical)
    window.resizeDocks([docks[0]], [430], Qt.Orientation.Horizontal)
    docks[1].raise_()
    window.docks = docks


def build_menus(window):
    """Source, Labels, View and Help menus."""
    source = window.menuBar().addMenu("&Source")
    for text, slot, shortcut in (("Open &video…", window.open_video_dialog, QKeySequence.StandardKey.Open),
                                 ("Open &skeleton file…", window.open_skeleton_dialog, None),
                                 ("&Camera 0", lambda: window.start_source("0"), None),
                                 ("&Kinect v2", lambda: window.start_source("kinect2"), None),
                                 ("&Azure Kinect", lambda: window.start_source("azure"), None),
                                 ("&Restart source", lambda: window.start_source(window.source_spec), None),
                                 ("S&top", window.bridge.stop, None)):
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        source.addAction(action)
    source.addSeparator()
    source.addAction("Choose &model folder…", window.choose_model_dialog)
    window.pose_model_menu = PoseModelMenu(window)
    source.addMenu(window.pose_model_menu)
    source.addSeparator()
    source.addAction("&Quit", QKeySequence(QKeySequence.StandardKey.Quit), window.close)
    labels = window.menuBar().addMenu("&Labels")
    labels.addAction("&Import…", window.label_editor.import_dialog)
    labels.addAction("&Export…", window.label_editor.export_dialog)
    labels.addMenu(window.label_editor.preset_button.menu()).setText("&Presets")
    view = window.menuBar().addMenu("&View")
    for dock in window.docks:
        view.addAction(dock.toggleViewAction())
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction("&About SMIE Live", window.show_about)
