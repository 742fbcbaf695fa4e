"""Classes pooled by meaning (assets/labels/pooled_classes.tsv): a meaning key per (dataset, class) and which keys
overlap, so a zero-shot run can leave out of training every class that covers one it tests."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.paths import ASSETS_DIR
from core.readers.label_presets import readable_name

POOLED_CLASSES_FILE = ASSETS_DIR / "labels" / "pooled_classes.tsv"


class MeaningTableError(ValueError):
    """A row of the pooled-classes table that cannot be right; the message names the file and line."""


@dataclass(frozen=True)
class MeaningTable:
    keys: dict[tuple[str, str], str]  # (dataset, class name lower-cased) -> meaning key
    overlaps: dict[str, frozenset[str]]  # key -> the other keys it overlaps (symmetric)

    def meaning_key(self, dataset: str, class_name: str) -> str:
        key = self.keys.get((dataset, _name_key(class_name)))
        if key is None:
            raise KeyError(f"{dataset}: class {class_name!r} has no row in {POOLED_CLASSES_FILE.name}")
        return key

    def related(self, key_a: str, key_b: str) -> bool:
        """Same meaning, or overlapping meanings."""
        return key_a == key_b or key_b in self.overlaps.get(key_a, frozenset())


def _name_key(class_name: str) -> str:
    return " ".join(readable_name(class_name).lower().split())


def read_meaning_table(path: Path, dataset_names: Iterable[str]) -> MeaningTable:
    """Parse the table; unknown datasets, a class listed twice, a key in an overlap row that no class has, and
    malformed rows are a MeaningTableError naming the line."""
    known_datasets = set(dataset_names)
    keys: dict[tuple[str, str], str] = {}
    class_lines: dict[tuple[str, str], int] = {}
    overlap_rows: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{Path(path).name} line {number}"
        fields = [field.strip() for field in line.split("\t")]
        kind = fields[0]
        if kind == "class" and len(fields) == 4 and all(fields):
            _, dataset, name, key = fields
            if dataset not in known_datasets:
                raise MeaningTableError(f"{where}: unknown dataset {dataset!r} (known: {', '.join(sorted(known_datasets))})")
            name_key = (dataset, _name_key(name))
            if name_key in keys:
                raise MeaningTableError(f"{where}: {dataset} class {name!r} listed twice (first on line "
                                        f"{class_lines[name_key]})")
            keys[name_key], class_lines[name_key] = key, number
        elif kind == "overlap" and len(fields) in (3, 4) and fields[1] and fields[2]:
            overlap_rows.append((number, fields[1], [k.strip() for k in fields[2].split(",") if k.strip()]))
        else:
            raise MeaningTableError(f"{where}: expected 'class<TAB>dataset<TAB>name<TAB>key' or "
                                    f"'overlap<TAB>key<TAB>key,key,...[<TAB>why]', got {line!r}")
    _check_one_key_per_name(keys, class_lines, Path(path).name)
    used_keys = set(keys.values())
    overlaps: dict[str, set[str]] = {}
    for number, key, others in overlap_rows:
        unknown = [k for k in [key, *others] if k not in used_keys]
        if unknown:
            raise MeaningTableError(f"{Path(path).name} line {number}: overlap names key(s) {unknown} that no "
                                    f"class row has")
        if key in others:
            raise MeaningTableError(f"{Path(path).name} line {number}: key {key!r} overlaps itself")
        for other in others:
            overlaps.setdefault(key, set()).add(other)
            overlaps.setdefault(other, set()).add(key)
    return MeaningTable(keys, {key: frozenset(related) for key, related in overlaps.items()})


def _check_one_key_per_name(keys: dict, class_lines: dict, file_name: str) -> None:
    """Training pools classes by name, so a name that two datasets share must mean one thing."""
    first: dict[str, tuple[str, str]] = {}
    for (dataset, name), key in keys.items():
        if name in first and first[name][1] != key:
            raise MeaningTableError(f"{file_name} line {class_lines[dataset, name]}: {dataset} class {name!r} has key "
                                    f"{key!r}, but {first[name][0]} gives the same name {first[name][1]!r}")
        first.setdefault(name, (dataset, key))


@lru_cache(maxsize=1)
def pooled_table() -> MeaningTable:
    """The shipped table, checked against the dataset registry (imported here: the registry pulls in every reader)."""
    from core.readers.datasets import dataset_names

    return read_meaning_table(POOLED_CLASSES_FILE, dataset_names())


@lru_cache(maxsize=1)
def _keys_by_name() -> dict[str, str]:
    return {name: key for (_, name), key in pooled_table().keys.items()}


def meaning_of_name(class_name: str) -> str | None:
    """The meaning key of a class name of any dataset in the table (a name has one key in all of them), None for a
    name no dataset has: what a typed label means when it is one of the known class names."""
    return _keys_by_name().get(_name_key(class_name))


def meaning_key(dataset: str, class_name: str) -> str:
    """The meaning key of a registered dataset's class (its raw or readable name, any case)."""
    return pooled_table().meaning_key(dataset, class_name)


def same_meaning(a: tuple[str, str], b: tuple[str, str], table: MeaningTable | None = None) -> bool:
    """Whether two (dataset, class name) pairs name the same action."""
    table = table or pooled_table()
    return table.meaning_key(*a) == table.meaning_key(*b)


def covers(class_a: tuple[str, str], class_b: tuple[str, str], table: MeaningTable | None = None) -> bool:
    """Whether training on class_a teaches class_b: same meaning or overlapping meanings (symmetric)."""
    table = table or pooled_table()
    return table.related(table.meaning_key(*class_a), table.meaning_key(*class_b))


def covering_classes(targets: Iterable[tuple[str, str]], candidates: Iterable[tuple[str, str]],
                     table: MeaningTable | None = None) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{candidate (dataset, name): the (dataset, name) targets it covers}, for every candidate covering one."""
    table = table or pooled_table()
    targets = list(targets)
    found = {}
    for candidate in candidates:
        covered = [target for target in targets if covers(candidate, target, table)]
        if covered:
            found[candidate] = covered
    return found
