"""Dataset and file readers and writers, the dataset registry, the parse cache, label presets and class names.

Imports core.skeleton and the loose leaf modules (errors, paths); no model, training or live code."""
