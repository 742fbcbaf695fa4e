"""The window's widgets: video with skeleton, predictions, timeline, attention, label editor, panels."""
