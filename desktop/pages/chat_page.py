"""Chat: an Ollama model or a local GGUF (in-process), streamed, with thinking kept apart;
"Compare" puts a second model's answers (the base) beside it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop import backend, jobs
from desktop.ollama_monitor import OllamaMonitor
from desktop.pages.chat_compare import CompareLane
from desktop.pages.chat_extras import ChatExtrasMixin, conversation_markdown
from desktop.settings import SettingsStore
from desktop.widgets.chat_view import ChatView, MessageBubble
from desktop.widgets.common import Card, Page, ThemedIcons, button, label, pad_spin_box
from desktop.widgets.dialogs import error_dialog
from desktop.widgets.model_picker import ModelPicker

__all__ = ["ChatPage", "conversation_markdown"]


class ChatPage(ChatExtrasMixin, Page):
    def __init__(
        self, settings: SettingsStore, monitor: OllamaMonitor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, scroll=False)
        self.settings = settings
        self.monitor = monitor
        self.history: list[dict[str, str]] = []
        self.job: jobs.GuiJob | None = None
        self.bubble: MessageBubble | None = None
        self._started = 0.0
        self._chunks = 0
        self._list_job: jobs.GuiJob | None = None
        self._last_end: tuple[Any, bool] | None = None

        top = QHBoxLayout()
        top.setSpacing(8)
        self.title = QLabel()
        self.title.setProperty("role", "h1")
        self.model_combo = ModelPicker()
        self.model_combo.setObjectName("ChatModelCombo")
        self.model_combo.setMinimumWidth(280)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.open_gguf = button(icon="file")
        self.open_gguf.clicked.connect(self._pick_gguf)
        self.clear_button = button(icon="clear")
        self.clear_button.setObjectName("ClearButton")
        self.clear_button.clicked.connect(self.clear)
        self.export_button = button(icon="export")
        self.export_button.setObjectName("ExportButton")
        self.export_button.clicked.connect(self._export)
        top.addWidget(self.title)
        top.addSpacing(12)
        top.addWidget(self.model_combo, 1)
        top.addWidget(self.open_gguf)
        self.compare = CompareLane(self)
        self.compare_button = button(icon="columns")
        self.compare_button.setObjectName("CompareButton")
        self.compare_button.setCheckable(True)
        self.compare_button.toggled.connect(self.set_comparing)
        self.compare.ended.connect(self._update_buttons)
        self.compare.format_stats = self.stats_text
        self.compare.picker.currentIndexChanged.connect(lambda _i: self._title_views())
        top.addWidget(self.compare_button)
        top.addSpacing(12)
        top.addWidget(self.clear_button)
        top.addWidget(self.export_button)
        self.column.addLayout(top)

        options = QHBoxLayout()
        options.setSpacing(8)
        self.system_label = label(role="key")
        self.system_edit = QLineEdit(settings.values.chat_system_prompt)
        self.system_edit.setObjectName("ChatSystemPrompt")
        self.system_edit.editingFinished.connect(
            lambda: settings.update(chat_system_prompt=self.system_edit.text())
        )
        self.temperature_label = label(role="key")
        self.temperature = QDoubleSpinBox()
        self.temperature.setObjectName("ChatTemperature")
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(settings.values.chat_temperature)
        self.temperature.setFixedWidth(100)
        pad_spin_box(self.temperature)
        self.temperature.valueChanged.connect(lambda v: settings.update(chat_temperature=float(v)))
        options.addWidget(self.system_label)
        options.addWidget(self.system_edit, 1)
        options.addSpacing(12)
        options.addWidget(self.temperature_label)
        options.addWidget(self.temperature)
        self.column.addLayout(options)

        self.view = ChatView()
        self.view.setObjectName("ChatView")
        views = QGridLayout()
        views.setSpacing(12)
        self.view_title, self.compare_title = label(role="faint"), label(role="faint")
        views.addWidget(self.view_title, 0, 0)
        compare_head = QHBoxLayout()
        compare_head.addWidget(self.compare_title)
        compare_head.addWidget(self.compare.picker, 1)
        views.addLayout(compare_head, 0, 1)
        views.addWidget(self.view, 1, 0)
        views.addWidget(self.compare.view, 1, 1)
        views.setRowStretch(1, 1)
        self.column.addLayout(views, 1)
        for w in (self.view_title, self.compare_title, self.compare.view, self.compare.picker):
            w.hide()

        composer = Card(margins=10, spacing=6)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.input = QPlainTextEdit()
        self.input.setObjectName("ChatInput")
        self.input.setFixedHeight(72)
        self.input.installEventFilter(self)
        self.input.setStyleSheet("QPlainTextEdit { border: none; background: transparent; }")
        self.send_button = button(role="primary", icon="send")
        self.send_button.setObjectName("SendButton")
        self.send_button.clicked.connect(self.send)
        self.stop_button = button(role="danger", icon="stop")
        self.stop_button.setObjectName("StopButton")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        composer.body.addLayout(row)
        self.column.addWidget(composer)
        self.stats = label(role="faint")
        self.stats.setObjectName("ChatStats")
        self.column.addWidget(self.stats)
        self.column.addWidget(self._build_crash_box())

        ThemedIcons(self)
        monitor.changed.connect(self._ollama_changed)
        self.retranslate()
        self._update_buttons()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Chat"))
        self.open_gguf.setText(self.tr("Open GGUF…"))
        self.open_gguf.setToolTip(self.tr("Chat with a local .gguf file without Ollama"))
        self.clear_button.setText(self.tr("Clear"))
        self.export_button.setText(self.tr("Export"))
        self.system_label.setText(self.tr("System prompt"))
        self.system_edit.setPlaceholderText(self.tr("Optional: how the model should behave"))
        self.temperature_label.setText(self.tr("Temperature"))
        self.input.setPlaceholderText(
            self.tr("Message the model (Enter to send, Shift+Enter for a new line)")
        )
        self.send_button.setText(self.tr("Send"))
        self.compare_button.setText(self.tr("Compare"))
        self.compare_button.setToolTip(self.tr("Ask a second model the same thing and see both "
                                               "answers side by side, e.g. the base model next "
                                               "to your fine-tuned one."))  # fmt: skip
        self.compare.picker.setToolTip(self.tr("The model to compare with (e.g. the base model)"))
        self.compare.view.placeholder.setText(self.tr("Pick the model to compare with."))
        self._title_views()
        self.restart_button.setText(self.tr("Restart the model"))
        if self._crash is not None:
            self._show_crash(self._crash)
        self.stop_button.setText(self.tr("Stop"))
        self.view.placeholder.setText(self.tr("Pick a model above and say hello."))
        for bubble in self.view.bubbles + self.compare.view.bubbles:  # in the new language
            if bubble.end is not None:
                stats, stopped = bubble.end
                bubble.set_footer(self.tr("Stopped.") if stopped else self.stats_text(stats))
        if self._last_end is not None and self.job is None:
            stats, stopped = self._last_end
            self.stats.setText(self.tr("Stopped.") if stopped else self.stats_text(stats))

    # -- models ----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.monitor.running:
            self.refresh_models()
        self.input.setFocus()

    def _ollama_changed(self, state: Any) -> None:
        if state is not None and state.state in ("running", "unsupported"):
            self.refresh_models()

    def refresh_models(self) -> None:
        if self._list_job is not None:
            return
        self._list_job = jobs.call(
            backend.list_models,
            self.settings.values.ollama_host,
            owner=self,
            on_result=self._models_listed,
            on_error=jobs.log_error,  # the status bar says when Ollama is not there
            on_ended=lambda _s: setattr(self, "_list_job", None),
        )

    def _models_listed(self, models: list[Any]) -> None:
        self.model_combo.set_ollama_models(models)
        self.compare.picker.set_ollama_models(models)

    # -- compare ---------------------------------------------------------------------------
    def set_comparing(self, on: bool) -> None:
        """Show the second column; each later prompt goes to both models."""
        if self.compare_button.isChecked() != on:
            self.compare_button.setChecked(on)
            return
        for w in (self.compare.picker, self.compare.view, self.view_title, self.compare_title):
            w.setVisible(on)
        self._title_views()

    @property
    def comparing(self) -> bool:
        return self.compare_button.isChecked()

    def _title_views(self) -> None:
        self.view_title.setText(self.model_combo.currentText())
        self.compare_title.setText(self.tr("Compare with:"))

    def set_model(self, name: str) -> None:
        """Select an Ollama model (from "Chat now" or the Models page)."""
        if not self.model_combo.select_ollama(name):
            self.refresh_models()

    def _pick_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a GGUF file"), "", self.tr("GGUF models (*.gguf);;All files (*)")
        )
        if path:
            self.add_local_gguf(Path(path))

    def add_local_gguf(self, path: Path) -> None:
        self.model_combo.add_local(path)

    def _model_changed(self, *_args: object) -> None:
        self._title_views()
        self._update_buttons()

    def current_target(self) -> tuple[str, str] | None:
        """``("ollama", name)`` or ``("gguf", path)`` of the selected model."""
        return self.model_combo.current_target()

    # -- conversation ----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.input and event.type() == QEvent.Type.KeyPress:
            key = event if isinstance(event, QKeyEvent) else None
            enter = key is not None and key.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if (
                key is not None
                and enter
                and not key.modifiers() & Qt.KeyboardModifier.ShiftModifier
            ):
                self.send()
                return True
        return super().eventFilter(watched, event)

    def send(self) -> None:
        text = self.input.toPlainText().strip()
        target = self.current_target()
        if not text or target is None or self.job is not None or self.compare.job is not None:
            return
        self.input.clear()
        self.history.append({"role": "user", "content": text})
        self.view.add("user", text)
        author = target[1] if target[0] == "ollama" else Path(target[1]).name
        self.bubble = self.view.add("assistant", author=author)
        messages = list(self.history)
        system = self.system_edit.text().strip()
        if system:
            messages.insert(0, {"role": "system", "content": system})
        request = backend.ChatRequest(
            messages=tuple({"role": m["role"], "content": m["content"]} for m in messages),
            model=target[1] if target[0] == "ollama" else None,
            gguf=target[1] if target[0] == "gguf" else None,
            host=self.settings.values.ollama_host or None,
            options={"temperature": round(self.temperature.value(), 2)},
        )
        self._started = time.monotonic()
        self._chunks = 0
        self.stats.setText(self.tr("Waiting for the first token…"))
        if self.comparing:
            self.compare.send(text, system=system, temperature=self.temperature.value(),
                              host=self.settings.values.ollama_host or None)  # fmt: skip
        self.job = jobs.start_job(
            backend.chat_job,
            request,
            owner=self,
            on_posted=self._chunks_arrived,
            on_progress=self._progress,
            on_result=self._answered,
            on_error=self._failed,
            on_cancelled=self._stopped,
        )
        self._update_buttons()

    def stop(self) -> None:
        self.compare.stop()
        if self.job is not None:
            self.job.cancel()

    def _progress(self, stage: str, _done: float, _total: float, _unit: str) -> None:
        if stage == "loading":
            self.stats.setText(self.tr("Loading the model…"))

    def _chunks_arrived(self, chunks: list[Any]) -> None:
        if self.bubble is None:
            return
        content = "".join(c.content for c in chunks)
        thinking = "".join(c.thinking for c in chunks)
        self._chunks += sum(1 for c in chunks if (c.content or c.thinking) and not c.done)
        self.bubble.append(content, thinking)
        elapsed = time.monotonic() - self._started
        if self._chunks and elapsed > 0:
            self.stats.setText(
                self.tr("{n} tokens · ≈ {rate:.1f} tokens/s").format(
                    n=self._chunks, rate=self._chunks / elapsed
                )
            )

    def _close_turn(self, *, keep: bool) -> None:
        bubble, self.bubble, self.job = self.bubble, None, None
        if bubble is not None and keep and (bubble.content or bubble.thinking):
            entry = {"role": "assistant", "content": bubble.content}
            if bubble.thinking:
                entry["thinking"] = bubble.thinking
            self.history.append(entry)
        self._update_buttons()

    def _answered(self, stats: Any) -> None:
        bubble = self.bubble
        self._close_turn(keep=True)
        stopped = stats is not None and stats.done_reason == "cancelled"
        self._show_end(bubble, None if stopped else stats, stopped=stopped)

    def _show_end(self, bubble: MessageBubble | None, stats: Any, *, stopped: bool) -> None:
        """Footer of the answer and the line under the input; kept to re-translate them."""
        self._last_end = (stats, stopped)
        text = self.tr("Stopped.") if stopped else self.stats_text(stats)
        self.stats.setText(text)
        if bubble is not None:
            bubble.end = (stats, stopped)
            bubble.set_footer(text)

    def _stopped(self) -> None:
        bubble = self.bubble
        self._close_turn(keep=True)
        self._show_end(bubble, None, stopped=True)

    def _failed(self, error: Any) -> None:
        self._close_turn(keep=False)
        self.view.remove_last()
        if self.history and self.history[-1]["role"] == "user":
            last = self.history.pop()
            self.view.remove_last()
            self.input.setPlainText(last["content"])
        self.stats.setText("")
        if getattr(error, "code", None) == "native_crash":
            self._show_crash(error)  # a box on the page with a restart button, no dialog
            return
        error_dialog(self, self.tr("The chat failed"), error)

    def clear(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.history = []
        self.view.clear()
        self.compare.clear()
        self._last_end = None
        self.stats.setText("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.job is not None or self.compare.job is not None
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self.send_button.setEnabled(self.current_target() is not None)
        self.clear_button.setEnabled(bool(self.history) or busy)
        self.export_button.setEnabled(bool(self.history) and not busy)
        self.model_combo.setEnabled(not busy)
        self.compare.picker.setEnabled(not busy)
        self.compare_button.setEnabled(not busy)
        self.open_gguf.setEnabled(not busy)
        self.restart_button.setEnabled(not busy)
