"""Scoring a folder of labelled clips (skeleton files and videos) with a recognizer: top-1/5, per class, confusion,
and how far the live app's probabilities for them can be trusted (calibration)."""

import csv
import io
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.clips.clip_folder import (
    LABELS_CSV_NAME,
    MANIFEST_NAME,
    STATUS_RECORDING,
    ClipFolder,
    ClipFolderError,
    open_clip_folder,
)
from core.clips.video_pose import VIDEO_SUFFIXES, video_skeleton
from core.live.recognizer import ENCODE_BATCH
from core.live.scorer import ScorerConfig
from core.live.sources import SourceError
from core.live.sources.replay import read_replay_file
from core.metrics import calibration_metrics, confusion_matrix, per_class_accuracy, topk_accuracy
from core.readers.label_presets import lookup_key, readable_name
from core.readers.labels import LabelSpec
from core.skeleton.preprocess import PreprocessError, normalize_sequence

log = logging.getLogger(__name__)

SKELETON_SUFFIXES = (".skeleton", ".npz")
CLIP_SUFFIXES = SKELETON_SUFFIXES + VIDEO_SUFFIXES
TOP5 = 5


@dataclass
class LabelledFile:
    file: str  # relative to the folder
    label: str


@dataclass
class Skipped:
    file: str
    reason: str


@dataclass
class ClipEvalReport:
    """Scores of every usable clip against the candidate labels. truth indexes labels; scores (N, L)."""

    labels: list[str]
    files: list[str]
    truth: np.ndarray
    scores: np.ndarray
    skipped: list[Skipped] = field(default_factory=list)
    recovered: list = field(default_factory=list)  # RecoveredClip items from opening the folder
    temperature: float = 1.0  # the live app's softmax temperature: probabilities are softmax(scores / temperature)
    label_specs: list = field(default_factory=list)  # the LabelSpecs the scores were made against
    features: np.ndarray | None = None  # (N, F) encoder features of the scored clips (few-shot episodes use them)
    # (N, L, K) agreement of each clip with each label's attributes and the (K,) weights: scores hold their
    # product; few-shot episodes redo it with the attributes each label's examples show (None: no term)
    attribute_agreements: np.ndarray | None = None
    attribute_vector: np.ndarray | None = None

    @property
    def warnings(self) -> list[str]:
        """Why the accuracies may mean less than they seem: too few candidates make top-1/top-5 trivial."""
        count = len(self.labels)
        if not self.n:
            return []
        if count < 2:
            return [f"top-1 is trivial with fewer than two candidate labels (here {count}): every clip counts as "
                    + "correct; score against more labels"]
        if count <= TOP5:
            return [f"top-5 is trivial with {TOP5} or fewer candidate labels (here {count}): every clip counts as "
                    + "correct"]
        return []

    @property
    def n(self) -> int:
        return len(self.files)

    @property
    def predicted(self) -> np.ndarray:
        return self.scores.argmax(axis=1) if self.n else np.zeros(0, np.int64)

    def topk(self, k: int) -> float:
        return topk_accuracy(self.scores, self.truth, k)

    def per_class(self) -> dict[str, float]:
        """Top-1 accuracy per label that has at least one clip."""
        accuracy = per_class_accuracy(self.predicted, self.truth, len(self.labels))
        return {name: float(a) for name, a in zip(self.labels, accuracy) if not math.isnan(a)}

    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.predicted, self.truth, len(self.labels))

    def clips(self) -> list[dict]:
        """Per scored clip: {"file", "label" (truth), "predicted" (top-1 label), "correct"}."""
        return [{"file": file, "label": self.labels[truth], "predicted": self.labels[predicted],
                 "correct": bool(truth == predicted)}
                for file, truth, predicted in zip(self.files, self.truth, self.predicted)]

    def calibration(self) -> dict:
        """calibration_summary of the clips' scores at the live temperature."""
        return calibration_summary(self.scores, self.truth, self.temperature)

    def to_dict(self) -> dict:
        """{"top1", "top5", "n", "per_class", "skipped", "labels", "recovered", "clips", "warnings", "calibration"};
        accuracies are fractions (None when no clip was scored)."""
        def fraction(value: float):
            return None if math.isnan(value) else value

        return {"top1": fraction(self.topk(1)), "top5": fraction(self.topk(TOP5)), "n": self.n,
                "per_class": self.per_class(), "skipped": [{"file": s.file, "reason": s.reason} for s in self.skipped],
                "labels": list(self.labels),
                "recovered": [{"file": r.file, "frames": r.frames, "action": r.action} for r in self.recovered],
                "clips": self.clips(), "warnings": self.warnings, "calibration": self.calibration()}


