"""Training: augmentation, encoder pretraining, head training, fine-tuning, training arrays, experiment set-up
and zero-shot protocols (splits).

Imports core.skeleton, core.readers and core.model."""
