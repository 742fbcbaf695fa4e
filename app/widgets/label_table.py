"""The label editor's table: one row per label (name, description, examples, raw score), drag to reorder, sized
to fit."""

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from core.readers.labels import LabelSpec, label_key

NAME, DESCRIPTION, EXAMPLES, SCORE = range(4)  # columns
SCORE_TOOLTIP = ("The model's raw score for each label on the newest window: higher means more likely. Scores "
                 "are only compared with each other, so negative values are normal; the prediction bars show "
                 "them as probabilities.")
EXAMPLES_TOOLTIP = ("Recorded examples of the label (Examples panel): a label with examples is scored by its "
                    "name and by how alike the movement is to them")
EMPTY_DESCRIPTION_WIDTH = 96  # pixels: room for the header while no label has a description
NAME_SHARE = 0.55  # with descriptions, names get up to this share of the width and descriptions the rest


def name_tooltip(label: LabelSpec) -> str:
    """The full name (the cell may elide it) and the description under it."""
    return f"{label.name}\n\n{label.description}" if label.description else label.name


class LabelTable(QTreeWidget):
    """A flat tree of labels. Rows can be dragged into a new order (sig_reordered); long names are elided in
    the cell and shown in full as the row's tooltip. Names come first: with no description in the list the name
    column takes all the width; with some, it fits the names (up to NAME_SHARE) and descriptions take the rest."""

    sig_reordered = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(4)
        self.setHeaderLabels(["Label", "Description", "Examples", "Raw score"])
        self.headerItem().setToolTip(SCORE, SCORE_TOOLTIP)
        self.headerItem().setToolTip(EXAMPLES, EXAMPLES_TOOLTIP)
        self._example_counts: dict[str, int] = {}
        self.headerItem().setToolTip(DESCRIPTION, "Optional: how the body moves (double-click to edit); "
                                                  "the model reads it with the name")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)  # score updates then repaint without measuring every row
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(SCORE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(EXAMPLES, QHeaderView.ResizeMode.ResizeToContents)
        self.setColumnHidden(EXAMPLES, True)  # shown once a label has examples: names keep the room until then
        self.fit_columns()
        self._bold = QFont(self.font())
        self._bold.setBold(True)

    def dropEvent(self, event):
        super().dropEvent(event)
        self.sig_reordered.emit()

    # ---- reading ----
    def rows(self) -> list[QTreeWidgetItem]:
        return [self.topLevelItem(i) for i in range(self.topLevelItemCount())]

    def labels(self) -> list[LabelSpec]:
        return [LabelSpec(item.text(NAME), item.text(DESCRIPTION).strip() or None) for item in self.rows()]

    def names(self) -> list[str]:
        return [item.text(NAME) for item in self.rows()]

    def find(self, name: str) -> QTreeWidgetItem | None:
        key = label_key(name)
        return next((item for item in self.rows() if label_key(item.text(NAME)) == key), None)

    # ---- rows ----
    def new_item(self, label: LabelSpec) -> QTreeWidgetItem:
        count = self._example_counts.get(label_key(label.name), 0)
        item = QTreeWidgetItem([label.name, label.description or "", str(count) if count else "", ""])
        item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
                      | Qt.ItemFlag.ItemIsEnabled)
        item.setData(NAME, Qt.ItemDataRole.UserRole, label.name)  # the accepted name, restored on a bad rename
        self.update_tooltips(item)
        item.setTextAlignment(SCORE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setTextAlignment(EXAMPLES, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def show_example_counts(self, counts: dict[str, int]):
        """label_key -> examples: shown in the Examples column (blank for none; the column only while some label
        has examples), kept for rows added later."""
        self._example_counts = {key: n for key, n in counts.items() if n}
        self.setColumnHidden(EXAMPLES, not self._example_counts)
        self.blockSignals(True)
        for item in self.rows():
            count = self._example_counts.get(label_key(item.text(NAME)), 0)
            item.setText(EXAMPLES, str(count) if count else "")
        self.blockSignals(False)

    def update_tooltips(self, item: QTreeWidgetItem):
        """Both text cells show the full name and description on hover: either may be elided."""
        text = name_tooltip(LabelSpec(item.text(NAME), item.text(DESCRIPTION).strip() or None))
        item.setToolTip(NAME, text)
        item.setToolTip(DESCRIPTION, text)

    def fill(self, labels: list[LabelSpec]):
        """Replace every row, without itemChanged signals."""
        self.blockSignals(True)
        self.clear()
        self.addTopLevelItems([self.new_item(label) for label in labels])
        self.blockSignals(False)
        self.fit_columns()

    def fit_columns(self):
        """Size the name and description columns for the labels now in the list (see the class docstring)."""
        header = self.header()
        if any(item.text(DESCRIPTION).strip() for item in self.rows()):
            header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Interactive)
            header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
            names = self.sizeHintForColumn(NAME) + 12
            self.setColumnWidth(NAME, int(min(names, NAME_SHARE * self.viewport().width())))
        else:
            header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(DESCRIPTION, EMPTY_DESCRIPTION_WIDTH)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.fit_columns()  # the name column's share follows the dock's width

    # ---- scores ----
    def score_text(self, name: str) -> str:
        item = self.find(name)
        return item.text(SCORE) if item is not None else ""

    def show_scores(self, scores: dict[str, float], best: str | None):
        """Each label's raw score ("" where none), the best label's name in bold."""
        self.blockSignals(True)
        for item in self.rows():
            score = scores.get(item.text(NAME))
            text = "" if score is None else f"{score:+.2f}"
            if item.text(SCORE) != text:
                item.setText(SCORE, text)
            bold = item.text(NAME) == best
            if item.font(NAME).bold() != bold:
                item.setFont(NAME, self._bold if bold else self.font())
        self.blockSignals(False)