def live_temperature(recognizer, num_labels: int, config: ScorerConfig = ScorerConfig()) -> float:
    """The temperature the live scorer divides scores by for a list of num_labels: its factor times the model's
    fitted temperature for that many labels."""
    return config.temperature * recognizer.temperature_for(num_labels)


def calibration_summary(scores: np.ndarray, labels: np.ndarray, temperature: float) -> dict:
    """calibration_metrics of softmax(scores / temperature) as JSON values (None for NaN: no clip, or no wrong
    or no right answer), with "temperature" and "n"."""
    labels = np.asarray(labels)
    figures = calibration_metrics(scores, labels, temperature) if len(labels) else dict.fromkeys(
        ("ece", "nll", "brier", "auroc", "selective_top1_50", "mean_top_prob_wrong"), math.nan)
    return {**{key: None if math.isnan(value) else value for key, value in figures.items()},
            "temperature": float(temperature), "n": int(len(labels))}


def read_labels_csv(path: str | Path) -> list[LabelledFile]:
    """labels.csv with columns file,label -> rows. Raises ClipFolderError naming the file and line."""
    path = Path(path)
    try:
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
        if not {"file", "label"} <= set(reader.fieldnames or ()):
            raise ClipFolderError(f"{path}: needs the columns file,label (header is {reader.fieldnames})")
        rows = []
        for row in reader:
            file, label = (row["file"] or "").strip(), (row["label"] or "").strip()
            if not file:
                raise ClipFolderError(f"{path}:{reader.line_num}: column 'file' is empty")
            rows.append(LabelledFile(file, label))
        return rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ClipFolderError(f"{path}: cannot read: {error}") from error


def ground_truth(folder: ClipFolder) -> tuple[list[LabelledFile], list[Skipped]]:
    """Labelled clip files of a folder: manifest.csv rows first, then labels.csv rows for other files. Files with
    no label, labels naming missing files and unfinished recordings are returned as skipped."""
    found: dict[str, LabelledFile] = {}
    skipped: list[Skipped] = []
    for entry in folder.entries():
        if entry.status == STATUS_RECORDING:
            skipped.append(Skipped(entry.file, "still being recorded"))
            found[entry.file] = None
        else:
            found[entry.file] = LabelledFile(entry.file, entry.label)
    labels_csv = folder.path / LABELS_CSV_NAME
    if labels_csv.is_file():
        for row in read_labels_csv(labels_csv):
            found.setdefault(row.file, row)
    usable = []
    for file, item in found.items():
        if item is None:
            continue
        if not item.label:
            skipped.append(Skipped(file, "empty label"))
        elif not (folder.path / file).is_file():
            skipped.append(Skipped(file, "file not found"))
        else:
            usable.append(item)
    for path in sorted(folder.path.iterdir()):
        if path.suffix.lower() in CLIP_SUFFIXES and path.name not in found and not path.name.startswith("."):
            skipped.append(Skipped(path.name, f"no label in {MANIFEST_NAME} or {LABELS_CSV_NAME}"))
    return usable, skipped


