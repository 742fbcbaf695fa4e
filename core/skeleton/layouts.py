"""Skeleton layouts as data tables: joint names and parents; edges, bones and left/right pairs derive from them."""

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Layout:
    """One skeleton layout. `parents[j]` is the 0-based parent of joint j in the kinematic tree (-1 for the root);
    `center` is the joint the ST-GCN partitioning measures hop distances from."""

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    center: int

    def __post_init__(self):
        assert len(self.joint_names) == len(self.parents), f"{self.name}: names and parents differ in length"
        assert sum(p < 0 for p in self.parents) == 1, f"{self.name}: the tree needs exactly one root"
        assert all(-1 <= p < len(self.parents) for p in self.parents), f"{self.name}: parent out of range"

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @cached_property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """(child, parent) pairs, 0-based: the bones, the drawing edges and the graph edges."""
        return tuple((j, p) for j, p in enumerate(self.parents) if p >= 0)

    @cached_property
    def index(self) -> dict[str, int]:
        return {name: j for j, name in enumerate(self.joint_names)}

    @cached_property
    def left_right_pairs(self) -> tuple[tuple[int, int], ...]:
        """(left, right) joint pairs, found by name ("...Left" <-> "...Right")."""
        pairs = []
        for j, name in enumerate(self.joint_names):
            if "Left" in name:
                mirror = self.index.get(name.replace("Left", "Right"))
                assert mirror is not None, f"{self.name}: {name} has no right-hand twin"
                pairs.append((j, mirror))
        return tuple(pairs)

    @cached_property
    def mirror_permutation(self) -> tuple[int, ...]:
        """perm[j] is the joint that j becomes when the body is mirrored left <-> right."""
        perm = list(range(self.num_joints))
        for left, right in self.left_right_pairs:
            perm[left], perm[right] = right, left
        return tuple(perm)


# Kinect v2 / NTU RGB+D order (0-based). Tree rooted at SpineBase; hands carry their tip and thumb.
NTU25 = Layout(
    name="ntu25",
    joint_names=(
        "SpineBase", "SpineMid", "Neck", "Head",
        "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
        "ShoulderRight", "ElbowRight", "WristRight", "HandRight",
        "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
        "HipRight", "KneeRight", "AnkleRight", "FootRight",
        "SpineShoulder", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
    ),
    parents=(
        -1, 0, 20, 2,
        20, 4, 5, 6,
        20, 8, 9, 10,
        0, 12, 13, 14,
        0, 16, 17, 18,
        1, 7, 7, 11, 11,
    ),
    center=20,
)

LAYOUTS = {NTU25.name: NTU25}


def get_layout(name: str) -> Layout:
    if name not in LAYOUTS:
        raise KeyError(f"unknown skeleton layout {name!r}; known: {sorted(LAYOUTS)}")
    return LAYOUTS[name]
