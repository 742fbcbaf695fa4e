"""Wires the Examples panel, the label editor and the engine bridge to ExampleControl: which label's examples
are shown, how new ones are taken from the running source, and how every change reaches the scorer."""

from PyQt6.QtCore import QObject

from app.example_control import ExampleControl
from core.clips.example_library import DEFAULT_EXAMPLE_FOLDER


class ExampleWiring(QObject):
    """Lives on the GUI thread: ExampleControl's signals come from its worker thread, and reaching bound methods
    of this object makes Qt deliver them here (queued), where the widgets may be touched."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.control = ExampleControl(window.settings.example_folder or DEFAULT_EXAMPLE_FOLDER, self)
        self.panel, editor, bridge = window.example_panel, window.label_editor, window.bridge
        self.bridge = bridge
        editor.sig_selected.connect(self.show_label)
        editor.sig_renamed.connect(self.control.rename)
        editor.sig_exported.connect(self.control.export_beside)
        editor.sig_imported.connect(self.control.import_beside)
        self.control.sig_counts.connect(self.counts_changed)
        self.control.sig_examples.connect(self.examples_changed)
        self.control.sig_keyframes.connect(self.panel.show_keyframes)
        self.control.sig_error.connect(window.on_error)
        self.control.recorder.sig_saved.connect(self.saved)
        self.panel.sig_record.connect(self.record)
        self.panel.sig_stop.connect(self.control.stop)
        self.panel.sig_use_last.connect(self.use_last)
        self.panel.sig_delete.connect(self.control.delete)
        self.panel.sig_show.connect(self.control.show)
        bridge.sig_started.connect(self.started)
        bridge.sig_stopped.connect(self.stopped)

    def _source_name(self) -> str:
        return self.bridge.run_info.source if self.bridge.run_info else ""

    def show_label(self, name: str):
        self.panel.set_label(name)
        self.panel.show_entries(self.control.entries(name) if name else [])

    def counts_changed(self, counts: dict):
        self.window.label_editor.show_example_counts(counts)
        self.show_label(self.panel.label)

    def examples_changed(self, examples: list, problems: list):
        self.bridge.set_examples(examples)
        if problems:
            self.window.banner.show_message(f"{len(problems)} example(s) not used: " + "; ".join(problems[:3]),
                                            "warning")

    def saved(self, entry, _why: str):
        self.panel.example_saved(entry)

    def record(self, label: str):
        self.control.record(label, self._source_name())

    def use_last(self, label: str, seconds: float):
        frames = self.bridge.last_frames(seconds)
        if frames is None:
            self.panel.status.setText("No frames yet: start a source first.")
            return
        self.control.add_frames(label, frames, self._source_name())
        self.panel.status.setText(f"Keeping the last {seconds:g} s as an example…")

    def started(self, _info):
        self.panel.set_source_running(True)
        recognizer = self.bridge.recognizer
        self.control.preprocess_config = recognizer.preprocess_config if recognizer is not None else None

    def stopped(self, _reason: str):
        self.panel.set_source_running(False)
        self.control.stop("the source stopped")
