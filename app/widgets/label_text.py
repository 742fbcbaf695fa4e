"""How label names are limited and shortened for display: the length limit, eliding to a width, short quotes."""

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFontMetrics

from core.readers.labels import MAX_LABEL_LENGTH

QUOTE_CHARACTERS = 40  # a name quoted in a one-line message is cut to this many characters


def too_long_message(name: str) -> str:
    return (f"“{quoted(name)}” has {len(name)} characters; a label can have at most {MAX_LABEL_LENGTH}. "
            "Shorten it, or put the detail in the description.")


def quoted(name: str, characters: int = QUOTE_CHARACTERS) -> str:
    """The name cut to `characters` with an ellipsis, for messages that must stay on one or two lines."""
    return name if len(name) <= characters else name[:characters - 1].rstrip() + "…"


def elided(text: str, metrics: QFontMetrics, width: int) -> str:
    """The text as drawn in `width` pixels: cut on the right with an ellipsis when it does not fit."""
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, int(width)))
