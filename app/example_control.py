"""QObject around core.clips.example_library: record, add, delete and rename the labels' examples on a worker
thread and hand the scorer the examples after every change."""

import logging
import queue
import threading
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from app.recording_control import RecordingControl
from core.clips.example_library import ExampleLibrary, examples_folder_for
from core.live.example_features import example_keyframes
from core.live.scorer import ErrorEvent
from core.readers.labels import label_key

log = logging.getLogger(__name__)


class ExampleControl(QObject):
    """Examples live in an ExampleLibrary folder. Every change (a recording saved, the last seconds added, an
    example deleted, a label renamed, examples imported) re-reads the library on the worker thread and emits
    sig_examples(list of ExampleClip, problems: list[str]) for the scorer and sig_counts(dict label_key -> n).

    Countdown recordings use the recording panel's machinery (RecordingControl) with the library as folder:
    add_frame() on the capture thread feeds it. sig_recording(path) / sig_saved(entry or None, why) as there;
    sig_keyframes(file, attention, keyframes, poses) answers show(); sig_error(ErrorEvent) for failures."""

    sig_examples = pyqtSignal(list, list)
    sig_counts = pyqtSignal(dict)
    sig_keyframes = pyqtSignal(str, object, object, object)
    sig_error = pyqtSignal(object)

    def __init__(self, folder: str | Path, parent=None):
        super().__init__(parent)
        self.folder = Path(folder).expanduser()
        self.library: ExampleLibrary | None = None
        self.recorder = RecordingControl(self)
        self.recorder.sig_saved.connect(lambda entry, _why: self.reload())
        self.recorder.sig_error.connect(self.sig_error)
        self.preprocess_config = None  # the model's, for keyframes (set by the window once a model is loaded)
        self._commands: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="smie-examples", daemon=True)
        self._worker.start()
        self.reload()

    # ---- GUI thread: every call returns at once ----
    def reload(self):
        self._commands.put(("reload",))

    def record(self, label: str, source: str = ""):
        """Start recording an example of `label` now (the panel ran the countdown); stop() ends it."""
        self._commands.put(("record", label, source))

    def stop(self, reason: str = ""):
        self.recorder.stop(reason)

    def add_frames(self, label: str, frames, source: str = ""):
        """frames: (joints, valid, timestamps) the app holds, e.g. the last 2 s of the source."""
        self._commands.put(("add", label, frames, source))

    def delete(self, file: str):
        self._commands.put(("delete", file))

    def rename(self, old: str, new: str):
        if label_key(old) != label_key(new):
            self._commands.put(("rename", old, new))

    def export_beside(self, list_file, labels):
        """Write the examples of `labels` beside an exported label list (list.examples/)."""
        self._commands.put(("export", Path(list_file), list(labels)))

    def import_beside(self, list_file):
        """Read the examples an exported label list has beside it, if any."""
        self._commands.put(("import", Path(list_file)))

    def show(self, file: str):
        self._commands.put(("keyframes", file))

    def entries(self, label: str):
        """The finished examples of `label` (manifest rows), read on the calling thread: a small CSV."""
        return self.library.entries(label) if self.library is not None else []

    def add_frame(self, frame):
        self.recorder.add_frame(frame)

    def shutdown(self, timeout: float = 2.0) -> bool:
        self._commands.put(("quit",))
        self._worker.join(timeout)
        return self.recorder.shutdown(timeout) and not self._worker.is_alive()

    # ---- worker thread ----
    def _run(self):
        while True:
            command = self._commands.get()
            if command[0] == "quit":
                return
            try:
                self._do(*command)
            except Exception as error:  # a bad folder, a full disk, an unreadable file: said, the worker carries on
                log.exception("examples: %s failed", command[0])
                self.sig_error.emit(ErrorEvent("examples", f"{type(error).__name__}: {error}"))

    def _do(self, action: str, *args):
        if self.library is None:
            if action == "reload" and not self.folder.is_dir():  # made with the first example, not before
                self.sig_examples.emit([], [])
                self.sig_counts.emit({})
                return
            self.library = ExampleLibrary(self.folder)
        if action == "record":
            label, source = args
            self.recorder.start(self.library.path, label, source)
            return
        if action == "keyframes":
            self._keyframes(*args)
            return
        if action == "add":
            label, (joints, valid, timestamps), source = args
            self.library.add(label, joints, valid, timestamps, source=source or "the last seconds of the source")
        elif action == "delete":
            self.library.delete(*args)
        elif action == "rename":
            self.library.rename(*args)
        elif action == "export":
            list_file, labels = args
            self.library.export_to(examples_folder_for(list_file), labels)
            return
        elif action == "import":
            folder = examples_folder_for(args[0])
            if not folder.is_dir():
                return
            _, problems = self.library.import_from(folder)
            for problem in problems:
                self.sig_error.emit(ErrorEvent("examples", f"not imported: {problem}"))
        loaded = self.library.load()
        self.sig_examples.emit(loaded.examples, loaded.problems)
        self.sig_counts.emit(self.library.counts())

    def _keyframes(self, file: str):
        entry = next((e for e in self.library.entries() if e.file == file), None)
        if entry is None or self.preprocess_config is None:
            return
        attention, frames, poses = example_keyframes(self.library.example(entry), self.preprocess_config)
        self.sig_keyframes.emit(file, attention, frames, poses)
