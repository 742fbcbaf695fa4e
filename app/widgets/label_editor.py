"""Label list editor: type a name + Enter to add, optional description, rename, delete, reorder, presets, files, undo."""

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.widgets.label_sources import (
    LABEL_FILE_FILTER,
    UNDO_HINT,
    build_preset_menu,
    left_out_message,
    preset_added,
    preset_replacing,
    read_labels,
    split_too_long,
    write_label_file,
)
from app.widgets.label_table import DESCRIPTION, NAME, SCORE, LabelTable
from app.widgets.label_text import MAX_LABEL_LENGTH, quoted, too_long_message
from core.live.scorer import SCORED_STATES
from core.readers.labels import LabelSpec, label_key

UNDO_STEPS = 50  # label lists kept for Undo


class LabelEditor(QWidget):
    """The candidate classes the scorer ranks. Every change emits sig_labels_changed(list[LabelSpec]) and can
    be undone, step by step, back to the list the editor was given."""

    sig_labels_changed = pyqtSignal(list)
    sig_renamed = pyqtSignal(str, str)  # (old name, new name): the label's examples go with it
    sig_selected = pyqtSignal(str)  # the current label's name ("" when none)
    sig_exported = pyqtSignal(str, list)  # (label file, labels): their examples are written beside it
    sig_imported = pyqtSignal(str)  # a label file read: examples beside it are read too

    def __init__(self, parent=None):
        super().__init__(parent)
        self.name_edit = QLineEdit(placeholderText="Type an action, press Enter (e.g. wave the right hand)")
        self.name_edit.setToolTip(f"A label has at most {MAX_LABEL_LENGTH} characters")
        self.description_edit = QLineEdit(placeholderText="Optional: how the body moves")
        self.name_edit.returnPressed.connect(self._add_typed)
        self.description_edit.returnPressed.connect(self._add_typed)
        self.tree = LabelTable()
        self.tree.itemChanged.connect(self._item_edited)
        self.tree.sig_reordered.connect(self._emit)
        self.tree.currentItemChanged.connect(
            lambda item, _previous: self.sig_selected.emit(item.text(NAME) if item is not None else ""))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.count_label = QLabel("")

        # Del only in the table; Ctrl+Z anywhere in the editor (a focused line edit undoes its own typing first).
        for owner, key, slot in ((self.tree, QKeySequence.StandardKey.Delete, self.remove_selected),
                                 (self, QKeySequence.StandardKey.Undo, self.undo)):
            action = QAction(owner, shortcut=QKeySequence(key),
                             shortcutContext=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            owner.addAction(action)

        buttons = QHBoxLayout()
        for text, tip, slot in (("▲", "Move the selected label up", lambda: self.move_selected(-1)),
                                ("▼", "Move the selected label down", lambda: self.move_selected(1)),
                                ("Rename", "Rename the selected label (or double-click it)", self.rename_selected),
                                ("Delete", "Delete the selected labels (Del)", self.remove_selected),
                                ("Undo", "Undo the last change to the list (Ctrl+Z)", self.undo),
                                ("Import…", ("Replace the list with a text file: one label a line, "
                                             "name<TAB>description (Undo brings the list back)"), self.import_dialog),
                                ("Export…", "Save the list as a text file", self.export_dialog)):
            button = QToolButton(text=text, toolTip=tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        self.preset_button = QToolButton(text="Presets", toolTip="Add a dataset's classes to the list, "
                                                                  "or replace the list with them")
        self.preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_button.setMenu(build_preset_menu(self.preset_button, self.add_preset, self.load_preset))
        buttons.addWidget(self.preset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.description_edit)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._result = None  # the newest result whose scores are not shown yet
        self._emitted: list[LabelSpec] = []  # the list as last announced: what the next change can go back to
        self._undo: list[list[LabelSpec]] = []  # earlier lists, oldest first

    # ---- reading ----
    def labels(self) -> list[LabelSpec]:
        return self.tree.labels()

    def names(self) -> list[str]:
        return self.tree.names()

    def score_text(self, name: str) -> str:
        return self.tree.score_text(name)

    def show_example_counts(self, counts: dict[str, int]):
        self.tree.show_example_counts(counts)

    # ---- editing ----
    def set_labels(self, labels, emit: bool = True):
        """Replace the list (names or LabelSpecs; repeated names and names over MAX_LABEL_LENGTH are dropped).
        emit=False sets the starting list: nothing is announced and Undo goes back no further."""
        specs, seen = [], set()
        for label in labels:
            label = label if isinstance(label, LabelSpec) else LabelSpec(str(label))
            if label_key(label.name) not in seen:
                seen.add(label_key(label.name))
                specs.append(label)
        specs, too_long = split_too_long(specs)
        self.tree.fill(specs)
        if too_long:
            self.message.setText(left_out_message(too_long))
        if emit:
            self._emit()
        else:
            self._emitted, self._undo = self.labels(), []
            self._update_count()

    def _name_problem(self, name: str, item: QTreeWidgetItem | None = None) -> str | None:
        """Why `name` cannot be a label (for `item`, when it renames one), or None."""
        if not name:
            return "A label needs a name." if item is not None else "Type a label first."
        if len(name) > MAX_LABEL_LENGTH:
            return too_long_message(name)
        other = self.tree.find(name)
        if other is not None and other is not item:
            return f"“{quoted(name)}” is already in the list."
        return None

    def add_label(self, name: str, description: str | None = None) -> bool:
        name = " ".join(name.split())
        problem = self._name_problem(name)
        if problem:
            self.message.setText(problem)
            return False
        label = LabelSpec(name, description or None)
        self.tree.blockSignals(True)
        item = self.tree.new_item(label)
        self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self.tree.fit_columns()
        self.tree.scrollToItem(item)
        self.message.setText(f"Added “{quoted(label.name)}”.")
        self._emit()
        return True

    def _add_typed(self):
        if self.add_label(self.name_edit.text(), self.description_edit.text().strip() or None):
            self.name_edit.clear()
            self.description_edit.clear()
            self.name_edit.setFocus()

    def remove_label(self, name: str) -> bool:
        item = self.tree.find(name)
        if item is None:
            return False
        self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._emit()
        return True

    def remove_selected(self):
        items = self.tree.selectedItems()
        for item in items:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        if items:
            self.message.setText(f"Deleted {len(items)} label{'s' if len(items) > 1 else ''}. {UNDO_HINT}")
            self._emit()

    def rename_label(self, old: str, new: str) -> bool:
        item = self.tree.find(old)
        if item is None:
            return False
        item.setText(NAME, new)  # goes through _item_edited, which validates
        return item.text(NAME) == " ".join(new.split())

    def rename_selected(self):
        item = self.tree.currentItem()
        if item is not None:
            self.tree.editItem(item, NAME)

    def move_label(self, name: str, offset: int):
        item = self.tree.find(name)
        if item is None:
            return
        row = self.tree.indexOfTopLevelItem(item)
        target = min(max(row + offset, 0), self.tree.topLevelItemCount() - 1)
        if target != row:
            self.tree.blockSignals(True)
            self.tree.takeTopLevelItem(row)
            self.tree.insertTopLevelItem(target, item)
            self.tree.blockSignals(False)
            self.tree.setCurrentItem(item)
            self._emit()

    def move_selected(self, offset: int):
        item = self.tree.currentItem()
        if item is not None:
            self.move_label(item.text(NAME), offset)

    def _item_edited(self, item: QTreeWidgetItem, column: int):
        if column == SCORE:
            return
        accepted = item.data(NAME, Qt.ItemDataRole.UserRole)
        if column == NAME:
            name = " ".join(item.text(NAME).split())
            problem = self._name_problem(name, item)
            self.tree.blockSignals(True)
            item.setText(NAME, accepted if problem else name)
            if not problem:
                item.setData(NAME, Qt.ItemDataRole.UserRole, name)
            self.tree.blockSignals(False)
            if problem:
                self.message.setText(problem)
                return
            if name == accepted:
                return
            self.message.setText(f"Renamed “{quoted(accepted)}” to “{quoted(name)}”.")
            self.sig_renamed.emit(accepted, name)
            self.sig_selected.emit(name)
        self.tree.blockSignals(True)
        self.tree.update_tooltips(item)
        self.tree.blockSignals(False)
        if column == DESCRIPTION:
            self.tree.fit_columns()
        self._emit()

    def undo(self) -> bool:
        """Go back to the list before the last change."""
        if not self._undo:
            self.message.setText("Nothing to undo.")
            return False
        previous = self._undo.pop()
        self.tree.fill(previous)
        self._emitted = self.labels()
        self._update_count()
        self.message.setText(f"Undone: back to {self._count_text()}.")
        self.sig_labels_changed.emit(self.labels())
        return True

    # ---- presets and files ----
    def load_preset(self, preset: str):
        """Replace the list with a preset (Undo brings the old list back)."""
        labels, message = preset_replacing(preset, len(self.labels()))
        self.set_labels(labels)
        self.message.setText(message)

    def add_preset(self, preset: str):
        """Append the preset's labels the list does not have yet."""
        labels, message = preset_added(preset, self.labels())
        self.set_labels(labels)
        self.message.setText(message)

    def import_file(self, path) -> bool:
        """Replace the list with a label file's (Undo brings the old list back); False if nothing was read."""
        labels, message = read_labels(path)
        if labels:
            self.set_labels(labels)
            self.sig_imported.emit(str(path))
        self.message.setText(message)
        return bool(labels)

    def export_file(self, path):
        write_label_file(path, self.labels())
        self.message.setText(f"Saved {len(self.labels())} labels to {Path(path).name}.")
        self.sig_exported.emit(str(path), self.labels())

    def import_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self, "Import labels", "", LABEL_FILE_FILTER)
        if path:
            self.import_file(path)

    def export_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self, "Export labels", "labels.txt", LABEL_FILE_FILTER)
        if path:
            self.export_file(path)

    # ---- scores ----
    def set_scores(self, result):
        """Store a core LiveResult; refresh() shows each label's raw score, the best in bold (not scored: blank)."""
        self._result = result

    def refresh(self) -> bool:
        result, self._result = self._result, None
        if result is None:
            return False
        scores = result.scores if result.state in SCORED_STATES else {}
        self.tree.show_scores(scores, result.top[0]["label"] if scores and result.top else None)
        return True

    def _count_text(self) -> str:
        count = self.tree.topLevelItemCount()
        return f"{count} label{'s' if count != 1 else ''}"

    def _update_count(self):
        self.count_label.setText(self._count_text())

    def _emit(self):
        """Announce the list; the one announced before goes on the undo stack."""
        labels = self.labels()
        if labels != self._emitted:
            self._undo = (self._undo + [self._emitted])[-UNDO_STEPS:]
            self._emitted = labels
        self._update_count()
        self.sig_labels_changed.emit(labels)
