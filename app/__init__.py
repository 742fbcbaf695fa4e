"""smie-live desktop app: PyQt6 + pyqtgraph widgets and the wiring to core's live engine."""
