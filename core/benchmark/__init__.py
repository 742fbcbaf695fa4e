"""Measurements: the zero-shot benchmark, its ablation and honest text-mode selection, domain gap, confusion image.

Imports every package below it (skeleton, readers, model, training, live, clips); only core.commands imports it."""
