"""Recorded examples of a label -> the encoder features they are scored by: each example's live windows plus the
whole example, so a query window is compared with every part of the action, not only its middle."""

from dataclasses import dataclass

import numpy as np

from core.live.clip_windows import live_windows
from core.skeleton.motion import keyframes, motion_attention
from core.skeleton.preprocess import PreprocessConfig, normalize_sequence

EXAMPLE_STRIDE_SECONDS = 0.5  # windows cut from an example this often: a 2-s example gives 1, a 5-s one 7


@dataclass(frozen=True)
class ExampleClip:
    """One example of a label: frames (T, M, 25, 3) metres, valid (T, M, 25), timestamps (T,) seconds.
    `key` names this version of the example (its file, size and modification time) so features are cached."""

    key: str
    label: str
    joints: np.ndarray
    valid: np.ndarray
    timestamps: np.ndarray


def example_windows(example: ExampleClip, config: PreprocessConfig, window_seconds: float,
                    stride_seconds: float = EXAMPLE_STRIDE_SECONDS) -> np.ndarray:
    """(W, 3, T, 25, M) normalised windows of one example: its live windows and the whole clip. Windows with
    fewer than two frames of a body are dropped; ValueError (naming the example) when nothing is left."""
    windows = []
    for window in live_windows(example.joints, example.valid, example.timestamps, window_seconds, stride_seconds,
                               config.num_frames):
        if window.body_present[:, 0].sum() >= 2:
            windows.append(normalize_sequence(window.joints, window.valid, config, source=example.key))
    frames_with_body = int(np.asarray(example.valid)[:, 0].any(axis=-1).sum()) if len(example.valid) else 0
    if frames_with_body >= 2 and example.timestamps[-1] - example.timestamps[0] > window_seconds:
        windows.append(normalize_sequence(example.joints, example.valid, config, source=example.key))
    if not windows:
        raise ValueError(f"example {example.key}: no two frames with a person in it")
    return np.stack(windows).astype(np.float32)


class ExampleFeatureCache:
    """Features and attribute measurements per example key, computed once per version of an example (a new
    recording, not every label edit, costs an encoder call). Not thread-safe: the recognizer uses it under its
    label lock."""

    def __init__(self, limit: int = 2000):
        self._features: dict[str, np.ndarray] = {}
        self._measurements: dict[str, dict] = {}
        self._limit = limit

    def _cached(self, store: dict, key: str, compute):
        if key not in store:
            if len(store) >= self._limit:
                store.pop(next(iter(store)))
            store[key] = compute()
        return store[key]

    def features(self, example: ExampleClip, encode, config: PreprocessConfig, window_seconds: float) -> np.ndarray:
        """(W, F) float32 features of the example's windows; encode: (N, 3, T, 25, M) -> (N, F)."""
        return self._cached(self._features, example.key, lambda: np.asarray(
            encode(example_windows(example, config, window_seconds)), np.float32))

    def measurement(self, example: ExampleClip, config: PreprocessConfig) -> dict:
        """The whole example's attribute measurement (core.model.attribute_term.measure_window)."""
        # imported on use: the attribute vocabulary is only read when examples are
        from core.model.attribute_term import measure_window

        def measure():
            whole = normalize_sequence(example.joints, example.valid, config, source=example.key)
            return measure_window(example.joints, example.valid, whole, config)

        return self._cached(self._measurements, example.key, measure)


def example_keyframes(example: ExampleClip, config: PreprocessConfig, count: int = 15):
    """What the app shows of an example: (motion attention (T,), keyframe indexes (K,), keyframe poses
    (K, M, 25, 3) normalised) of the whole example as the model sees it."""
    x = normalize_sequence(example.joints, example.valid, config, source=example.key)  # (3, T, 25, M)
    attention = motion_attention(x)
    frames = keyframes(x, count)
    return attention, frames, np.ascontiguousarray(x[:, frames].transpose(1, 3, 2, 0))
