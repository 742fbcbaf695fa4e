"""Labelled clip folders: the folder format, recording into it, scoring a folder, and whole videos to skeletons.

Imports core.skeleton, core.readers, core.model and core.live (the recognizer and the MediaPipe source)."""
