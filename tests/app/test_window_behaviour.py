"""The window around the end of a replayed file: the end banner, label edits after the end, a recording caught
by the end, and evaluating a folder whose clips all carry one label."""

import numpy as np
import pytest
from io_fixtures import moving_body, write_waving_skeleton

from app.main_window import MainWindow
from app.settings import AppSettings, open_store
from core.clips.clip_folder import ClipEntry, ClipFolder
from core.live.scorer import SCORED_STATES
from core.readers.labels import LabelSpec
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip

LABELS = ["wave the right hand", "clap", "kick", "sit down", "jump", "bow"]
START_TIMEOUT_MS = 20000  # model load on a loaded 2-core test machine
EVALUATE_TIMEOUT_MS = 30000  # a folder evaluation loads its own model and embeds the labels
CLIP_SECONDS = 2.5  # long enough for one scored window (1.2 s of coverage), short enough to reach its end soon


@pytest.fixture
def short_file(tmp_path):
    return write_waving_skeleton(tmp_path / "S001C001P001R001A023.skeleton", seconds=CLIP_SECONDS)


@pytest.fixture
def window(qtbot, model_dir, short_file, settings_file, tmp_path, monkeypatch):
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))  # no test touches the user's embedding cache
    settings = AppSettings(source=str(short_file), model_dir=str(model_dir), labels=[LabelSpec(n) for n in LABELS],
                           smoothing=0.0, recording_folder=str(tmp_path / "recordings"))
    window = MainWindow(settings, store=open_store(settings_file))
    qtbot.addWidget(window)  # closed at teardown: closeEvent stops the engine threads
    window.show()
    return window


def results_of(window) -> list:
    seen = []
    window.bridge.sig_result.connect(lambda result, poses: seen.append(result))
    return seen


def play_to_the_end(qtbot, window) -> list:
    """Start the window's source and wait for it to end; returns the results seen so far (and later)."""
    seen = results_of(window)
    with qtbot.waitSignal(window.bridge.sig_stopped, timeout=START_TIMEOUT_MS + 5000,
                          check_params_cb=lambda reason: reason == "ended"):
        window.start_source(window.settings.source)
    assert any(r.state in SCORED_STATES for r in seen), "the clip was scored before it ended"
    return seen


def banner_button(window, text: str):
    return next(button for button in window.banner._buttons if button.text() == text)


def test_replay_hides_the_finished_banner(qtbot, window):
    play_to_the_end(qtbot, window)
    assert window.banner.message().startswith(f"Finished replaying {window.settings.source.split('/')[-1]}")
    with qtbot.waitSignal(window.bridge.sig_started, timeout=START_TIMEOUT_MS):
        banner_button(window, "Replay").click()
        assert window.banner.message() == "", "the banner goes as soon as Replay is pressed"
    qtbot.wait(300)
    assert window.banner.message() == "" and window.banner.isHidden(), "and stays away while the file replays"


def test_label_edits_after_the_end_rescore_the_last_window(qtbot, window):
    seen = play_to_the_end(qtbot, window)
    ended_at = max(r.timestamp for r in seen)
    assert window.label_editor.remove_label("kick") and window.label_editor.remove_label("clap")
    assert window.label_editor.add_label("touch the head")
    expected = ["wave the right hand", "sit down", "jump", "bow", "touch the head"]
    qtbot.waitUntil(lambda: any(r.labels == expected and r.state in SCORED_STATES for r in seen), timeout=10000)
    rescored = next(r for r in seen if r.labels == expected)
    assert rescored.timestamp == pytest.approx(ended_at), "the file's last window, scored again"
    qtbot.waitUntil(lambda: window.label_editor.score_text("touch the head") != "", timeout=3000)
    shown = [label for label, _ in window.bars.top]
    assert shown and set(shown) <= set(expected), f"the bars show only labels in the list, got {shown}"
    assert "kick" not in window.timeline.columns and "clap" not in window.timeline.columns
    assert window.status.text("labels").endswith(f"({len(expected)})"), window.status.text("labels")
    assert "Label edits re-score" in window.banner.message()


