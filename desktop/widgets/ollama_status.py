"""Status-bar item: is Ollama running, installed but stopped, or missing — with the fix."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop import theme
from desktop.widgets.common import button, label
from desktop.widgets.retranslate import Retranslating


class OllamaStatus(Retranslating, QWidget):
    start_requested = Signal()
    download_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 2, 4, 2)
        row.setSpacing(8)
        self._dot = QLabel()
        self._dot.setFixedSize(8, 8)
        self.text = label()
        self.text.setObjectName("OllamaStatusText")
        self.action = button(role="link")
        self.action.setObjectName("OllamaAction")
        self.action.clicked.connect(self._action_clicked)
        self.action.hide()
        row.addWidget(self._dot, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.text)
        row.addWidget(self.action)
        self.state: Any = None
        self.starting = False
        theme.notifier.changed.connect(self._render)
        self._render()

    def retranslate(self) -> None:
        self._render()

    def set_state(self, state: Any) -> None:
        if state is not None and state.state in ("running", "unsupported"):
            self.starting = False
        self.state = state
        self._render()

    def set_starting(self) -> None:
        self.starting = True
        self._render()

    def _action_clicked(self) -> None:
        if self.state is not None and self.state.state == "stopped":
            self.start_requested.emit()
        else:
            self.download_requested.emit()

    def _render(self, *_args: object) -> None:
        state = self.state
        action = ""
        if state is None:
            text, dot = self.tr("Checking Ollama…"), "faint"
        elif state.state == "running":
            text = self.tr("Ollama {version} is running at {host}").format(
                version=state.version, host=state.host.split("://")[-1]
            )
            dot = "success"
        elif state.state == "unsupported":
            text = self.tr("Ollama {version} is too old for Tuneforge").format(
                version=state.version
            )
            dot, action = "warning", self.tr("Download the latest Ollama")
        elif state.state == "stopped" and self.starting:
            text, dot = self.tr("Starting Ollama…"), "warning"
        elif state.state == "stopped":
            text = self.tr("Ollama is installed but not running")
            dot = "warning"
            action = self.tr("Start Ollama") if state.program is not None else ""
        else:
            text, dot = self.tr("Ollama is not installed"), "danger"
            action = self.tr("Download Ollama")
        self.text.setText(text)
        self.text.setToolTip(getattr(state, "message", "") or "")
        self.action.setText(action)
        self.action.setVisible(bool(action))
        self._dot.setPixmap(theme.dot_pixmap(theme.color(dot), 8))