def load_sequence(path: Path, pose_model: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Any clip file -> (joints (T, M, 25, 3), valid (T, M, 25), fps). Videos are pose-estimated with
    `pose_model` ("lite", "full" or a .task file; None: the default) and cached.
    Raises ValueError (SkeletonFileError, SourceError...) with the reason the file cannot be used."""
    joints, valid, _, fps = load_timed_sequence(path, pose_model)
    return joints, valid, fps


def load_timed_sequence(path: Path, pose_model: str | Path | None = None,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """load_sequence with each frame's time: (joints, valid, timestamps (T,) seconds, fps). A recording's own
    timestamps, else frame index / fps, as the replay source sends them."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        try:
            skeleton = video_skeleton(path, pose_model)
        except SourceError as error:
            raise ValueError(str(error)) from error
        if skeleton.frames_with_person == 0:
            raise ValueError(f"MediaPipe found no person in any of the {len(skeleton.joints)} frames")
        return skeleton.joints, skeleton.valid, np.arange(len(skeleton.joints)) / skeleton.fps, skeleton.fps
    if suffix in SKELETON_SUFFIXES:
        try:
            clip = read_replay_file(path)
        except SourceError as error:
            raise ValueError(str(error)) from error
        timestamps = clip.extras.get("timestamps")
        timestamps = (np.arange(clip.num_frames) / clip.fps if timestamps is None
                      else np.asarray(timestamps, np.float64))
        return clip.joints, clip.valid, timestamps, clip.fps
    raise ValueError(f"not a clip file (expected one of {', '.join(CLIP_SUFFIXES)})")


def merge_candidates(folder_labels: list[str], labels: list | None, extra_labels: list | None) -> list:
    """Candidates: `labels` (LabelSpecs or names; default the folder's own labels), then every label of
    `extra_labels` not already among them (compared as lookup_key does)."""
    candidates = list(folder_labels if labels is None else labels)
    seen = {lookup_key(label.name if isinstance(label, LabelSpec) else label) for label in candidates}
    for label in extra_labels or ():
        key = lookup_key(label.name if isinstance(label, LabelSpec) else label)
        if key not in seen:
            seen.add(key)
            candidates.append(label)
    return candidates


def evaluate_clip_folder(path: str | Path, recognizer, labels: list | None = None, pose_model: str | None = None,
                         extra_labels: list | None = None) -> ClipEvalReport:
    """Score every labelled clip in a folder as a whole (the training preparation: whole clip resized to the
    model's frame count). labels: candidate LabelSpecs or names (default: the distinct labels in the folder);
    extra_labels: more candidates added to those (e.g. the app's label list). Interrupted recordings are
    recovered first. Unknown labels and unreadable files are skipped with a reason; report.warnings says when
    too few candidates make the accuracy trivial.
    Raises ClipFolderError when the folder is missing, has a bad manifest/labels.csv, or holds no clip file."""
    folder, recovered = open_clip_folder(path)
    items, skipped = ground_truth(folder)
    if not items and not skipped:
        raise ClipFolderError(f"no clips in {folder.path}: no {', '.join(CLIP_SUFFIXES)} files and no "
                              f"{MANIFEST_NAME} or {LABELS_CSV_NAME} rows")
    labels = merge_candidates(sorted({readable_name(item.label) for item in items}, key=str.lower), labels,
                              extra_labels)
    specs = [label if isinstance(label, LabelSpec) else LabelSpec(label) for label in labels]
    label_set = recognizer.set_labels(specs)
    index = {lookup_key(name): i for i, name in enumerate(label_set.names)}
    files, truth, windows, raw = [], [], [], []
    for number, item in enumerate(items, start=1):
        target = index.get(lookup_key(item.label))
        if target is None:
            skipped.append(Skipped(item.file, f"label {item.label!r} is not among the candidate labels"))
            continue
        log.info("clip %d/%d: %s", number, len(items), item.file)
        try:
            joints, valid, _ = load_sequence(folder.path / item.file, pose_model)
            windows.append(normalize_sequence(joints, valid, recognizer.preprocess_config, source=item.file))
            raw.append((joints, valid))  # the attribute term measures travel, turning and height on these
        except (ValueError, PreprocessError, OSError) as error:
            skipped.append(Skipped(item.file, str(error)))
            continue
        files.append(item.file)
        truth.append(target)
    scores = np.zeros((0, len(label_set.names)), np.float32)
    features = None
    if windows:
        batch = np.stack(windows)
        features = np.concatenate([recognizer.encode(batch[start:start + ENCODE_BATCH]).cpu().numpy()
                                   for start in range(0, len(batch), ENCODE_BATCH)])
        agreements = recognizer.attribute_agreements([j for j, _ in raw], [v for _, v in raw], batch, label_set)
        terms = None if agreements is None else agreements @ recognizer.attribute_weights.vector()
        scores = recognizer.score(features, label_set, terms)
    report = ClipEvalReport(list(label_set.names), files, np.asarray(truth, np.int64), scores, skipped, recovered,
                            live_temperature(recognizer, len(label_set.names)), specs, features)
    if windows and agreements is not None:
        report.attribute_agreements, report.attribute_vector = agreements, recognizer.attribute_weights.vector()
    return report
