"""Status bar fields: source FPS, pose ms, scorer ms, CPU/GPU load, model name, label-set version, state."""

import os
import time

from PyQt6.QtWidgets import QLabel, QStatusBar

STATE_TEXT = {"ok": "moving", "unsure": "unsure", "no person": "no person", "still": "still",
              "no labels": "no labels"}
STATE_STYLE = {"ok": "color: #006e3a;", "unsure": "color: #8a5a00;", "no person": "color: #8a5a00;",
               "still": "color: #8a5a00;", "no labels": "color: #8a5a00;"}


class CpuMeter:
    """This process's CPU use in % of one core since the previous call (no psutil needed)."""

    def __init__(self):
        self._last = (time.monotonic(), time.process_time())

    def percent(self) -> float:
        now = (time.monotonic(), time.process_time())
        wall, cpu = now[0] - self._last[0], now[1] - self._last[1]
        self._last = now
        return 100.0 * cpu / wall if wall > 0 else 0.0


class StatusPanel:
    """Owns one QLabel per field in `status_bar`; each setter only changes text."""

    FIELDS = ("state", "fps", "pose", "scorer", "device", "model", "labels")
    TIPS = {"state": "What the scorer saw in the newest window", "fps": "Frames per second read from the source",
            "pose": "Pose estimation time per frame", "scorer": "Preprocess + encode + score time per window; "
            "e2e = capture to result", "device": "Where the model runs and this process's CPU use "
            "(100 % = one core)", "model": "Model folder", "labels": "Label set version the newest result used"}

    def __init__(self, status_bar: QStatusBar):
        self.fields: dict[str, QLabel] = {}
        for name in self.FIELDS:
            label = QLabel("–", toolTip=self.TIPS[name])
            label.setMinimumWidth(60)
            status_bar.addPermanentWidget(label)
            self.fields[name] = label
        self.cpu = CpuMeter()
        self.cpu_count = os.cpu_count() or 1
        self.device = "–"

    def text(self, name: str) -> str:
        return self.fields[name].text()

    def set_source(self, fps: float | None, pose_ms: float | None):
        self.fields["fps"].setText(f"{fps:.1f} FPS" if fps else "– FPS")
        self.fields["pose"].setText(f"pose {pose_ms:.0f} ms" if pose_ms else "pose –")

    def set_result(self, result):
        self.fields["state"].setText(STATE_TEXT.get(result.state, result.state))
        self.fields["state"].setStyleSheet(STATE_STYLE.get(result.state, ""))
        scorer_ms = result.preprocess_ms + result.encode_ms + result.score_ms
        self.fields["scorer"].setText(f"scorer {scorer_ms:.0f} ms · e2e {result.e2e_ms:.0f} ms")
        self.fields["labels"].setText(f"labels v{result.labels_version} ({len(result.labels)})")

    def set_model(self, name: str, device: str):
        self.fields["model"].setText(f"model {name}")
        self.device = device

    def clear_model(self, text: str = "no model"):
        self.fields["model"].setText(text)
        self.device = "–"

    def tick(self):
        """Once a second: the CPU meter."""
        where = f"on {self.device} · " if self.device != "–" else ""
        self.fields["device"].setText(f"{where}process CPU {self.cpu.percent():.0f} %")
