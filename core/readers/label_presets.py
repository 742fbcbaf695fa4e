"""Class-name presets (assets/labels/*.txt) and their written descriptions (assets/descriptions/*.tsv)."""

import argparse
import re
from functools import lru_cache
from pathlib import Path

from core.paths import ASSETS_DIR
from core.readers.labels import LabelSpec, check_label_lengths, label_key

LABELS_DIR = ASSETS_DIR / "labels"
DESCRIPTIONS_DIR = ASSETS_DIR / "descriptions"
LABELS_HELP = 'candidate actions, separated by commas: "wave the right hand,clap hands,jump"'
LABELS_FILE_HELP = "text file of candidate actions, one a line: name or name<TAB>description"


def readable_name(name: str) -> str:
    """A dataset's class name as words for the text model: camelCase split and lower-cased ("sitDown" -> "sit down")."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower() if re.search(r"[a-z][A-Z]", name) else name


def lookup_key(name: str) -> str:
    """Key for matching a class name to a description: case/space-insensitive, camelCase split ("sitDown")."""
    return label_key(readable_name(name))


def labels_from_options(labels_text: str | None = None, labels_file=None, preset: str | None = None,
                        ) -> list[LabelSpec] | None:
    """The labels a command line gave, the same in `smie` and `smie-live`: comma-separated `--labels "a,b,c"`,
    else a `--labels-file` (one a line, name<TAB>description), else a `--preset` name; None when none is given.
    Raises ValueError naming the option when it holds no label or one over MAX_LABEL_LENGTH characters, the file
    cannot be read or the preset is unknown."""
    if labels_text is not None:
        names = [name.strip() for name in labels_text.split(",") if name.strip()]
        if not names:
            raise ValueError(f'--labels {labels_text!r} holds no label; give names separated by commas: "a,b,c"')
        return check_label_lengths([LabelSpec(name) for name in names], "--labels")
    if labels_file is not None:
        labels = read_label_file(labels_file)
        if not labels:
            raise ValueError(f"--labels-file {labels_file}: the file holds no label")
        return check_label_lengths(labels, f"--labels-file {labels_file}")
    if preset is not None:
        return load_preset(preset)
    return None


def read_label_file(path) -> list[LabelSpec]:
    """Labels from a text file: one per line, `name` or `name<TAB>description`; blank and '#' lines skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read label file: {error}") from error
    labels = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, description = line.partition("\t")
        if not name.strip():
            raise ValueError(f"{path}:{number}: empty class name")
        labels.append(LabelSpec(name, description.strip() or None))
    return labels


def _read_descriptions(path: Path) -> dict[str, str]:
    descriptions = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, tab, description = line.partition("\t")
        if not tab or not name.strip() or not description.strip():
            raise ValueError(f"{path}:{number}: expected 'name<TAB>description', got {line[:60]!r}")
        key = lookup_key(name)
        if key in descriptions:
            raise ValueError(f"{path}:{number}: class {name!r} is described twice")
        descriptions[key] = description.strip()
    return descriptions


@lru_cache(maxsize=None)
def _descriptions(preset: str) -> dict[str, str]:
    path = DESCRIPTIONS_DIR / f"{preset}.tsv"
    return _read_descriptions(path) if path.is_file() else {}


def description_sets() -> list[str]:
    """Names of the description files, in lookup order (sorted, so the order never depends on the disk)."""
    return sorted(path.stem for path in DESCRIPTIONS_DIR.glob("*.tsv"))


def preset_names() -> list[str]:
    """The label presets shipped in assets/labels."""
    return sorted(path.stem for path in LABELS_DIR.glob("*.txt"))


def describe(name: str) -> str | None:
    """The written description of a class name, searched across all description files; None if unknown."""
    key = lookup_key(name)
    for preset in description_sets():
        description = _descriptions(preset).get(key)
        if description is not None:
            return description
    return None


def load_preset(name: str) -> list[LabelSpec]:
    """The classes of a preset in dataset order, each with its description (the preset's own file first)."""
    path = LABELS_DIR / f"{name}.txt"
    if not path.is_file():
        raise ValueError(f"unknown label preset {name!r}; available: {', '.join(preset_names())}")
    own = _descriptions(name)
    labels = read_label_file(path)
    for label in labels:
        label.description = own.get(lookup_key(label.name)) or label.description or describe(label.name)
    return labels


def add_label_arguments(parser: argparse.ArgumentParser, default: str) -> None:
    """--labels "a,b,c" | --labels-file FILE | --preset NAME, one of them, the same in every command and in
    smie-live (read them with labels_from_options). default: what happens without any, for the help text."""
    labels = parser.add_argument_group("candidate labels (one of these; default: " + default + ")")
    choice = labels.add_mutually_exclusive_group()
    choice.add_argument("--labels", metavar='"A,B,C"', default=None, help=LABELS_HELP)
    choice.add_argument("--labels-file", metavar="FILE", default=None, help=LABELS_FILE_HELP)
    choice.add_argument("--preset", metavar="NAME", default=None,
                        help=f"a shipped label list: {', '.join(preset_names())}")


def reject_unknown_arguments(parser: argparse.ArgumentParser, extra: list[str], argv: list[str]) -> None:
    """parser.error for arguments parse_known_args left over, with a hint when they look like `--labels A B C`
    (the form smie-live once took): the labels take one comma-separated list everywhere."""
    if not extra:
        return
    hint = ' (--labels takes one comma-separated list: --labels "A,B,C")' if "--labels" in argv else ""
    parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
