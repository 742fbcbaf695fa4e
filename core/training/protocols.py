"""Zero-shot protocols: which classes are seen (train) and unseen (test), by dataset."""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.readers.class_meaning import MeaningTable, covering_classes
from core.training.training_data import TrainingArrays, pool

log = logging.getLogger(__name__)

# Unseen class indices (0-based) from the method doc: SynSE splits and the "optimized" random splits.
NTU60_SYNSE = {"55/5": [10, 11, 19, 26, 56], "48/12": [3, 5, 9, 12, 15, 40, 42, 47, 51, 56, 58, 59]}
NTU120_SYNSE = {
    "110/10": [4, 13, 37, 43, 49, 65, 88, 95, 99, 106],
    "96/24": [5, 9, 11, 16, 18, 20, 22, 29, 35, 39, 45, 49, 59, 68, 70, 81, 84, 87, 93, 94, 104, 113, 114, 119],
}
NTU60_OPTIMIZED = [[4, 19, 31, 47, 51], [12, 29, 32, 44, 59], [7, 20, 28, 39, 58]]
NTU120_OPTIMIZED = [
    [3, 18, 26, 38, 41, 60, 87, 99, 102, 110],
    [5, 12, 14, 15, 17, 42, 67, 82, 100, 119],
    [6, 20, 27, 33, 42, 55, 71, 97, 104, 118],
]
PKU_OPTIMIZED = [[1, 9, 20, 34, 50], [3, 14, 29, 31, 49], [2, 15, 39, 41, 43]]
UTD_MHAD_SPLITS = {"ru5": "rs22", "ru9": "rs18", "ru13": "rs14"}  # unseen file -> its seen complement


@dataclass(frozen=True)
class Split:
    """A zero-shot split of one class list: seen classes train, unseen classes are only named at test time."""

    name: str
    class_names: tuple[str, ...]
    unseen: tuple[int, ...]

    def __post_init__(self):
        num_classes = len(self.class_names)
        bad = [i for i in self.unseen if not 0 <= i < num_classes]
        if bad:
            raise ValueError(f"split {self.name}: unseen indices {bad} outside 0..{num_classes - 1}")
        if len(set(self.unseen)) != len(self.unseen) or not self.unseen:
            raise ValueError(f"split {self.name}: unseen indices must be distinct and non-empty")

    @property
    def seen(self) -> tuple[int, ...]:
        unseen = set(self.unseen)
        return tuple(i for i in range(len(self.class_names)) if i not in unseen)

    @property
    def seen_names(self) -> list[str]:
        return [self.class_names[i] for i in self.seen]

    @property
    def unseen_names(self) -> list[str]:
        return [self.class_names[i] for i in self.unseen]


def ntu_split(class_names: list[str], protocol: str, which: str | int) -> Split:
    """NTU-60/120 split: protocol "synse" with which="55/5" etc., or "optimized" with which=0..2."""
    table = {
        (60, "synse"): NTU60_SYNSE, (120, "synse"): NTU120_SYNSE,
        (60, "optimized"): dict(enumerate(NTU60_OPTIMIZED)), (120, "optimized"): dict(enumerate(NTU120_OPTIMIZED)),
    }.get((len(class_names), protocol))
    if table is None or which not in table:
        raise ValueError(f"no NTU split {protocol}/{which} for {len(class_names)} classes")
    return Split(f"ntu{len(class_names)}-{protocol}-{which}", tuple(class_names), tuple(table[which]))


def pku_split(class_names: list[str], which: int) -> Split:
    """PKU-MMD optimized split 0..2 over its 51 classes (alphabetical order, as in SMIE's descriptions)."""
    if len(class_names) != 51:
        raise ValueError(f"PKU-MMD has 51 classes, got {len(class_names)}")
    return Split(f"pku-optimized-{which}", tuple(class_names), tuple(PKU_OPTIMIZED[which]))