def test_countdown_that_runs_out_after_the_end_records_nothing_and_says_why(qtbot, window):
    panel = window.recording
    seen = results_of(window)
    window.start_source(window.settings.source)
    qtbot.waitUntil(lambda: any(r.state in SCORED_STATES for r in seen), timeout=START_TIMEOUT_MS)
    panel.countdown.setValue(3)  # outlasts the rest of the clip
    with qtbot.waitSignal(window.bridge.sig_stopped, timeout=5000):
        panel.start_button.click()
    assert panel.status.text().startswith("Recording “"), "the countdown was still running at the end"
    qtbot.waitUntil(lambda: panel.status.text() == "Nothing recorded: the source ended", timeout=5000)
    assert not panel.recording and panel.start_button.text() == "● Start" and not panel.start_button.isEnabled()


def test_recording_that_opens_as_the_source_ends_finishes_by_itself(qtbot, window, tmp_path):
    """The clip asked for just before the last frame opens on the recorder's thread after the window heard of
    the end (the panel does not show it recording yet): it still ends, with no frame and the reason."""
    panel = window.recording
    saved = []
    window.recorder.sig_saved.connect(lambda *args: saved.append(args))
    window.recorder.start(tmp_path / "clips", "wave the right hand", "replay")
    window.bridge.sig_stopped.emit("ended")  # as the bridge does when the file ends
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    assert saved == [(None, "the source ended")]
    qtbot.waitUntil(lambda: panel.status.text() == "Nothing recorded: the source ended", timeout=2000)
    qtbot.wait(1100)  # a stats tick: the panel must not go back to "Recording: 0 frames"
    assert panel.status.text() == "Nothing recorded: the source ended" and not panel.recording


def one_label_folder(path) -> str:
    folder = ClipFolder(path)
    folder.path.mkdir(parents=True)
    write_ntu_skeleton(folder.clip_path("wave1.skeleton"),
                       Clip(joints=moving_body(60, seed=1, wave=0.3)[:, None], valid=np.ones((60, 1, 25), bool)))
    folder.upsert(ClipEntry("wave1.skeleton", "wave the right hand"))
    return str(folder.path)


def test_evaluating_a_one_label_folder_warns_and_offers_the_label_list(qtbot, window, tmp_path):
    panel = window.recording
    panel.set_folder(one_label_folder(tmp_path / "one_label"))
    with qtbot.waitSignal(window.bridge.sig_started, timeout=START_TIMEOUT_MS):
        window.start_source(window.settings.source)
    with qtbot.waitSignal(window.recorder.sig_evaluated, timeout=EVALUATE_TIMEOUT_MS) as report:
        panel.evaluate_button.click()
    assert report.args[0]["warnings"] and report.args[0]["labels"] == ["wave the right hand"]
    assert panel.status.text() == "Top-1 100 %, top-5 100 % over 1 clip and 1 label"
    assert panel.warning.isVisible() and "top-1 is trivial with fewer than two candidate labels" in panel.warning.text()
    assert f"adds the {len(LABELS)} labels of the list" in panel.warning.text() and panel.retry_button.isVisible()
    assert panel.clip_results.isVisible()
    assert panel.clip_results.toPlainText() == "✓ wave1.skeleton: wave the right hand → wave the right hand"
    with qtbot.waitSignal(window.recorder.sig_evaluated, timeout=EVALUATE_TIMEOUT_MS) as report:
        panel.retry_button.click()
    assert report.args[0]["labels"] == LABELS and report.args[0]["warnings"] == []
    assert panel.status.text().endswith(f"over 1 clip and {len(LABELS)} labels") and panel.with_label_list.isChecked()
    assert not panel.warning.isVisible() and not panel.retry_button.isVisible()
    predicted = report.args[0]["clips"][0]["predicted"]
    assert panel.clip_results.toPlainText().endswith(f"→ {predicted}") and predicted in LABELS
