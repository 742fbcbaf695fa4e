"""Several MediaPipe people per frame -> camera-space bodies in NTU's two body slots that keep their identity.

MediaPipe's world landmarks are centred between each person's hips, so two people would lie on top of each
other. place_in_camera() moves each body to where the camera sees it: the translation that makes the pinhole
projection of its world landmarks fall on its image landmarks (image position gives the direction, image size
the depth). BodySlots then gives each body the slot of the nearest body of the previous frames, by image
position, because MediaPipe lists the people of a frame in no fixed order.
"""

from dataclasses import dataclass

import numpy as np

# Horizontal field of view assumed for the camera (webcams: about 60-70 degrees). It scales every depth by the
# same factor, so the people's relative placement and the model's input (centred on the first body) keep.
ASSUMED_FOV_DEGREES = 60.0
MIN_WEIGHT = 0.5  # landmarks with visibility below this do not take part in the placement (when enough do)


def focal_length_px(width: int, height: int, fov_degrees: float = ASSUMED_FOV_DEGREES) -> float:
    """Pinhole focal length in pixels for an image `width` pixels wide seen at `fov_degrees` horizontally."""
    return 0.5 * max(width, height) / np.tan(np.radians(fov_degrees) / 2)


def place_in_camera(world: np.ndarray, image_xy: np.ndarray, visibility: np.ndarray, image_shape,
                    fov_degrees: float = ASSUMED_FOV_DEGREES) -> np.ndarray:
    """world (N, 3) metres (MediaPipe axes: x right, y down, z away, origin between the hips), image_xy (N, 2)
    fractions of the image width and height, visibility (N,) -> (N, 3) world landmarks moved to camera space.

    The translation t solves, in least squares over the visible landmarks, u_i = (X_i + t) projected, i.e. for
    normalised image coordinates (a, b) = ((x - cx) / f, (y - cy) / f): t_x - a t_z = a Z - X, t_y - b t_z = b Z - Y.
    A body with fewer than 4 usable landmarks, or a solution behind the camera, keeps a translation from its
    image centre at 3 m."""
    height, width = image_shape[:2]
    f = focal_length_px(width, height, fov_degrees)
    a = (image_xy[:, 0] * width - width / 2) / f
    b = (image_xy[:, 1] * height - height / 2) / f
    use = np.isfinite(world).all(axis=1) & np.isfinite(image_xy).all(axis=1) & (visibility >= MIN_WEIGHT)
    if use.sum() < 4:
        use = np.isfinite(world).all(axis=1) & np.isfinite(image_xy).all(axis=1)
    if use.sum() >= 4:
        X, Y, Z = (world[use, k].astype(np.float64) for k in range(3))
        au, bu = a[use], b[use]
        ones, zeros = np.ones_like(au), np.zeros_like(au)
        matrix = np.concatenate([np.stack([ones, zeros, -au], 1), np.stack([zeros, ones, -bu], 1)])
        target = np.concatenate([au * Z - X, bu * Z - Y])
        t, *_ = np.linalg.lstsq(matrix, target, rcond=None)
        if np.isfinite(t).all() and t[2] > 0.3:
            return (world + t).astype(np.float32)
    depth = 3.0
    centre = np.array([np.nanmean(a) * depth, np.nanmean(b) * depth, depth]) if np.isfinite(a).any() else \
        np.array([0.0, 0.0, depth])
    return (world + centre).astype(np.float32)


def image_centre(image_xy: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """(2,) mean image position of a body's visible landmarks (all of them when none is visible)."""
    seen = visibility >= MIN_WEIGHT
    points = image_xy[seen] if seen.sum() >= 3 else image_xy
    return np.nanmean(points, axis=0)


@dataclass
class SlotConfig:
    num_slots: int = 2  # NTU's body slots
    new_body_cost: float = 0.2  # image widths: a body farther than this from a slot's last one prefers a free slot
    forget_after_s: float = 1.0  # a slot whose body was not seen for this long is free again


class BodySlots:
    """Keeps each person in the same body slot from frame to frame by image position.

    assign() takes the image centres of one frame's bodies (any order) and returns each one's slot: the
    assignment of the smallest total distance to the slots' last centres, where putting a body into a free slot
    costs new_body_cost. A slot is freed once its body has been missing for forget_after_s; when slot 0 is freed
    while slot 1 holds a body, that body moves up, because the model's preprocessing keeps only frames with a
    first body (as the Kinect body selector does).
    """

    def __init__(self, config: SlotConfig = SlotConfig()):
        self.config = config
        self._centres: list[np.ndarray | None] = [None] * config.num_slots
        self._seen: list[float] = [0.0] * config.num_slots
        self.swaps_up = 0  # times a body moved up from slot 1 to slot 0

    def assign(self, centres: list[np.ndarray], timestamp: float) -> list[int]:
        """centres: (2,) image position of each body of this frame, as fractions of the width and height (at
        most num_slots of them) -> the slot of each, in the same order."""
        config = self.config
        assert len(centres) <= config.num_slots, f"{len(centres)} bodies for {config.num_slots} slots"
        for slot in range(config.num_slots):
            if self._centres[slot] is not None and timestamp - self._seen[slot] > config.forget_after_s:
                self._centres[slot] = None
        if self._centres[0] is None and any(c is not None for c in self._centres[1:]):
            first = next(s for s in range(1, config.num_slots) if self._centres[s] is not None)
            self._centres[0], self._centres[first] = self._centres[first], None
            self._seen[0] = self._seen[first]
            self.swaps_up += 1

        def cost(body: int, slot: int) -> float:
            last = self._centres[slot]
            return config.new_body_cost if last is None else float(np.linalg.norm(centres[body] - last))

        best, best_cost = None, np.inf
        for slots in _injections(len(centres), config.num_slots):
            total = sum(cost(body, slot) for body, slot in enumerate(slots))
            # A new body goes to the lowest free slot: among equal costs the first assignment found is kept.
            if total < best_cost - 1e-12:
                best, best_cost = slots, total
        slots = list(best or [])
        if slots and 0 not in slots and self._centres[0] is None:
            # Nobody for slot 0 yet: the body of the lowest slot takes it, so the first body is always filled.
            lowest = int(np.argmin(slots))
            slots[lowest] = 0
        for body, slot in enumerate(slots):
            self._centres[slot] = np.asarray(centres[body], np.float64)
            self._seen[slot] = timestamp
        return slots

    def reset(self):
        self._centres = [None] * self.config.num_slots
        self._seen = [0.0] * self.config.num_slots


def _injections(count: int, slots: int):
    """Every way of giving `count` bodies distinct slots among `slots` (ordered tuples), lowest slots first."""
    if count == 0:
        yield ()
        return
    for first in range(slots):
        for rest in _injections(count - 1, slots):
            if first not in rest:
                yield (first, *rest)
