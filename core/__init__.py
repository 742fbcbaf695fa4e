"""SMIE Live core: skeleton data, models, training, evaluation and the live engine (no UI)."""

__version__ = "0.1.0"
