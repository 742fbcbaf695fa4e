"""Sub-commands of the `smie` command line, and the argument types several of them share.

May import every package of core; each command imports torch-heavy modules inside run(), so `smie --help` stays
fast."""

import argparse
import re
from pathlib import Path


def odd_kernel_frames(text: str) -> int:
    """argparse type of --temporal-kernel: a positive odd number of frames (the convolution is centred)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be a positive odd number of frames, got {text!r}")
    return value


def unit_fraction(text: str) -> float:
    """argparse type of a probability: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def reason_without_path(reason: str, file: str) -> str:
    """A skip reason without the file's path in it: the line already starts with the file
    ("skipped a.avi: video /clips/a.avi is damaged" -> "skipped a.avi: video is damaged")."""
    return re.sub(r"\s?\S*" + re.escape(Path(file).name) + r"(?=[\s;,)]|:\s|:?$)", "", reason).strip() or reason
