"""`smie data domain-gap`: skeleton statistics per dataset and per clip folder, side by side (table or JSON)."""

import json
import sys
from pathlib import Path

from core.paths import data_root
from core.readers.datasets import checked_data_root, dataset_folder, dataset_names, joint_source, load_dataset
from core.skeleton.joint_maps import real_joint_mask

# Columns of the table: (header, width, value from one source's statistics).
COLUMNS = (
    ("tracks", 7, lambda s: s["tracks"]),
    ("shoulders m", 12, lambda s: s["bone_length_m"]["shoulder width"]),
    ("hips m", 7, lambda s: s["bone_length_m"]["hip width"]),
    ("head m", 7, lambda s: s["bone_length_m"]["neck and head"]),
    ("head var", 9, lambda s: s["bone_length_variation"]["neck and head"]),
    ("noise x/y/z mm", 15, lambda s: "/".join("-" if s["noise_mm"][a] is None else f"{s['noise_mm'][a]:g}"
                                               for a in "xyz")),
    ("legs seen", 10, lambda s: s["presence"]["legs"]),
    ("synth", 6, lambda s: s["synthesised_joints"]),
)


def _cell(value) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def run_domain_gap(args) -> int:
    # pulls in torch: imported on use so `smie --help` stays fast
    from core.benchmark.domain_gap import first_body_track, folder_tracks, source_statistics

    folders = [Path(folder) for folder in args.clips]
    not_folders = [str(folder) for folder in folders if not folder.is_dir()]
    if not_folders:
        print(f"--clips: not a folder: {', '.join(not_folders)}", file=sys.stderr)
        return 2
    if args.dataset:
        try:
            root = checked_data_root(args.dataset)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        names = args.dataset
    else:  # every dataset this machine has; clip folders alone are fine too
        root = data_root()
        names = [name for name in dataset_names() if dataset_folder(name, root).is_dir()]
        if not names and not folders:
            print(f"no datasets under {root} and no --clips folder to measure (set SMIE_DATA)", file=sys.stderr)
            return 2

    def synthesised(source):
        return None if source is None else int((~real_joint_mask(source)).sum())

    report = {}
    for name in names:
        clips = load_dataset(name, root).clips
        tracks = [first_body_track(clip.joints, clip.valid, clip.fps) for clip in clips]
        report[name] = source_statistics(tracks, synthesised(joint_source(name)))
    for folder in folders:
        tracks, source, skipped = folder_tracks(folder)
        for file, reason in skipped:
            print(f"skipped {folder / file}: {reason}", file=sys.stderr)
        if not tracks:
            print(f"{folder}: no usable clip files", file=sys.stderr)
            return 2
        report[str(folder)] = source_statistics(tracks, synthesised(source))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'source':32s}" + "".join(f"{header:>{width}s}" for header, width, _ in COLUMNS))
    for source, stats in report.items():
        cells = [_cell(value(stats)) for _, _, value in COLUMNS]
        print(f"{source[-32:]:32s}" + "".join(f"{cell:>{width}s}" for cell, (_, width, _) in zip(cells, COLUMNS)))
    print("head var: within-track std / mean of the neck-and-head length; noise on head and arm joints at the "
          "native rate, sources of 25 fps or more (z is depth); synth: NTU joints the source does not measure")
    return 0
