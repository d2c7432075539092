"""Small building blocks every page uses: cards, headings, badges, notices, forms."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.widgets.retranslate import Retranslating

SPACING = 16
PAGE_MARGINS = (36, 28, 36, 28)
CONTENT_MAX_WIDTH = 920


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def set_prop(widget: QWidget, name: str, value: object) -> None:
    if widget.property(name) != value:
        widget.setProperty(name, value)
        repolish(widget)


def label(
    text: str = "", role: str | None = None, *, wrap: bool = False, selectable: bool = False
) -> QLabel:
    lbl = QLabel(text)
    if role:
        lbl.setProperty("role", role)
    if wrap:
        lbl.setWordWrap(True)
    if selectable:
        lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lbl


def badge(text: str = "", kind: str = "neutral") -> QLabel:
    lbl = QLabel(text)
    lbl.setProperty("badge", kind)
    lbl.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return lbl


def button(text: str = "", role: str | None = None, *, icon: str | None = None) -> QPushButton:
    btn = QPushButton(text)
    if role:
        btn.setProperty("role", role)
    if icon:
        btn.setProperty("iconName", icon)
    btn.setCursor(Qt.CursorShape.PointingHandCursor)
    return btn


def pad_spin_box(spin: QAbstractSpinBox) -> QAbstractSpinBox:
    """Style sheets cannot pad a spin box's text; its line edit can (matches QLineEdit)."""
    spin.lineEdit().setTextMargins(8, 0, 0, 0)
    return spin


def hline() -> QFrame:
    line = QFrame()
    line.setObjectName("Separator")
    line.setFrameShape(QFrame.Shape.NoFrame)
    return line


class ThemedIcons(QObject):
    """Re-tints the icons of buttons (``iconName`` property) whenever the theme changes."""

    def __init__(self, root: QWidget) -> None:
        super().__init__(root)
        self._root = root
        theme.notifier.changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        buttons = [*self._root.findChildren(QPushButton), *self._root.findChildren(QToolButton)]
        for btn in buttons:
            name = btn.property("iconName")
            if not name:
                continue
            role = btn.property("role")
            token = (
                "accent_text" if role == "primary" else ("danger" if role == "danger" else "muted")
            )
            if role == "link":
                token = "accent"
            btn.setIcon(theme.icon(str(name), token))


class Card(QFrame):
    """A rounded surface with padding; ``body`` is its vertical layout."""

    def __init__(
        self, parent: QWidget | None = None, *, margins: int = 20, spacing: int = 12
    ) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(margins, margins, margins, margins)
        self.body.setSpacing(spacing)


class Notice(QFrame):
    """A tinted one-line message (ok / info / warning / error) with an optional action."""

    action_clicked = Signal()

    def __init__(self, kind: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("notice", kind)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 10, 14, 10)
        row.setSpacing(10)
        self._icon = QLabel()
        self._icon.setFixedSize(18, 18)
        self.text = label(wrap=True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.action = button(role="link")
        self.action.clicked.connect(self.action_clicked)
        self.action.hide()
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)
        row.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        self._kind = kind
        theme.notifier.changed.connect(self._refresh_icon)
        self._refresh_icon()

    def show_message(self, kind: str, text: str, action: str | None = None) -> None:
        self._kind = kind
        set_prop(self, "notice", kind)
        set_prop(self.text, "role", {"ok": "ok", "warning": "warning", "error": "error"}.get(kind))
        self.text.setText(text)
        self.action.setVisible(bool(action))
        self.action.setText(action or "")
        self._refresh_icon()
        self.show()

    def _refresh_icon(self, *_args: object) -> None:
        name, token = {
            "ok": ("check-circle", "success"),
            "warning": ("alert", "warning"),
            "error": ("x-circle", "danger"),
        }.get(self._kind, ("info", "accent"))
        self._icon.setPixmap(theme.svg_pixmap(name, 18, theme.color(token)))


class Page(Retranslating, QWidget):
    """A page: a scroll area holding a centred column at most CONTENT_MAX_WIDTH wide."""

    def __init__(self, parent: QWidget | None = None, *, scroll: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("PageRoot")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.column = QVBoxLayout()
        self.column.setSpacing(SPACING)
        body = QWidget()
        body.setObjectName("PageBody")
        centre = QHBoxLayout(body)
        centre.setContentsMargins(*PAGE_MARGINS)
        holder = QWidget()
        holder.setMaximumWidth(CONTENT_MAX_WIDTH)
        holder.setLayout(self.column)
        centre.addStretch(0)
        centre.addWidget(holder, 1)
        centre.addStretch(0)
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(body)
            outer.addWidget(area)
            self.scroll_area: QScrollArea | None = area
        else:
            outer.addWidget(body)
            self.scroll_area = None


def header(title: QLabel, subtitle: QLabel, *extra: QWidget) -> QHBoxLayout:
    """Page heading: title and subtitle on the left, ``extra`` widgets on the right."""
    title.setProperty("role", "h1")
    subtitle.setProperty("role", "muted")
    subtitle.setWordWrap(True)
    texts = QVBoxLayout()
    texts.setSpacing(4)
    texts.addWidget(title)
    texts.addWidget(subtitle)
    row = QHBoxLayout()
    row.setSpacing(8)
    row.addLayout(texts, 1)
    for widget in extra:
        row.addWidget(widget, 0, Qt.AlignmentFlag.AlignBottom)
    return row
