"""Teaching a label by example in the window: keep the last 2 s of the running source or record one after a
countdown, see the count in the label list, view its keyframes, delete it; results then name the evidence."""

import time

import pytest
from PyQt6.QtCore import Qt

from app.main_window import MainWindow
from app.settings import AppSettings, open_store
from app.widgets.label_table import EXAMPLES
from core.clips.example_library import ExampleLibrary
from core.live.scorer import SCORED_STATES
from core.readers.labels import LabelSpec

LABELS = ["wave the right hand", "clap", "kick"]
TIMEOUT_MS = 20000  # model load and the first window on a loaded 2-core machine


@pytest.fixture
def window(qtbot, model_dir, waving_file, settings_file, example_folder):
    window = MainWindow(AppSettings(source=str(waving_file), model_dir=str(model_dir),
                                    labels=[LabelSpec(n) for n in LABELS], smoothing=0.0),
                        store=open_store(settings_file))
    qtbot.addWidget(window)
    window.show()
    return window


def running(qtbot, window):
    """Start the window's source and wait for its first scored result; returns the (time, result) list that
    keeps filling."""
    seen = []
    window.bridge.sig_result.connect(lambda result, poses: seen.append((time.monotonic(), result)))
    window.start_source(window.settings.source)
    qtbot.waitUntil(lambda: any(r.state in SCORED_STATES for _, r in seen), timeout=TIMEOUT_MS)
    return seen


def select(window, name):
    window.label_editor.tree.setCurrentItem(window.label_editor.tree.find(name))


def test_the_last_two_seconds_become_an_example_that_the_next_results_use(qtbot, window, example_folder):
    seen = running(qtbot, window)
    select(window, "clap")
    panel = window.example_panel
    assert panel.label == "clap" and panel.last_button.isEnabled()
    assert window.label_editor.tree.isColumnHidden(EXAMPLES), "no label has examples yet: names keep the room"
    qtbot.mouseClick(panel.last_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.label_editor.tree.find("clap").text(EXAMPLES) == "1", timeout=5000)
    assert ExampleLibrary(example_folder).counts() == {"clap": 1}
    assert panel.list.count() == 1 and not window.label_editor.tree.isColumnHidden(EXAMPLES)

    def uses_example(result):
        return result.state in SCORED_STATES and any(
            entry["label"] == "clap" and entry["evidence"] != "text" for entry in result.top)
    qtbot.waitUntil(lambda: any(uses_example(r) for _, r in seen), timeout=5000)
    others = [entry for _, r in seen if uses_example(r) for entry in r.top if entry["label"] != "clap"]
    assert all(entry["evidence"] == "text" for entry in others), "labels without examples keep their text score"

    panel.list.setCurrentRow(0)  # viewing it draws its keyframes
    qtbot.waitUntil(lambda: "keyframes" in panel.status.text(), timeout=5000)
    assert len(panel.keyframes.keyframes) > 0
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.label_editor.tree.find("clap").text(EXAMPLES) == "", timeout=5000)
    assert ExampleLibrary(example_folder).counts() == {}
    assert window.label_editor.tree.isColumnHidden(EXAMPLES)


def test_a_countdown_recording_is_saved_and_a_rename_keeps_it(qtbot, window, example_folder):
    running(qtbot, window)
    select(window, "kick")
    panel = window.example_panel
    panel.countdown.setValue(0)
    panel.duration.setValue(1)
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert panel.recording
    qtbot.waitUntil(lambda: window.label_editor.tree.find("kick").text(EXAMPLES) == "1", timeout=8000)
    assert "Saved" in panel.status.text()
    item = window.label_editor.tree.find("kick")
    item.setText(0, "kick forward")  # a rename in the table
    qtbot.waitUntil(lambda: ExampleLibrary(example_folder).counts() == {"kick forward": 1}, timeout=5000)
    qtbot.waitUntil(lambda: window.label_editor.tree.find("kick forward").text(EXAMPLES) == "1", timeout=5000)


def test_without_a_source_nothing_can_be_taken(qtbot, window):
    select(window, "clap")
    assert not window.example_panel.last_button.isEnabled() and not window.example_panel.record_button.isEnabled()
    assert "Start a source first" in window.example_panel.record_button.toolTip()
