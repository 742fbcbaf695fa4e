"""A label the user types: its name and optional description, its identity key, and duplicate merging."""

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Longer names are refused: a name is a short phrase for the text encoder (detail goes in the description), and
# longer ones only break layouts.
MAX_LABEL_LENGTH = 120


@dataclass
class LabelSpec:
    """One candidate class: the name shown to the user and, optionally, a sentence on how the body moves."""

    name: str
    description: str | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"label name must be a non-empty string, got {self.name!r}")
        self.name = " ".join(self.name.split())
        if self.description is not None:
            self.description = " ".join(self.description.split()) or None


def label_key(name: str) -> str:
    """The identity of a label for duplicate detection: case- and whitespace-insensitive."""
    return " ".join(name.lower().split())


def merge_duplicate_labels(labels: list[LabelSpec]) -> list[LabelSpec]:
    """Drop labels whose name repeats an earlier one (ignoring case and spacing), keeping the first's position.
    A later duplicate's description fills in when the first has none."""
    merged: dict[str, LabelSpec] = {}
    for label in labels:
        key = label_key(label.name)
        if key not in merged:
            merged[key] = LabelSpec(label.name, label.description)
            continue
        if label.name == merged[key].name:
            log.info("label %r is listed twice; kept once", label.name)
        else:  # the spelling differs only in case or spacing: say which one is kept
            log.info("label %r is another spelling of %r; kept the first", label.name, merged[key].name)
        if merged[key].description is None and label.description is not None:
            merged[key].description = label.description
    return list(merged.values())


def check_label_lengths(labels: list[LabelSpec], where: str) -> list[LabelSpec]:
    """The labels, when every name fits MAX_LABEL_LENGTH; else ValueError naming `where`, the name and the limit."""
    for label in labels:
        if len(label.name) > MAX_LABEL_LENGTH:
            shown = label.name if len(label.name) <= 60 else label.name[:59] + "…"
            raise ValueError(f"{where}: label {shown!r} has {len(label.name)} characters; a label can have at most "
                             f"{MAX_LABEL_LENGTH} (put the detail in its description)")
    return labels
