"""The whole window on a replayed .skeleton clip with a real (random) model: predictions, charts, label edits,
event-loop stalls, errors as banners, persisted settings, the command line and its screenshot mode."""

import time

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QImage

from app.engine_bridge import EngineBridge
from app.main import main
from app.main_window import MainWindow
from app.settings import AppSettings, load_settings, open_store
from core.live.scorer import SCORED_STATES, LiveResult
from core.live.sources.base import Frame
from core.model.text import TextEncoder
from core.readers.labels import LabelSpec
from core.readers.ntu import read_ntu_skeleton

LABELS = ["wave the right hand", "clap", "kick", "sit down"]
FIRST_RESULT_TIMEOUT_MS = 20000  # model load + 1.2 s of clip; generous for a loaded 2-core test machine


@pytest.fixture
def text_cache(tmp_path, monkeypatch):
    """An empty embedding cache: every label is embedded by the text model, as on a first start."""
    monkeypatch.setenv("SMIE_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def make_window(qtbot, model_dir, waving_file, settings_file, text_cache):
    def make(**overrides):
        values = dict(source=str(waving_file), model_dir=str(model_dir), labels=[LabelSpec(n) for n in LABELS],
                      smoothing=0.0)
        values.update(overrides)
        window = MainWindow(AppSettings(**values), store=open_store(settings_file))
        qtbot.addWidget(window)  # closed at teardown: closeEvent stops the engine threads
        window.show()
        return window
    return make


def wait_result(qtbot, window, check=lambda result: result.state in SCORED_STATES, timeout=FIRST_RESULT_TIMEOUT_MS):
    """The first result for which check(result) holds."""
    seen = []
    window.bridge.sig_result.connect(lambda result, poses: seen.append(result))
    qtbot.waitUntil(lambda: any(check(r) for r in seen), timeout=timeout)
    return next(r for r in seen if check(r))


def test_replayed_clip_gives_predictions_and_updates_every_view(qtbot, make_window):
    window = make_window()
    window.start_source(window.settings.source)
    first = wait_result(qtbot, window)
    assert first.labels == LABELS and len(first.top) == 4
    qtbot.waitUntil(lambda: window.timeline.count >= 3, timeout=5000)
    qtbot.wait(100)  # one draw tick
    shown = [label for label, _ in window.bars.top]
    probs = [prob for _, prob in window.bars.top]
    assert len(shown) == 4 and set(shown) == set(LABELS) and probs == sorted(probs, reverse=True)
    x, y = window.timeline.curves[0].getData()
    assert x is not None and np.isfinite(y).sum() >= 2, "the timeline draws the top label's history"
    assert len(window.attention.curve.getData()[1]) == 50 and len(window.attention.thumbnail_frames) > 0
    assert window.video.mode() == "skeleton" and len(window.video.skeleton_items[0].pos) == 25
    assert window.label_editor.score_text("clap") != ""
    assert window.status.text("labels").startswith("labels v") and "FPS" in window.status.text("fps")


def test_event_loop_never_stalls_while_replaying(qtbot, make_window):
    """A 10 ms timer records its gaps while frames and results stream in: none may exceed 50 ms.

    Up to three 2-second windows are measured and the best one counts: a stall the app causes shows in every
    window, a burst of load on a shared 2-core test machine (where the host's speed varies up to 2x over minutes)
    rarely hits all three."""
    window = make_window()
    window.start_source(window.settings.source)
    wait_result(qtbot, window)
    measured = []
    for _ in range(3):
        gaps, last = [], [time.perf_counter()]

        def tick():
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer(interval=10, timerType=Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        start_count = window.timeline.count
        last[0] = time.perf_counter()
        timer.start()
        qtbot.wait(2000)
        timer.stop()
        results = window.timeline.count - start_count
        measured.append(max(gaps))
        print(f"\nstall test: {len(gaps)} ticks, max gap {1e3 * max(gaps):.1f} ms, "
              f"p99 {1e3 * np.percentile(gaps, 99):.1f} ms, {results} results in 2 s")
        assert results >= 5, "results kept arriving during the measurement"
        if max(gaps) < 0.050:
            break
    assert min(measured) < 0.050, f"event loop stalled {1e3 * min(measured):.0f} ms in every window"


def test_new_label_shows_a_score_within_one_second(qtbot, make_window):
    """As on a second start: the list's labels are in the embedding cache, the new one is not."""
    TextEncoder().embed(LABELS)  # fills the (temporary) cache the window's recognizer will read
    window = make_window()
    window.start_source(window.settings.source)
    wait_result(qtbot, window)
    new = "touch the left knee with the right hand"
    qtbot.keyClicks(window.label_editor.name_edit, new)
    start = time.perf_counter()
    qtbot.keyClick(window.label_editor.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.label_editor.score_text(new) != "", timeout=3000)
    latency = time.perf_counter() - start
    print(f"\nnew label scored after {1e3 * latency:.0f} ms")
    assert latency < 1.0, f"the new label took {latency:.2f} s to get a score"


def test_removing_a_label_updates_the_chart_and_the_scorer(qtbot, make_window):
    window = make_window()
    window.start_source(window.settings.source)
    wait_result(qtbot, window)
    assert window.label_editor.remove_label("kick")
    result = wait_result(qtbot, window, lambda r: r.state in SCORED_STATES and "kick" not in r.labels, timeout=3000)
    assert result.labels == ["wave the right hand", "clap", "sit down"]
    received = []
    window.bridge.sig_result.connect(lambda r, poses: received.append(r))
    with qtbot.waitSignal(window.bridge.sig_stopped, timeout=5000):
        window.bridge.stop()
    # The bars show the newest scored result.
    result = next((r for r in reversed(received) if r.state in SCORED_STATES), result)
    qtbot.wait(100)
    assert "kick" not in window.timeline.columns and "kick" not in window.timeline.shown
    assert [label for label, _ in window.bars.top] == [item["label"] for item in result.top]
    assert window.label_editor.names() == result.labels


def test_missing_model_shows_a_banner_and_the_window_stays_usable(qtbot, make_window, tmp_path, model_dir):
    window = make_window(model_dir=str(tmp_path / "no-model-here"))
    window.start_source(window.settings.source)
    qtbot.waitUntil(lambda: "Model not loaded" in window.banner.message(), timeout=10000)
    assert "no-model-here" in window.banner.message() and window.banner.button_texts() == ["Choose model folder…"]
    assert window.status.text("model") == "no model"
    assert window.label_editor.add_label("jump"), "the label editor still works"
    window.set_model_dir(model_dir)  # what "Choose model folder…" does after the dialog
    result = wait_result(qtbot, window)
    assert "jump" in result.labels and window.banner.message() == ""


def test_corrupt_skeleton_file_and_missing_camera_show_banners(qtbot, make_window, tmp_path):
    corrupt = tmp_path / "broken.skeleton"
    corrupt.write_text("3\n1\nthis is not a body line\n")
    window = make_window(source=str(corrupt))
    window.start_source(str(corrupt))
    qtbot.waitUntil(lambda: "broken.skeleton" in window.banner.message(), timeout=15000)
    assert window.banner.level == "error" and "Open video…" in window.banner.button_texts()
    window.start_source("7")  # a camera index with no camera behind it
    qtbot.waitUntil(lambda: window.banner.message().startswith("No camera"), timeout=15000)
    assert {"Open video…", "Open skeleton file…", "Use Kinect"} <= set(window.banner.button_texts())
    assert window.isVisible()


def test_settings_persist_across_windows(qtbot, make_window, settings_file):
    window = make_window()
    window.label_editor.add_label("bow", "the upper body bends forward")
    window.tuning.boxes["stride_seconds"].setValue(0.4)
    window.tuning.boxes["smoothing"].setValue(0.25)
    window.close()
    stored = load_settings(open_store(settings_file))
    assert stored.labels[-1] == LabelSpec("bow", "the upper body bends forward")
    assert stored.stride_seconds == 0.4 and stored.smoothing == 0.25 and stored.geometry
    again = MainWindow(stored, store=None)
    qtbot.addWidget(again)
    assert again.label_editor.labels() == stored.labels and again.tuning.boxes["smoothing"].value() == 0.25


def test_command_line_screenshot_after_the_first_prediction(qtbot, model_dir, waving_file, settings_file, tmp_path,
                                                            text_cache):
    png = tmp_path / "shot.png"
    start = time.perf_counter()
    code = main(["--settings", str(settings_file), "--source", str(waving_file), "--model", str(model_dir),
                 "--labels", "wave the right hand,clap", "--screenshot", str(png), "--quit-after", "25"])
    elapsed = time.perf_counter() - start
    assert code == 0 and png.is_file()
    image = QImage(str(png))
    assert image.width() >= 800 and image.height() >= 500
    assert elapsed < 25, "the screenshot came after the first prediction, not at the time limit"
    assert not settings_file.exists() or "screenshot" not in settings_file.read_text(), "settings left alone"


def test_smoke_window_opens_and_quits_after_one_second(qtbot, model_dir, waving_file, settings_file, text_cache):
    start = time.perf_counter()
    code = main(["--settings", str(settings_file), "--source", str(waving_file), "--model", str(model_dir),
                 "--quit-after", "1"])
    assert code == 0 and time.perf_counter() - start < 8
    assert load_settings(open_store(settings_file)).source == str(waving_file), "a normal run saves its settings"


def test_record_two_clips_then_evaluate_the_folder(qtbot, make_window, tmp_path):
    window = make_window()
    panel = window.recording
    assert not panel.start_button.isEnabled() and "Start a source first" in panel.start_button.toolTip()
    panel.set_folder(tmp_path / "clips")
    window.start_source(window.settings.source)
    wait_result(qtbot, window)
    assert panel.start_button.isEnabled() and panel.evaluate_button.isEnabled()
    saved = []
    window.recorder.sig_saved.connect(saved.append)
    for label, countdown in (("wave the right hand", 1), ("clap", 0)):
        panel.label_combo.setCurrentText(label)
        panel.countdown.setValue(countdown)
        with qtbot.waitSignal(window.recorder.sig_recording, timeout=3000):
            panel.start_button.click()
            if countdown:
                assert "in 1 s" in panel.status.text()
        qtbot.wait(400)
        with qtbot.waitSignal(window.recorder.sig_saved, timeout=3000):
            panel.start_button.click()  # now labelled Stop
    assert [entry.label for entry in saved] == ["wave the right hand", "clap"]
    assert all(entry.frames >= 5 for entry in saved) and panel.clip_count.text() == "2 clips"
    clip = read_ntu_skeleton(tmp_path / "clips" / saved[0].file)
    assert clip.num_frames == saved[0].frames and clip.valid.any()
    with qtbot.waitSignal(window.recorder.sig_evaluated, timeout=30000) as report:  # loads a model
        panel.evaluate_button.click()
    assert report.args[0]["n"] == 2 and sorted(report.args[0]["labels"]) == ["clap", "wave the right hand"]
    assert panel.status.text().startswith("Top-1 ") and "over 2 clips" in panel.status.text()


def test_bridge_hands_the_gui_only_the_newest_pending_result_and_frame(qtbot):
    """Worker callbacks faster than the GUI: one queued wake-up, carrying the newest item, never a backlog."""
    import threading

    bridge = EngineBridge()
    results, frames = [], []
    bridge.sig_result.connect(lambda result, poses: results.append(result.timestamp))
    bridge.sig_frame.connect(lambda frame: frames.append(frame.index))

    def produce():  # as the scorer and capture threads would, while the GUI thread is busy elsewhere
        for i in range(100):
            bridge._on_result(LiveResult(timestamp=float(i), state="ok"))
            bridge._on_frame(Frame(joints=np.zeros((0, 25, 3), np.float32), valid=np.zeros((0, 25), bool),
                                   timestamp=i / 30, index=i))

    worker = threading.Thread(target=produce)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(results and frames), timeout=2000)
    qtbot.wait(50)
    assert results == [99.0] and frames == [99]
    assert bridge.stats()["fps"] is not None, "frame arrivals are counted even when frames are dropped"
    assert bridge.shutdown()
