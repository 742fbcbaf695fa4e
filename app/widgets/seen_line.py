"""One line under the predictions saying what the skeleton showed: "Seen: right hand, moving left"."""

from PyQt6.QtWidgets import QLabel

from core.live.scorer import SCORED_STATES
from core.model.attribute_term import describe_phrase

TIP = ("Side, direction, rotation and posture change measured on the scored window; labels that name them "
       "(\"wave the left hand\", \"swipe to the right\") score higher when they agree")


class SeenLine(QLabel):
    """set_result() shows the newest scored window's attributes; an unscored window empties the line."""

    def __init__(self, parent=None):
        super().__init__("", parent)
        self.setToolTip(TIP)

    def set_result(self, result):
        phrase = describe_phrase(result.attributes) if result.state in SCORED_STATES else ""
        self.setText(f"Seen: {phrase}" if phrase else "")
