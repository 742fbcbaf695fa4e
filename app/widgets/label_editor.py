"""Label list editor: type a name + Enter to add, optional description, rename, delete, reorder, presets, files."""

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction, QFont, QKeySequence
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.readers.label_presets import load_preset, preset_names, read_label_file
from core.readers.labels import LabelSpec, label_key

NAME, DESCRIPTION, SCORE = range(3)  # columns
PRESET_TITLES = {"ntu60": "NTU RGB+D 60", "ntu120": "NTU RGB+D 120", "pku_mmd": "PKU-MMD", "utd_mhad": "UTD-MHAD",
                 "msr_action3d": "MSR Action3D", "utkinect": "UTKinect-Action3D", "gtu": "GTU Action 3D"}
LABEL_FILE_FILTER = "Label files (*.txt *.tsv);;All files (*)"


def write_label_file(path, labels: list[LabelSpec]):
    """The format read_label_file reads: one label a line, `name<TAB>description` when it has one."""
    lines = [f"{label.name}\t{label.description}" if label.description else label.name for label in labels]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


class _LabelTree(QTreeWidget):
    """A flat tree whose rows can be dragged into a new order; tells when a drop reordered them."""

    sig_reordered = pyqtSignal()

    def dropEvent(self, event):
        super().dropEvent(event)
        self.sig_reordered.emit()


