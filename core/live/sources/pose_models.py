"""The MediaPipe PoseLandmarker models the project ships (models/pose/) and the one --pose-model option that picks
one of them, or a user's own .task file, wherever a video or a camera is read."""

import argparse
from pathlib import Path

from core.paths import MODELS_DIR

POSE_MODELS_DIR = MODELS_DIR / "pose"
BUNDLED_POSE_MODELS = {"lite": POSE_MODELS_DIR / "pose_landmarker_lite.task",
                       "full": POSE_MODELS_DIR / "pose_landmarker_full.task"}
# The live default: lite takes about a quarter less time per frame than full with the same landmarks, and the
# zero-shot accuracy on real webcam clips did not drop with it (README, "Pose models").
DEFAULT_POSE_MODEL = "lite"
POSE_MODEL_HELP = ("MediaPipe pose model for videos and cameras: lite (faster), full, or a PoseLandmarker .task "
                   "file (models/pose/ holds lite and full)")


def pose_model_path(spec: str | Path | None = None) -> Path:
    """'lite' / 'full' (None: DEFAULT_POSE_MODEL) -> the bundled file; anything else is a .task file path, returned
    as given (the source checks that it exists when it opens)."""
    spec = DEFAULT_POSE_MODEL if spec is None or str(spec).strip() == "" else spec
    key = str(spec).strip().lower()
    if key in BUNDLED_POSE_MODELS:
        return BUNDLED_POSE_MODELS[key]
    return Path(spec).expanduser()


def pose_model_name(spec: str | Path | None = None) -> str:
    """'lite', 'full' or the file name, for messages and notes."""
    path = pose_model_path(spec)
    for name, bundled in BUNDLED_POSE_MODELS.items():
        if path == bundled:
            return name
    return path.name


def pose_model_problem(spec: str | Path | None) -> str | None:
    """Why `spec` cannot be used as a pose model, or None when it can."""
    path = pose_model_path(spec)
    if path.is_file():
        return None
    if spec is not None and str(spec).strip().lower() in BUNDLED_POSE_MODELS:
        return (f"the bundled pose model {path} is missing (rebuild it with python models/pose/build_pose_models.py)")
    if path.suffix.lower() != ".task":
        return f"pose model {spec!r} is not lite, full or a .task file"
    return f"pose model not found: {path} (give lite, full or a MediaPipe PoseLandmarker .task file)"


def pose_model_argument(text: str) -> str:
    """argparse type of --pose-model: 'lite', 'full' (any case) or an existing .task file."""
    problem = pose_model_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    key = text.strip().lower()
    return key if key in BUNDLED_POSE_MODELS else text


def add_pose_model_argument(parser) -> None:
    """--pose-model lite|full|FILE.task on a command that reads videos or cameras."""
    parser.add_argument("--pose-model", type=pose_model_argument, default=DEFAULT_POSE_MODEL,
                        metavar="lite|full|FILE.task", help=f"{POSE_MODEL_HELP}; default %(default)s")


PEOPLE_HELP = ("people the pose model looks for in each frame: 2 (default; two-person actions such as a hug or a "
               "handshake) or 1 (one person in view: MediaPipe then tracks instead of searching every frame for a "
               "second person, about 40 %% less pose time)")


def add_people_argument(parser) -> None:
    """--people 1|2 on a command that runs pose estimation live (run, record, bench-pipeline)."""
    parser.add_argument("--people", type=int, choices=(1, 2), default=2, help=PEOPLE_HELP)
