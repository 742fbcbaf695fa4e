"""The live pipeline: capture sources, ring buffer, scorer worker, engine and the recognizer facade.

Imports core.skeleton, core.readers and core.model; nothing of training, clips or benchmarks."""
