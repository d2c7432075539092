"""A section with a clickable header that shows or hides its content."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget

from desktop import theme


class Collapsible(QWidget):
    toggled = Signal(bool)

    def __init__(
        self, content: QWidget, *, expanded: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.content = content
        self.header = QToolButton()
        self.header.setObjectName("CollapsibleHeader")
        self.header.setCheckable(True)
        self.header.setChecked(expanded)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.header.setCursor(Qt.CursorShape.PointingHandCursor)
        self.header.setStyleSheet(
            "QToolButton { font-weight: 600; padding: 4px 6px 4px 0; } "
            "QToolButton:checked, QToolButton:hover { background: transparent; }"
        )
        self.header.toggled.connect(self._toggle)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addWidget(self.header, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(content)
        content.setVisible(expanded)
        theme.notifier.changed.connect(self._refresh_icon)
        self._refresh_icon()

    def setText(self, text: str) -> None:
        self.header.setText(text)

    def set_expanded(self, expanded: bool) -> None:
        self.header.setChecked(expanded)

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def _toggle(self, on: bool) -> None:
        self.content.setVisible(on)
        self._refresh_icon()
        self.toggled.emit(on)

    def _refresh_icon(self, *_args: object) -> None:
        name = "chevron-down" if self.header.isChecked() else "chevron-right"
        self.header.setIcon(theme.icon(name, "muted"))
