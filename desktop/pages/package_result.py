"""The Package page while it works (stages, cancel) and when it is done (what next)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import theme
from desktop.format import format_bytes
from desktop.widgets.common import Card, button, label, set_prop
from desktop.widgets.retranslate import Retranslating
from desktop.widgets.stage_progress import StageProgress


class ProgressCard(Retranslating, Card):
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=12)
        top = QHBoxLayout()
        self.title = label(role="h2")
        self.cancel_button = button(role="danger", icon="stop")
        self.cancel_button.setObjectName("CancelButton")
        self.cancel_button.clicked.connect(self.cancel_clicked)
        top.addWidget(self.title, 1)
        top.addWidget(self.cancel_button)
        self.body.addLayout(top)
        self.stages = StageProgress()
        self.stages.setProperty("card", False)
        self.stages.body.setContentsMargins(0, 4, 0, 0)
        self.body.addWidget(self.stages)
        self.log_line = label(role="faint", wrap=True)
        self.log_line.setObjectName("LogLine")
        self.log_line.hide()
        self.body.addWidget(self.log_line)
        self.retranslate()

    def set_log(self, text: str) -> None:
        self.log_line.setText(text)
        self.log_line.setVisible(bool(text))

    def retranslate(self) -> None:
        if self.cancel_button.isEnabled():
            self.cancel_button.setText(self.tr("Cancel"))
        else:
            self.cancel_button.setText(self.tr("Cancelling…"))

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText(self.tr("Cancelling…"))
        self.set_log(self.tr("Stopping and removing partial files…"))

    def idle(self) -> None:
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Cancel"))


class ResultCard(Retranslating, Card):
    chat_clicked = Signal()
    folder_clicked = Signal()
    again_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=12)
        self.outcome: Any = None  # an engine.package.PackageResult
        top = QHBoxLayout()
        top.setSpacing(12)
        self.icon = QLabel()
        self.icon.setFixedSize(36, 36)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.title = label(role="h2")
        self.title.setObjectName("ResultTitle")
        self.title.setWordWrap(True)
        self.detail = label(role="muted", wrap=True, selectable=True)
        texts.addWidget(self.title)
        texts.addWidget(self.detail)
        top.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(texts, 1)
        self.body.addLayout(top)
        self.note = label(wrap=True, selectable=True)
        self.note.setObjectName("SmokeReply")
        self.body.addWidget(self.note)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.chat_button = button(role="primary", icon="chat")
        self.chat_button.setObjectName("ChatNowButton")
        self.chat_button.clicked.connect(self.chat_clicked)
        self.folder_button = button(icon="folder")
        self.folder_button.clicked.connect(self.folder_clicked)
        self.copy_button = button(icon="copy")
        self.copy_button.setObjectName("CopyRunButton")
        self.copy_button.clicked.connect(self.copy_command)
        self.again_button = button(role="link")
        self.again_button.clicked.connect(self.again_clicked)
        for widget in (self.chat_button, self.folder_button, self.copy_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.again_button)
        self.body.addLayout(buttons)
        theme.notifier.changed.connect(self._refresh_icon)
        self.retranslate()

    def retranslate(self) -> None:
        self.chat_button.setText(self.tr("Chat now"))
        self.folder_button.setText(self.tr("Show in folder"))
        self.again_button.setText(self.tr("Package another model"))
        self._copy_label()
        if self.outcome is not None:
            self.show_outcome(self.outcome)

    def command(self) -> str:
        """What "Copy" puts on the clipboard: run it, or (not registered) create it."""
        outcome = self.outcome
        if outcome is None:
            return ""
        if outcome.registered:
            return f"ollama run {outcome.name}"
        return f'ollama create {outcome.name} -f "{outcome.modelfile_path}"'

    def _copy_label(self) -> None:
        registered = self.outcome is None or self.outcome.registered
        self.copy_button.setText(
            self.tr("Copy “ollama run”") if registered else self.tr("Copy “ollama create”")
        )

    def copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command())
        self.copy_button.setText(self.tr("Copied"))
        QTimer.singleShot(1600, self._copy_label)

    def show_outcome(self, outcome: Any) -> None:
        """Show an ``engine.package.PackageResult``."""
        self.outcome = outcome
        ok = _looks_ok(outcome)
        self._refresh_icon()
        if outcome.registered:
            self.title.setText(self.tr("{name} is ready in Ollama").format(name=outcome.name))
        else:
            self.title.setText(
                self.tr("{name} was saved, but not registered in Ollama").format(name=outcome.name)
            )
        self.detail.setText(
            self.tr("{file} · {size}").format(
                file=str(outcome.gguf_path), size=format_bytes(outcome.size_bytes)
            )
        )
        notes: list[str] = []
        if not outcome.registered and outcome.register_note:
            notes.append(outcome.register_note)
        template_note = self._template_note(outcome)
        if template_note:
            notes.append(template_note)
        if outcome.prompt_mismatch:
            probe, reported, expected = outcome.prompt_mismatch
            notes.append(
                self.tr(
                    "Template problem: for the test conversation “{probe}” Ollama's prompt "
                    "has {reported} tokens, the model's own chat template gives {expected}. "
                    "The model will see chats formatted differently from its training."
                ).format(probe=probe, reported=reported, expected=expected)
            )
        if outcome.prompt_not_checked:
            notes.append(
                self.tr("Ollama's prompt could not be checked: {reason}").format(
                    reason=outcome.prompt_not_checked
                )
            )
        if outcome.smoke_ok:
            notes.append(
                self.tr("It answered: “{reply}”").format(reply=_short(outcome.smoke.reply))
            )
        elif outcome.smoke_ok is False:
            problems = "; ".join(outcome.smoke.problems)
            notes.append(self.tr("The test chat looks wrong: {problems}").format(problems=problems))
        self.note.setText("\n".join(notes))
        self.note.setVisible(bool(notes))
        set_prop(self.note, "role", None if ok else "warning")
        self.copy_button.setToolTip(self.command())
        self._copy_label()

    def _template_note(self, outcome: Any) -> str:
        """Which chat template Ollama runs, read back after the create."""
        if outcome.template_source == "jinja":
            return self.tr("Ollama uses the model's own chat template (rendered by llama.cpp).")
        if outcome.template_source == "go" and outcome.template_proven:
            return self.tr("Ollama uses the derived Go template (proven identical).")
        if outcome.template_source == "go":
            return self.tr(
                "Ollama uses the derived Go template (NOT proven identical to the model's own)."
            )
        if outcome.template_source == "default":
            return self.tr(
                "Ollama uses a chat template Tuneforge did not send: chats may be formatted "
                "wrongly."
            )
        return outcome.template_summary

    def _refresh_icon(self, *_args: Any) -> None:
        outcome = self.outcome
        ok = outcome is None or _looks_ok(outcome)
        name, token = ("check-circle", "success") if ok else ("alert", "warning")
        self.icon.setPixmap(theme.svg_pixmap(name, 36, theme.color(token)))


def _looks_ok(outcome: Any) -> bool:
    return outcome.registered and outcome.smoke_ok is not False and outcome.prompt_mismatch is None


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
