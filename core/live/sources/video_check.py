"""Why a video or camera gives no frames, in words: a damaged or truncated file, a file that is no video, a
camera that is not there."""

import sys
from pathlib import Path

# Leading bytes of the containers OpenCV's FFmpeg reads: (offset, bytes, name). A file that starts like one of
# these but cannot be opened is damaged, not of an unknown kind.
CONTAINER_SIGNATURES = (
    (4, b"ftyp", "MP4/MOV"),
    (4, b"moov", "MOV"),
    (4, b"mdat", "MOV"),
    (4, b"wide", "MOV"),
    (4, b"free", "MOV"),
    (0, b"RIFF", "AVI"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM"),
)
# A stated frame count may be an estimate from the duration (Matroska, WebM): a few frames short is normal.
TRUNCATION_TOLERANCE = 0.05


def container_kind(path: Path) -> str | None:
    """The container a file's first bytes announce ("MP4/MOV", "AVI", "Matroska/WebM"), or None."""
    try:
        with open(path, "rb") as file:
            head = file.read(12)
    except OSError:
        return None
    for offset, signature, name in CONTAINER_SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return name
    return None


def mp4_has_index(path: Path) -> bool:
    """True when an MP4/MOV file's top-level boxes are whole and one of them is the index (moov) that a
    player needs; a file cut short while it was written usually lacks it."""
    size = path.stat().st_size
    position, found = 0, False
    with open(path, "rb") as file:
        while position + 8 <= size:
            file.seek(position)
            header = file.read(16)
            box_size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if box_size == 1:  # 64-bit size follows the type
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:  # the box runs to the end of the file
                box_size = size - position
            if box_size < 8 or position + box_size > size:
                return False  # a box runs past the end: cut short
            found |= kind == b"moov"
            position += box_size
    return found


def unopenable_video_message(path: Path) -> str:
    """What to tell the user about a file OpenCV cannot open."""
    kind = container_kind(path)
    if kind is None:
        return f"cannot read video {path}: not a video or an unsupported codec"
    if kind.startswith("MP4") and not mp4_has_index(path):
        return (f"video {path} is damaged or truncated: this {kind} file is cut short or lacks its index "
                "(moov box), so none of its frames can be read")
    return f"video {path} is damaged or truncated: this {kind} file cannot be opened, so none of its frames can be read"


def is_truncated(frames_read: int, frames_stated: int | None) -> bool:
    """True when a file ended well before the frame count its header states."""
    if not frames_stated:
        return False
    return frames_read < frames_stated - max(2, TRUNCATION_TOLERANCE * frames_stated)


def truncated_video_message(path: Path, frames_read: int, frames_stated: int | None) -> str:
    if frames_read == 0:
        stated = f"none of its {frames_stated} frames" if frames_stated else "no frame"
        return f"video {path} is damaged or truncated: {stated} could be decoded"
    return f"video {path} is damaged or truncated: only {frames_read} of its {frames_stated} frames could be read"


def camera_not_found_message(index: int) -> str:
    """Linux names cameras /dev/videoN, so an absent one can be told from a busy one; elsewhere it cannot."""
    device = Path(f"/dev/video{index}")
    if sys.platform.startswith("linux") and not device.exists():
        return f"camera {index} not found (no {device}); plug it in or choose another source"
    return f"camera {index} not found or in use by another program (it could not be opened)"
