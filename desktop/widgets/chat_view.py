"""The conversation: message bubbles, an assistant's thinking kept apart and collapsible."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets.collapsible import Collapsible
from desktop.widgets.common import label
from desktop.widgets.retranslate import Retranslating


class MessageBubble(Retranslating, QFrame):
    """One turn. Assistant bubbles stream: :meth:`append` adds content and thinking."""

    def __init__(
        self, role: str, text: str = "", *, author: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.role = role
        self.content = text
        self.thinking = ""
        self.end: tuple[object, bool] | None = None  # (stats, stopped) once the answer ended
        self.setProperty("bubble", "user" if role == "user" else "assistant")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        column = QVBoxLayout(self)
        column.setContentsMargins(16, 12, 16, 12)
        column.setSpacing(8)
        self.author = label(author, "faint")
        column.addWidget(self.author)
        self.author.setVisible(bool(author))
        self.thinking_label = QLabel()
        self.thinking_label.setObjectName("ThinkingText")
        self.thinking_label.setWordWrap(True)
        self.thinking_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        holder = QFrame()
        holder.setProperty("bubble", "thinking")
        inner = QVBoxLayout(holder)
        inner.setContentsMargins(12, 8, 12, 8)
        inner.addWidget(self.thinking_label)
        self.thinking_box = Collapsible(holder, expanded=True)
        self.thinking_box.setObjectName("ThinkingBox")
        self.thinking_box.hide()
        column.addWidget(self.thinking_box)
        self.text = QLabel()
        self.text.setObjectName("MessageText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        column.addWidget(self.text)
        self.footer = label(role="faint")
        self.footer.hide()
        column.addWidget(self.footer)
        self._answer_started = False
        self._render()
        self.retranslate()

    def retranslate(self) -> None:
        self.thinking_box.setText(self.tr("Thinking"))

    def append(self, content: str = "", thinking: str = "") -> None:
        if thinking:
            self.thinking += thinking
            self.thinking_box.show()
        if content:
            self.content += content
            if not self._answer_started and self.thinking:
                self.thinking_box.set_expanded(False)  # the answer began: fold the reasoning
            self._answer_started = True
        self._render()

    def set_footer(self, text: str) -> None:
        self.footer.setText(text)
        self.footer.setVisible(bool(text))

    def _render(self) -> None:
        self.thinking_label.setText(self.thinking.strip())
        shown = self.content.strip()
        if not shown and self.role == "assistant" and not self.thinking:
            shown = "…"
        self.text.setText(shown)


class ChatView(Retranslating, QScrollArea):
    """A scrolling column of bubbles that follows the newest text unless the user scrolled up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("ChatList")
        self.column = QVBoxLayout(body)
        self.column.setContentsMargins(4, 8, 12, 8)
        self.column.setSpacing(14)
        self.placeholder = label(role="muted", wrap=True)
        self.placeholder.setObjectName("ChatPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.column.addWidget(self.placeholder, 10)  # centred while there is no message
        self.column.addStretch(1)  # messages start at the top
        self.setWidget(body)
        self.bubbles: list[MessageBubble] = []
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)

    def add(self, role: str, text: str = "", *, author: str = "") -> MessageBubble:
        bubble = MessageBubble(role, text, author=author)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if role == "user":
            row.addStretch(1)
            row.addWidget(bubble, 4)
        else:
            row.addWidget(bubble, 6)
            row.addStretch(1)
        holder = QWidget()
        holder.setLayout(row)
        self.placeholder.hide()
        self.column.insertWidget(self.column.count() - 1, holder)
        self.bubbles.append(bubble)
        self._follow = True
        return bubble

    def clear(self) -> None:
        for bubble in self.bubbles:
            self._drop(bubble)
        self.bubbles = []
        self.placeholder.show()

    def _drop(self, bubble: QWidget) -> None:
        holder = bubble.parentWidget()
        if holder is not None:
            self.column.removeWidget(holder)
            holder.hide()  # gone at once, not only when the event loop deletes it
            holder.deleteLater()

    def remove_last(self) -> None:
        if self.bubbles:
            self._drop(self.bubbles.pop())
        self.placeholder.setVisible(not self.bubbles)

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 40

    def _range_changed(self, _low: int, high: int) -> None:
        if self._follow:
            QTimer.singleShot(0, self._to_bottom)

    def _to_bottom(self) -> None:
        if shiboken6.isValid(self):  # the view may be gone before the timer fires
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())
