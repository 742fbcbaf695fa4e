"""`smie convert`: a dataset or a folder of labelled videos -> a clip folder that `smie eval-clips` scores."""

import os
import re
import sys
from pathlib import Path

import numpy as np

from core.clips.clip_folder import LABELS_CSV_NAME, ClipEntry, ClipFolderError, open_clip_folder
from core.clips.recording import resample_sequence
from core.clips.video_pose import video_skeleton
from core.commands import reason_without_path
from core.live.sources import SourceError
from core.live.sources.pose_models import DEFAULT_POSE_MODEL, add_pose_model_argument, pose_model_name
from core.readers.datasets import dataset_folder, dataset_names, load_dataset
from core.readers.label_presets import readable_name
from core.readers.ntu_writer import write_ntu_skeleton
from core.skeleton.clip import Clip


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "convert", help="turn a dataset or labelled videos into a clip folder",
        description="Write every clip of a dataset, or every video listed in a folder's labels.csv (pose-estimated "
                    "with MediaPipe), as NTU .skeleton files at a fixed frame rate with a manifest.csv.")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--dataset", choices=dataset_names(), help="a dataset under the data root ($SMIE_DATA)")
    what.add_argument("--videos", metavar="DIR", help="folder of videos with labels.csv (columns file,label)")
    parser.add_argument("--out", required=True, help="clip folder to write (created; rows for the same file "
                        "are replaced)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate the clips are written at (default 30)")
    parser.add_argument("--limit", type=int, default=None, help="convert only the first N clips")
    add_pose_model_argument(parser)
    parser.set_defaults(run=run)


def safe_file_name(text: str) -> str:
    """Letters, digits, '.', '-' and '_' only; everything else becomes '_'."""
    return re.sub(r"[^A-Za-z0-9.\-]+", "_", text).strip("_") or "clip"


def write_clip(folder, file: str, clip, label: str, source: str, fps: float, notes: str = ""):
    """Write `clip` (resampled to fps from its timestamps or its own fps) as folder/file; returns its ClipEntry
    (the caller adds it to the manifest). The file appears atomically."""
    timestamps = clip.extras.get("timestamps")
    if timestamps is not None or abs(clip.fps - fps) > 1e-3 * fps:
        times = np.asarray(timestamps, np.float64) if timestamps is not None else np.arange(clip.num_frames) / clip.fps
        joints, valid = resample_sequence(clip.joints, clip.valid, times - times[0], fps)
        clip = clip.with_joints(joints, valid)
        clip.extras = {}  # per-frame extras no longer line up with the frames
    path = folder.clip_path(file)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_ntu_skeleton(temporary, clip)
    os.replace(temporary, path)
    return ClipEntry(file=file, label=label, source=source, fps=fps, frames=clip.num_frames,
                     duration_s=round(clip.num_frames / fps, 3), notes=notes)


def convert_dataset(name: str, folder, fps: float, limit: int | None = None):
    """(entries written, skipped [(file, reason)]) for every clip of dataset `name`."""
    dataset = load_dataset(name)
    root = dataset_folder(name)
    entries, taken = [], set()
    for clip in dataset.clips[:limit]:
        label = readable_name(clip.label_name or dataset.class_names[clip.label])
        source_file, _, segment = clip.source.partition("#")
        relative = Path(source_file).resolve().relative_to(root.resolve()).with_suffix("")
        file = safe_file_name("_".join(relative.parts) + (f"_{segment}" if segment else "")) + ".skeleton"
        while file in taken:  # two segments with the same name in one sequence
            file = file.replace(".skeleton", "_b.skeleton")
        taken.add(file)
        entries.append(write_clip(folder, file, clip, label, clip.source, fps, notes=f"dataset {name}"))
    return entries, list(dataset.bad_files)


def convert_videos(video_dir: Path, folder, fps: float, limit: int | None = None, pose_model=DEFAULT_POSE_MODEL):
    """(entries written, skipped [(file, reason)]) for every video listed in video_dir/labels.csv."""
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.clips.clip_eval import read_labels_csv

    labels_csv = video_dir / LABELS_CSV_NAME
    if not labels_csv.is_file():
        raise ClipFolderError(f"{video_dir}: no {LABELS_CSV_NAME} (columns file,label) giving each video's label")
    entries, skipped = [], []
    for row in read_labels_csv(labels_csv)[:limit]:
        path = video_dir / row.file
        if not row.label:
            skipped.append((row.file, "empty label"))
            continue
        try:
            skeleton = video_skeleton(path, pose_model)
        except SourceError as error:
            skipped.append((row.file, str(error)))
            continue
        if skeleton.frames_with_person == 0:
            skipped.append((row.file, f"MediaPipe found no person in any of the {len(skeleton.joints)} frames"))
            continue
        clip = Clip(joints=skeleton.joints, valid=skeleton.valid, source=str(path), fps=skeleton.fps)
        file = safe_file_name(Path(row.file).with_suffix("").as_posix()) + ".skeleton"
        entries.append(write_clip(folder, file, clip, readable_name(row.label), str(path), fps,
                                  notes=f"MediaPipe pose, {pose_model_name(pose_model)} model"))
    return entries, skipped


def run(args) -> int:
    try:
        if args.fps <= 0 or (args.limit is not None and args.limit <= 0):
            raise ValueError("--fps and --limit must be positive")
        folder, _ = open_clip_folder(args.out, create=True)
        if args.dataset:
            entries, skipped = convert_dataset(args.dataset, folder, args.fps, args.limit)
        else:
            video_dir = Path(args.videos).expanduser()
            if not video_dir.is_dir():
                raise ClipFolderError(f"video folder not found: {video_dir}")
            entries, skipped = convert_videos(video_dir, folder, args.fps, args.limit, args.pose_model)
    except (ClipFolderError, FileNotFoundError, ValueError) as error:
        print(f"smie convert: {error}", file=sys.stderr)
        return 2
    if entries:
        folder.upsert(*entries)
    labels = sorted({entry.label for entry in entries})
    print(f"wrote {len(entries)} clips of {len(labels)} labels to {folder.path} at {args.fps:g} fps "
          f"({len(skipped)} skipped)")
    for file, reason in skipped:
        print(f"  skipped {file}: {reason_without_path(reason, file)}")
    return 0 if entries else 1
