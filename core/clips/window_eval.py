"""Scoring the clips of a folder as the live app sees them: every window at the live stride, cut by the ring
buffer and scored by the live scorer, so calibration can be measured on live-like windows, not only whole clips."""

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.clips.clip_eval import ClipEvalReport, calibration_summary, live_temperature, load_timed_sequence
from core.live.ring_buffer import RingBuffer, Window
from core.live.scorer import SCORED_STATES, LiveScorer, ScorerConfig
from core.metrics import topk_accuracy

log = logging.getLogger(__name__)


@dataclass
class WindowEvalReport:
    """Scores of the live windows the scorer scored ("ok"), W of them: truth (W,) indexes labels, scores (W, L),
    files (W,) the clip each came from. `cut` counts every window cut; `states` counts them by scorer state."""

    labels: list[str]
    truth: np.ndarray
    scores: np.ndarray
    files: list[str]
    cut: int
    states: dict[str, int]
    temperature: float
    window_seconds: float
    stride_seconds: float
    skipped: list[str] = field(default_factory=list)  # clips that could not be read again, with the reason

    @property
    def n(self) -> int:
        return len(self.truth)

    def to_dict(self) -> dict:
        """calibration_summary of the scored windows ("n" of them) plus "top1", "windows_cut", "states",
        "window_seconds", "stride_seconds" and "skipped"."""
        top1 = topk_accuracy(self.scores, self.truth, 1) if self.n else None
        return {**calibration_summary(self.scores, self.truth, self.temperature), "top1": top1,
                "windows_cut": self.cut, "states": dict(self.states), "window_seconds": self.window_seconds,
                "stride_seconds": self.stride_seconds, "skipped": list(self.skipped)}


def window_end_times(timestamps: np.ndarray, seconds: float, stride: float) -> np.ndarray:
    """(K,) times at which a window of one clip is cut: `seconds` after its first frame, then every `stride` up
    to its last frame, so each window holds `seconds` of the clip. A shorter clip gives one window, at its last
    frame (as the live app scores the end of a file). timestamps (T,) seconds."""
    start, end = float(timestamps[0]), float(timestamps[-1])
    if end - start < seconds:
        return np.array([end])
    count = int(np.floor((end - start - seconds) / stride + 1e-9)) + 1
    return start + seconds + stride * np.arange(count)


def live_windows(joints: np.ndarray, valid: np.ndarray, timestamps: np.ndarray, seconds: float, stride: float,
                 num_frames: int) -> list[Window]:
    """A clip's frames (T, M, 25, 3), (T, M, 25) at times (T,) fed to a ring buffer one by one, as the live
    engine does; at each window_end_times time the buffer's window (the last `seconds`, resampled by time to
    `num_frames`) is cut, on the first frame at or after that time."""
    buffer = RingBuffer(len(timestamps) + 1)
    ends = list(window_end_times(timestamps, seconds, stride))
    windows = []
    for frame_joints, frame_valid, timestamp in zip(joints, valid, timestamps):
        buffer.append(frame_joints[:buffer.max_bodies], frame_valid[:buffer.max_bodies], float(timestamp))
        while ends and timestamp >= ends[0] - 1e-9:
            windows.append(buffer.window(seconds, num_frames))
            ends.pop(0)
    return windows


def evaluate_windows(folder: str | Path, report: ClipEvalReport, recognizer, model_complexity: int = 1,
                     config: ScorerConfig = ScorerConfig()) -> WindowEvalReport:
    """Every live window (config.window_seconds every config.stride_seconds) of every clip `report` scored,
    against the same labels, through LiveScorer.score_window: the live normalisation, the checks that give
    "no person" or "still" (those windows are counted, not scored) and the live temperature."""
    scorer = LiveScorer(recognizer, report.label_specs, config)
    names = list(scorer.label_set.names)
    assert names == list(report.labels), f"window labels {names} differ from the clips' {report.labels}"
    rows, truth, files, skipped, states = [], [], [], [], Counter()
    for number, (file, target) in enumerate(zip(report.files, report.truth), start=1):
        try:
            joints, valid, timestamps, _ = load_timed_sequence(Path(folder) / file, model_complexity)
        except (ValueError, OSError) as error:  # it was read a moment ago: changed or removed since
            skipped.append(f"{file}: {error}")
            continue
        windows = live_windows(joints, valid, timestamps, config.window_seconds, config.stride_seconds,
                               scorer.preprocess_config.num_frames)
        log.info("windows of clip %d/%d: %s (%d)", number, report.n, file, len(windows))
        for window in windows:
            result = scorer.score_window(window)
            states[result.state] += 1
            if result.state in SCORED_STATES:
                rows.append([result.scores[name] for name in names])
                truth.append(int(target))
                files.append(file)
    scores = np.asarray(rows, np.float64).reshape(len(rows), len(names))
    return WindowEvalReport(names, np.asarray(truth, np.int64), scores, files, sum(states.values()), dict(states),
                            live_temperature(recognizer, len(report.labels), config), config.window_seconds,
                            config.stride_seconds, skipped)