def utd_mhad_split(class_names: list[str], name: str, splits_dir: Path) -> Split:
    """UTD-MHAD split ru5 / ru9 / ru13 read from the shared splits folder; checks the seen file is its complement."""
    if name not in UTD_MHAD_SPLITS:
        raise ValueError(f"unknown UTD-MHAD split {name!r}; known: {sorted(UTD_MHAD_SPLITS)}")
    unseen = [int(i) for i in np.load(Path(splits_dir) / f"{name}.npy")]
    seen = {int(i) for i in np.load(Path(splits_dir) / f"{UTD_MHAD_SPLITS[name]}.npy")}
    if seen & set(unseen) or len(seen) + len(unseen) != len(class_names):
        raise ValueError(f"{splits_dir}: {name} and {UTD_MHAD_SPLITS[name]} do not partition {len(class_names)} classes")
    return Split(f"utd_mhad-{name}", tuple(class_names), tuple(unseen))


def holdout_split(class_names: list[str], unseen_names: list[str], name: str = "holdout") -> Split:
    """Hold out these class names (case-insensitive); unknown names are an error listing the known ones."""
    lookup = {c.strip().lower(): i for i, c in enumerate(class_names)}
    missing = [n for n in unseen_names if n.strip().lower() not in lookup]
    if missing:
        raise ValueError(f"unknown class names {missing}; known: {list(class_names)}")
    return Split(name, tuple(class_names), tuple(lookup[n.strip().lower()] for n in unseen_names))


# The datasets whose classes UTD_COVERED_BY_POOL was checked against. Pooling another registered dataset into a
# UTD-MHAD zero-shot run would let its classes that cover an unseen one leak in, so pools keep to these.
UTD_COVER_CHECKED = ("msr_action3d", "utkinect", "gtu", "ntu_samples", "kinder_gator", "msrc12", "bandai_namco",
                     "hdm05")
_SWIPES = ("horizontal arm wave", "swipe across an imaginary screen in front with the right hand",
           "swipe across an imaginary screen in front with the left hand",
           "swipe across an imaginary screen in front with one hand")
_THROWS = ("high throw", "throw", "throw a ball", "throw a ball with the right arm", "throw a ball with the left arm",
           "throw a ball as far as possible", "throw a ball as far as possible with the right arm",
           "throw a ball as far as possible with the left arm")
_CIRCLES = ("draw circle", "draw a circle in the air")
# UTD-MHAD classes that the other shared datasets contain by name or by meaning, with the classes that cover each.
# Covering is overlap in either direction, and the same action with the other side or a free side covers too (a
# left-hand swipe teaches the right-hand one, mirrored). A split whose unseen classes include one of these trains
# on none of its covering classes; the pooled setting tests zero-shot on the UTD-MHAD classes nothing covers.
UTD_COVERED_BY_POOL = {
    "right arm swipe to the left": _SWIPES,
    "right arm swipe to the right": _SWIPES,
    "right hand wave": ("wave the right hand", "wave the left hand", "high arm wave", "wave hands", "wave both hands",
                        "wave goodbye with the right hand", "wave goodbye with both hands"),
    "two hand front clap": ("hand clap", "clap hands", "sit and clap hands"),
    "right arm throw": _THROWS,
    "basketball shoot": ("throw a basketball",),
    "right hand draw x": ("draw x", "draw the letter X in the air"),
    "right hand draw circle (clockwise)": _CIRCLES,
    "right hand draw circle (counter clockwise)": _CIRCLES,
    "draw triangle": ("draw a triangle in the air",),
    "front boxing": ("forward punch", "side-boxing", "punching/slapping other person", "punch", "throw punches"),
    "baseball swing from right": ("golf swing",),
    "tennis right hand forehand swing": ("tennis swing",),
    "tennis serve": ("tennis serve",),
    "two hand push": ("push", "push an imaginary button in front"),
    "right hand knock on door": ("hammer",),
    "right hand catch an object": ("hand catch",),
    "right hand pick up and throw": ("pick up & throw",),
    "jogging in place": ("jogging", "run in place", "run in place as fast as possible", "run", "sprint forward",
                         "jog in a circle to the left, right foot first"),
    "walking in place": ("walk", "walk in place", "walk in place as fast as possible", "walk backwards",
                         "walk forward and to the left", "walk forward and to the right", "walk turning left",
                         "walk turning right", "sneak two steps, left foot first"),
    "sit to stand": ("stand up", "sit down on a chair and stand up"),
    "stand to sit": ("sit down", "sit down on a chair and stand up"),
    "forward lunge (left foot forward)": ("step forward with the right and left foot", "do a forward lunge"),
    "squat (two arms stretch out)": ("crouch down", "squat", "duck"),
}


