"""Text of the classes a head trains and is tested on, for each text mode (names, descriptions, mixed)."""

import numpy as np

from core.model.text import embed_labels
from core.readers.label_presets import describe
from core.readers.labels import LabelSpec

TEXT_MODES = ("names", "descriptions", "mixed")  # mixed: trained on names and on descriptions, tested on the latter


def label_text(text_encoder, names: list[str], use_descriptions: bool, templates=("{label}",)) -> np.ndarray:
    """(L, D) embeddings of class names, each averaged over the prompt templates (and its description)."""
    specs = [LabelSpec(name, describe(name) if use_descriptions else None) for name in names]
    return embed_labels(text_encoder, specs, templates=templates, use_descriptions=use_descriptions)


def class_text(text_encoder, names: list[str], mode: str, templates=("{label}",)) -> np.ndarray:
    """Training text of classes for a text mode: (C, D), or (2, C, D) names and descriptions for "mixed"."""
    if mode not in TEXT_MODES:
        raise ValueError(f"unknown text mode {mode!r}; known: {TEXT_MODES}")
    if mode == "mixed":
        return np.stack([label_text(text_encoder, names, False, templates),
                         label_text(text_encoder, names, True, templates)])
    return label_text(text_encoder, names, mode == "descriptions", templates)


def train_and_test_text(text_encoder, seen_names, unseen_names, mode: str,
                        templates=("{label}",)) -> tuple[np.ndarray, np.ndarray]:
    """(seen text (C, D) or (2, C, D) for mixed, unseen text (U, D)) for a text mode and prompt templates."""
    return (class_text(text_encoder, seen_names, mode, templates),
            label_text(text_encoder, unseen_names, mode != "names", templates))
