"""Where label lists come from and go to: the preset menu (add to the list or replace it) and label files."""

from pathlib import Path

from PyQt6.QtWidgets import QMenu, QWidget

from app.widgets.label_text import MAX_LABEL_LENGTH, quoted
from core.readers.label_presets import load_preset, preset_names, read_label_file
from core.readers.labels import LabelSpec, label_key

PRESET_TITLES = {"ntu60": "NTU RGB+D 60", "ntu120": "NTU RGB+D 120", "pku_mmd": "PKU-MMD", "utd_mhad": "UTD-MHAD",
                 "msr_action3d": "MSR Action3D", "utkinect": "UTKinect-Action3D", "gtu": "GTU Action 3D",
                 "msrc12": "MSRC-12", "kinder_gator": "Kinder-Gator"}
LABEL_FILE_FILTER = "Label files (*.txt *.tsv);;All files (*)"
UNDO_HINT = "Undo (Ctrl+Z) brings the previous list back."


def preset_title(preset: str) -> str:
    return PRESET_TITLES.get(preset, preset)


def write_label_file(path, labels: list[LabelSpec]):
    """The format read_label_file reads: one label a line, `name<TAB>description` when it has one."""
    lines = [f"{label.name}\t{label.description}" if label.description else label.name for label in labels]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def split_too_long(labels: list[LabelSpec]) -> tuple[list[LabelSpec], list[LabelSpec]]:
    """(labels whose name fits MAX_LABEL_LENGTH, those that do not), each in list order."""
    fits = [label for label in labels if len(label.name) <= MAX_LABEL_LENGTH]
    return fits, [label for label in labels if len(label.name) > MAX_LABEL_LENGTH]


def left_out_message(too_long: list[LabelSpec]) -> str:
    """The sentence added to a load message when some names were over the limit ("" when none were)."""
    if not too_long:
        return ""
    count = len(too_long)
    return (f"Left out {count} label{'s' if count > 1 else ''} longer than {MAX_LABEL_LENGTH} characters "
            f"(“{quoted(too_long[0].name)}”{', …' if count > 1 else ''}).")


def preset_replacing(preset: str, replaced: int) -> tuple[list[LabelSpec], str]:
    """The preset's labels, and the message for a list of `replaced` labels they replace."""
    labels = load_preset(preset)
    undo = f" Replaced {replaced} label{'s' if replaced != 1 else ''}. {UNDO_HINT}" if replaced else ""
    return labels, f"Loaded {preset_title(preset)}: {len(labels)} labels.{undo}"


def preset_added(preset: str, current: list[LabelSpec]) -> tuple[list[LabelSpec], str]:
    """The current list followed by the preset's labels it lacks, and the message saying how many were added."""
    keys = {label_key(label.name) for label in current}
    labels = load_preset(preset)
    new = [label for label in labels if label_key(label.name) not in keys]
    known = f" ({len(labels) - len(new)} already in the list)" if len(new) < len(labels) else ""
    return current + new, f"Added {len(new)} labels from {preset_title(preset)}{known}."


def read_labels(path) -> tuple[list[LabelSpec], str]:
    """A label file's labels that fit MAX_LABEL_LENGTH (none when the file is unreadable or empty), and the
    message to show."""
    try:
        labels = read_label_file(path)
    except ValueError as error:
        return [], str(error)
    labels, too_long = split_too_long(labels)
    left_out = f" {left_out_message(too_long)}" if too_long else ""
    if not labels:
        return [], f"{path}: no labels in the file.{left_out}"
    return labels, f"Imported {len(labels)} labels from {Path(path).name}.{left_out} {UNDO_HINT}"


def build_preset_menu(parent: QWidget, add_preset, replace_with_preset) -> QMenu:
    """Presets ▸ Add to the list ▸ <dataset> and Presets ▸ Replace the list ▸ <dataset>; each calls its
    function with the preset name."""
    menu = QMenu(parent)
    add = menu.addMenu("Add to the list")
    replace = menu.addMenu("Replace the list (Undo brings it back)")
    for preset in preset_names():
        add.addAction(preset_title(preset), lambda preset=preset: add_preset(preset))
        replace.addAction(preset_title(preset), lambda preset=preset: replace_with_preset(preset))
    return menu