def utd_pool_datasets(registered: tuple[str, ...]) -> list[str]:
    """The registered datasets a UTD-MHAD zero-shot run may pool: those the cover table was checked against."""
    left_out = [name for name in registered if name not in UTD_COVER_CHECKED and name != "utd_mhad"]
    if left_out:
        log.info("pooling leaves out %s: their classes are not in the UTD-MHAD cover table", ", ".join(left_out))
    return [name for name in registered if name in UTD_COVER_CHECKED]


CROSS_DATASET_SPLIT = "cross-dataset"


@dataclass
class CrossDatasetSplit:
    """Zero-shot on a whole dataset: train on the pool's classes that cover none of its classes, test on all of it."""

    arrays: TrainingArrays  # the kept pool classes, then the target's classes
    split: Split  # unseen = every target class (those with clips)
    left_out: dict[str, list[str]]  # pooled class name -> the target classes it covers
    left_out_clips: int


def cross_dataset_split(target: str, target_arrays: TrainingArrays, pool_arrays: TrainingArrays,
                        table: MeaningTable | None = None) -> CrossDatasetSplit:
    """Leave out of the pool every class that covers (core.readers.class_meaning) a class of `target`; the pool's
    classes know their dataset from the clips (a name pooled from several datasets is checked for each)."""
    present = set(target_arrays.labels.tolist())
    target_names = [name for i, name in enumerate(target_arrays.class_names) if i in present]
    candidates = [pair for pairs in class_dataset_pairs(pool_arrays).values() for pair in pairs]
    covering = covering_classes([(target, name) for name in target_names], candidates, table)
    left_out: dict[str, list[str]] = {}
    for (_, name), covered in covering.items():
        left_out.setdefault(name, [])
        left_out[name] += [n for _, n in covered if n not in left_out[name]]
    kept_names = [name for name in pool_arrays.class_names if name not in left_out]
    kept = pool_arrays.restrict_classes(kept_names)
    combined = pool([kept, target_arrays.restrict_classes(target_names)])
    if len(combined.class_names) != len(kept_names) + len(target_names):  # a shared name would have covered
        raise ValueError(f"{target}: a kept pooled class has the name of one of its classes")
    split = Split(CROSS_DATASET_SPLIT, tuple(combined.class_names),
                  tuple(range(len(kept_names), len(combined.class_names))))
    return CrossDatasetSplit(combined, split, left_out, len(pool_arrays.labels) - len(kept.labels))


def class_dataset_pairs(arrays: TrainingArrays) -> dict[str, list[tuple[str, str]]]:
    """{class name: a (dataset, name) pair per dataset whose clips carry it}: a class pooled by name from several
    datasets is one class in training but is checked for covering in each of them."""
    return {name: [(str(dataset), name) for dataset in np.unique(arrays.datasets[arrays.labels == i])]
            for i, name in enumerate(arrays.class_names)}


def drawn_holdout(arrays: TrainingArrays, fraction: float, seed: int, table: MeaningTable | None = None) -> list[str]:
    """Pseudo-unseen class names for calibrating a model: round(fraction x classes) (at least 1) drawn with the
    seed, then every class that covers (core.readers.class_meaning) a held-out one, repeated until no class left
    seen covers one: a set that nothing trained on teaches. Names in arrays.class_names order."""
    if not 0 < fraction < 1:
        raise ValueError(f"holdout fraction {fraction}: expected a share between 0 and 1")
    names = list(arrays.class_names)
    pairs = class_dataset_pairs(arrays)
    count = max(1, round(fraction * len(names)))
    held = {names[int(i)] for i in np.random.default_rng(seed).choice(len(names), size=count, replace=False)}
    while True:
        targets = [pair for name in held for pair in pairs[name]]
        candidates = [pair for name in names if name not in held for pair in pairs[name]]
        covering = {name for _, name in covering_classes(targets, candidates, table)}
        if not covering:
            break
        held |= covering
    if len(held) == len(names):
        raise ValueError(f"holding out {count} drawn classes and every class covering one leaves none seen")
    return [name for name in names if name in held]
