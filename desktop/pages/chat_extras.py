"""The Chat page's extras kept apart from the conversation itself: the Markdown export, and
the box with a restart button when llama.cpp crashed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop import backend, jobs
from desktop.widgets.common import Card, button, label
from desktop.widgets.dialogs import error_dialog


def conversation_markdown(
    *, model: str, system: str, messages: list[dict[str, str]], when: datetime
) -> str:
    """The conversation as Markdown (thinking in a collapsed <details> block)."""
    lines = [f"# Chat with {model}", "", f"_{when:%Y-%m-%d %H:%M}_", ""]
    if system:
        lines += ["**System prompt:**", "", *[f"> {row}" for row in system.splitlines()], ""]
    for message in messages:
        who = "You" if message["role"] == "user" else model
        lines += [f"### {who}", ""]
        if message.get("thinking"):
            lines += [
                "<details><summary>Thinking</summary>",
                "",
                message["thinking"].strip(),
                "",
                "</details>",
                "",
            ]
        lines += [message["content"].strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


class ChatExtrasMixin:
    """Mixed into :class:`~desktop.pages.chat_page.ChatPage` (uses its widgets and state)."""

    settings: Any
    history: list[dict[str, str]]
    job: Any
    stats: Any
    system_edit: Any
    crash_box: Any
    crash_label: Any
    _crash: Any
    _update_buttons: Any
    current_target: Any

    def _build_crash_box(self) -> Card:
        """Shown when llama.cpp crashed: what happened and a restart button."""
        self.crash_box = Card(margins=10, spacing=6)
        self.crash_box.setObjectName("ChatCrashBox")
        self.crash_label = label()
        self.crash_label.setObjectName("ChatCrashMessage")
        self.crash_label.setWordWrap(True)
        self.restart_button = button(role="primary")
        self.restart_button.setObjectName("RestartModelButton")
        self.restart_button.clicked.connect(self.restart_model)
        self.crash_box.body.addWidget(self.crash_label)
        self.crash_box.body.addWidget(self.restart_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.crash_box.hide()
        self._crash: Any = None
        return self.crash_box

    def stats_text(self, stats: Any) -> str:
        if stats is None:
            return ""
        parts = []
        if stats.completion_tokens is not None:
            parts.append(
                QCoreApplication.translate("ChatPage", "{n} tokens").format(
                    n=stats.completion_tokens
                )
            )
        if stats.tokens_per_second:
            parts.append(
                QCoreApplication.translate("ChatPage", "{rate:.1f} tokens/s").format(
                    rate=stats.tokens_per_second
                )
            )
        if stats.prompt_tokens is not None:
            parts.append(
                QCoreApplication.translate("ChatPage", "prompt {n} tokens").format(
                    n=stats.prompt_tokens
                )
            )
        if stats.done_reason == "length":
            parts.append(QCoreApplication.translate("ChatPage", "stopped at the length limit"))
        return " · ".join(parts)

    def _widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def _export(self) -> None:
        if not self.history:
            return
        target = self.current_target()
        model = target[1] if target else "model"
        default = f"chat-{datetime.now():%Y%m%d-%H%M}.md"
        path, _ = QFileDialog.getSaveFileName(
            self._widget(),
            QCoreApplication.translate("ChatPage", "Export the conversation"),
            str(self.settings.output_dir() / default),
            QCoreApplication.translate("ChatPage", "Markdown (*.md)"),
        )
        if path:
            self.export_to(Path(path), model=model)

    def export_to(self, path: Path, *, model: str) -> None:
        from engine.jobs import atomic_file

        text = conversation_markdown(
            model=model,
            system=self.system_edit.text().strip(),
            messages=self.history,
            when=datetime.now(),
        )
        try:
            with atomic_file(path) as tmp:
                tmp.write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            error_dialog(
                self._widget(), QCoreApplication.translate("ChatPage", "Export failed"), exc
            )

    # -- llama.cpp crashed -----------------------------------------------------------------
    def _show_crash(self, error: Any) -> None:
        self._crash = error
        details = getattr(error, "details", None) or {}
        name = Path(error.path).name if getattr(error, "path", None) else ""
        text = QCoreApplication.translate(
            "ChatPage",
            "llama.cpp crashed while running {model} ({signal}). The app is fine; "
            "only the model stopped.",
        ).format(model=name, signal=details.get("signal") or getattr(error, "signal", "?"))
        advice = QCoreApplication.translate(
            "ChatPage",
            "Restart the model to try again. If it crashes again, try another "
            "quantization of the model (F16 or Q8_0), and send the self-test report.",
        )
        tail = str(details.get("stderr") or getattr(error, "stderr_tail", "") or "")
        lines = [text, advice]
        if tail:
            lines.append(
                QCoreApplication.translate("ChatPage", "Last output of llama.cpp:")
                + "\n"
                + tail[-600:]
            )
        self.crash_label.setText("\n\n".join(lines))
        self.crash_box.show()
        self._update_buttons()

    def restart_model(self) -> None:
        target = self.current_target()
        if target is None or target[0] != "gguf" or self.job is not None:
            return
        self.crash_box.hide()
        self._crash = None
        self.stats.setText(QCoreApplication.translate("ChatPage", "Loading the model…"))
        request = backend.ChatRequest(
            messages=(),
            gguf=target[1],
            host=self.settings.values.ollama_host or None,
        )
        self.job = jobs.start_job(
            backend.restart_chat_model,
            request,
            owner=self._widget(),
            on_result=self._restarted,
            on_error=self._restart_failed,
        )
        self._update_buttons()

    def _restarted(self, _name: str) -> None:
        self.job = None
        self.stats.setText(QCoreApplication.translate("ChatPage", "The model is loaded again."))
        self._update_buttons()

    def _restart_failed(self, error: Any) -> None:
        self.job = None
        self.stats.setText("")
        if getattr(error, "code", None) == "native_crash":
            self._show_crash(error)
        else:
            error_dialog(
                self._widget(),
                QCoreApplication.translate("ChatPage", "The model could not be loaded"),
                error,
            )
        self._update_buttons()
