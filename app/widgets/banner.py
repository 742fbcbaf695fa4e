"""A non-blocking message strip above the views: what went wrong, and buttons that fix it."""

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton

STYLES = {
    "error": "background: #fde7e7; border: 1px solid #e0a0a0; color: #6b1010;",
    "warning": "background: #fff6d6; border: 1px solid #e2c970; color: #5a4500;",
    "info": "background: #e6f1ff; border: 1px solid #a6c6ee; color: #123a66;",
}


class Banner(QFrame):
    """show_message(text, level, actions) replaces the current message; the close button hides it.

    actions: [(button text, callable)], e.g. [("Open video…", window.open_video_dialog)]. Nothing here waits
    for the user: the rest of the window keeps working while a banner is up.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(text="✕", toolTip="Hide this message", autoRaise=True)
        self.close_button.clicked.connect(self.hide)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 4, 4, 4)
        self._layout.addWidget(self.text, 1)
        self._buttons: list[QPushButton] = []
        self._layout.addWidget(self.close_button)
        self.level = ""
        self.hide()

    def show_message(self, text: str, level: str = "error", actions=()):
        assert level in STYLES, f"banner level must be one of {sorted(STYLES)}, got {level!r}"
        self.level = level
        self.setStyleSheet(f"#banner {{ {STYLES[level]} border-radius: 4px; }} QLabel {{ border: none; }}")
        self.text.setText(text)
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        for caption, slot in actions:
            button = QPushButton(caption)
            button.clicked.connect(slot)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self._buttons.append(button)
        self.show()

    def message(self) -> str:
        """The text shown now ("" when hidden)."""
        return "" if self.isHidden() else self.text.text()

    def button_texts(self) -> list[str]:
        return [button.text() for button in self._buttons]
