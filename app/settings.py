"""App settings: one dataclass, read from and written to QSettings; the command line overrides it."""

import json
import logging
from dataclasses import dataclass, field, fields

from PyQt6.QtCore import QByteArray, QSettings

from core.live.scorer import ScorerConfig
from core.live.sources.pose_models import DEFAULT_POSE_MODEL
from core.paths import DEFAULT_MODEL_DIR
from core.readers.label_presets import load_preset
from core.readers.labels import LabelSpec

log = logging.getLogger(__name__)

ORGANIZATION = "smie-live"
APPLICATION = "smie-live"
DEFAULT_PRESET = "ntu60"  # the label list of a first start: the classic NTU RGB+D 60 action classes
OPTIONAL_NUMBERS = ("unsure_below",)  # settings where None means "the model's own value"
MODEL_CHOICE = "model"  # how such a None is stored


def _default_labels() -> list[LabelSpec]:
    return load_preset(DEFAULT_PRESET)


@dataclass
class AppSettings:
    source: str = "0"  # camera index, video / .skeleton / .npz file, "kinect2" or "azure"
    model_dir: str = str(DEFAULT_MODEL_DIR)  # trained model folder (core.model.checkpoint)
    pose_model: str = DEFAULT_POSE_MODEL  # cameras and videos: "lite", "full" or a PoseLandmarker .task file
    people: int = 2  # people the pose model looks for per frame: 2 for two-person actions, 1 is faster
    labels: list[LabelSpec] = field(default_factory=_default_labels)  # candidate classes, in list order
    window_seconds: float = ScorerConfig.window_seconds  # history each prediction looks at
    stride_seconds: float = ScorerConfig.stride_seconds  # a new prediction this often
    smoothing: float = 0.5  # weight of the previous probabilities: steadier bars at the cost of some lag
    temperature: float = ScorerConfig.temperature  # times the model's fitted softmax temperature: >1 flatter
    min_coverage: float = ScorerConfig.min_coverage  # below this share of frames with a body: "no person"
    min_motion: float = ScorerConfig.min_motion  # metres of joint spread below which a person is "still"
    # (smoothed) top probability under this: "unsure: A or B?"; None: the threshold chosen for the model
    unsure_below: float | None = ScorerConfig.unsure_below
    top_k: int = ScorerConfig.top_k  # bars and timeline curves
    recording_folder: str = ""  # empty: ~/smie-recordings
    example_folder: str = ""  # the labels' recorded examples; empty: ~/smie-examples
    geometry: bytes = b""  # QMainWindow.saveGeometry()
    window_state: bytes = b""  # QMainWindow.saveState(): docks and toolbars

    def scorer_config(self) -> ScorerConfig:
        return ScorerConfig(window_seconds=self.window_seconds, stride_seconds=self.stride_seconds,
                            temperature=self.temperature, top_k=self.top_k, smoothing=self.smoothing,
                            min_coverage=self.min_coverage, min_motion=self.min_motion,
                            unsure_below=self.unsure_below)


def open_store(path: str | None = None) -> QSettings:
    """The user's settings, or an INI file at `path` (tests, portable installs)."""
    if path:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def _labels_to_json(labels: list[LabelSpec]) -> str:
    return json.dumps([{"name": label.name, "description": label.description} for label in labels])


def _labels_from_json(text: str) -> list[LabelSpec]:
    return [LabelSpec(item["name"], item.get("description")) for item in json.loads(text)]


def load_settings(store: QSettings) -> AppSettings:
    """Stored values over the defaults; a value that cannot be read keeps its default (and is logged)."""
    settings = AppSettings()
    for spec in fields(AppSettings):
        if not store.contains(spec.name):
            continue
        raw = store.value(spec.name)
        try:
            if spec.name == "labels":
                value = _labels_from_json(str(raw))
            elif spec.name in OPTIONAL_NUMBERS:
                value = None if str(raw).strip().lower() in ("", MODEL_CHOICE) else float(raw)
            elif spec.type in (bytes, "bytes"):
                value = bytes(raw) if isinstance(raw, QByteArray) else bytes(QByteArray(raw))
            else:
                kind = {"str": str, "float": float, "int": int}.get(spec.type, spec.type)
                value = kind(raw)
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            log.warning("setting %s=%r in %s is unreadable (%s); using the default", spec.name, raw,
                        store.fileName(), error)
            continue
        setattr(settings, spec.name, value)
    return settings


def save_settings(store: QSettings, settings: AppSettings):
    for spec in fields(AppSettings):
        value = getattr(settings, spec.name)
        if spec.name == "labels":
            value = _labels_to_json(value)
        elif spec.name in OPTIONAL_NUMBERS and value is None:
            value = MODEL_CHOICE
        elif isinstance(value, bytes):
            value = QByteArray(value)
        store.setValue(spec.name, value)
    store.sync()
