"""Scoring the clips of a folder as the live app sees them: every window at the live stride, cut by the ring
buffer and scored by the live scorer, so calibration can be measured on live-like windows, not only whole clips."""

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.clips.clip_eval import ClipEvalReport, calibration_summary, live_temperature, load_timed_sequence
from core.live.clip_windows import live_windows
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


def evaluate_windows(folder: str | Path, report: ClipEvalReport, recognizer, pose_model: str | None = None,
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
            joints, valid, timestamps, _ = load_timed_sequence(Path(folder) / file, pose_model)
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