class LabelEditor(QWidget):
    """The candidate classes the scorer ranks. Every change emits sig_labels_changed(list[LabelSpec])."""

    sig_labels_changed = pyqtSignal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.name_edit = QLineEdit(placeholderText="Type an action, press Enter (e.g. wave the right hand)")
        self.description_edit = QLineEdit(placeholderText="Optional: how the body moves")
        self.name_edit.returnPressed.connect(self._add_typed)
        self.description_edit.returnPressed.connect(self._add_typed)
        self.tree = _LabelTree()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Label", "Description", "Score"])
        self.tree.headerItem().setToolTip(SCORE, "Raw model score of the newest window (higher = more likely)")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)  # score updates then repaint without measuring every row
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.tree.header()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SCORE, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.setColumnWidth(NAME, 170)
        self.tree.itemChanged.connect(self._item_edited)
        self.tree.sig_reordered.connect(self._emit)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.count_label = QLabel("")

        delete = QAction("Delete", self, shortcut=QKeySequence(QKeySequence.StandardKey.Delete),
                         shortcutContext=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        delete.triggered.connect(self.remove_selected)
        self.tree.addAction(delete)
        buttons = QHBoxLayout()
        for text, tip, slot in (("▲", "Move the selected label up", lambda: self.move_selected(-1)),
                                ("▼", "Move the selected label down", lambda: self.move_selected(1)),
                                ("Rename", "Rename the selected label (or double-click it)", self.rename_selected),
                                ("Delete", "Delete the selected labels (Del)", self.remove_selected),
                                ("Import…", "Replace the list with a text file: one label a line, "
                                            "name<TAB>description", self.import_dialog),
                                ("Export…", "Save the list as a text file", self.export_dialog)):
            button = QToolButton(text=text, toolTip=tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        self.preset_button = QToolButton(text="Presets", toolTip="Replace the list with a dataset's classes")
        self.preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.preset_button)
        for preset in preset_names():
            menu.addAction(PRESET_TITLES.get(preset, preset), lambda preset=preset: self.load_preset(preset))
        self.preset_button.setMenu(menu)
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
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._result = None  # the newest result whose scores are not shown yet

    # ---- reading ----
    def labels(self) -> list[LabelSpec]:
        specs = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            specs.append(LabelSpec(item.text(NAME), item.text(DESCRIPTION).strip() or None))
        return specs

    def names(self) -> list[str]:
        return [self.tree.topLevelItem(i).text(NAME) for i in range(self.tree.topLevelItemCount())]

    def _find(self, name: str) -> QTreeWidgetItem | None:
        key = label_key(name)
        for i in range(self.tree.topLevelItemCount()):
            if label_key(self.tree.topLevelItem(i).text(NAME)) == key:
                return self.tree.topLevelItem(i)
        return None

    def score_text(self, name: str) -> str:
        item = self._find(name)
        return item.text(SCORE) if item is not None else ""

    # ---- editing ----
    def _new_item(self, label: LabelSpec) -> QTreeWidgetItem:
        item = QTreeWidgetItem([label.name, label.description or "", ""])
        item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
                      | Qt.ItemFlag.ItemIsEnabled)
        item.setData(NAME, Qt.ItemDataRole.UserRole, label.name)  # the accepted name, restored on a bad rename
        item.setToolTip(NAME, label.description or label.name)
        item.setTextAlignment(SCORE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def set_labels(self, labels, emit: bool = True):
        """Replace the list (names or LabelSpecs; repeated names are dropped)."""
        self.tree.blockSignals(True)
        self.tree.clear()
        seen = set()
        for label in labels:
            label = label if isinstance(label, LabelSpec) else LabelSpec(str(label))
            if label_key(label.name) not in seen:
                seen.add(label_key(label.name))
                self.tree.addTopLevelItem(self._new_item(label))
        self.tree.blockSignals(False)
        if emit:
            self._emit()
        else:
            self._update_count()

    def add_label(self, name: str, description: str | None = None) -> bool:
        if not name.strip():
            self.message.setText("Type a label first.")
            return False
        if self._find(name) is not None:
            self.message.setText(f"“{name.strip()}” is already in the list.")
            return False
        label = LabelSpec(name, description or None)
        self.tree.blockSignals(True)
        item = self._new_item(label)
        self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        self.tree.scrollToItem(item)
        self.message.setText(f"Added “{label.name}”.")
        self._emit()
        return True

    def _add_typed(self):
        if self.add_label(self.name_edit.text(), self.description_edit.text().strip() or None):
            self.name_edit.clear()
            self.description_edit.clear()
            self.name_edit.setFocus()

    def remove_label(self, name: str) -> bool:
        item = self._find(name)
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
            self.message.setText(f"Deleted {len(items)} label{'s' if len(items) > 1 else ''}.")
            self._emit()

    def rename_label(self, old: str, new: str) -> bool:
        item = self._find(old)
        if item is None:
            return False
        item.setText(NAME, new)  # goes through _item_edited, which validates
        return item.text(NAME) == " ".join(new.split())

    def rename_selected(self):
        item = self.tree.currentItem()
        if item is not None:
            self.tree.editItem(item, NAME)

    def move_label(self, name: str, offset: int):
        item = self._find(name)
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
            other = self._find(name)
            problem = ("A label needs a name." if not name else
                       f"“{name}” is already in the list." if other is not None and other is not item else None)
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
            self.message.setText(f"Renamed “{accepted}” to “{name}”.")
        self._emit()

    # ---- presets and files ----
    def load_preset(self, preset: str):
        labels = load_preset(preset)
        self.set_labels(labels)
        self.message.setText(f"Loaded {PRESET_TITLES.get(preset, preset)}: {len(labels)} labels.")

    def import_file(self, path) -> bool:
        try:
            labels = read_label_file(path)
        except ValueError as error:
            self.message.setText(str(error))
            return False
        if not labels:
            self.message.setText(f"{path}: no labels in the file.")
            return False
        self.set_labels(labels)
        self.message.setText(f"Imported {len(labels)} labels from {Path(path).name}.")
        return True

    def export_file(self, path):
        write_label_file(path, self.labels())
        self.message.setText(f"Saved {len(self.labels())} labels to {Path(path).name}.")

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
        scores = result.scores if result.state == "ok" else {}
        best = result.top[0]["label"] if scores and result.top else None
        self.tree.blockSignals(True)
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            score = scores.get(item.text(NAME))
            text = "" if score is None else f"{score:+.2f}"
            if item.text(SCORE) != text:
                item.setText(SCORE, text)
            bold = item.text(NAME) == best
            if item.font(NAME).bold() != bold:
                item.setFont(NAME, self._bold if bold else self.font())
        self.tree.blockSignals(False)
        return True

    def _update_count(self):
        count = self.tree.topLevelItemCount()
        self.count_label.setText(f"{count} label{'s' if count != 1 else ''}")

    def _emit(self):
        self._update_count()
        self.sig_labels_changed.emit(self.labels())
