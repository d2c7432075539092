"""Chat "Compare": a second model (typically the base) answers the same prompts beside the
chosen one (typically the fine-tuned model), in its own column with its own conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop import backend, jobs
from desktop.widgets.chat_view import ChatView, MessageBubble
from desktop.widgets.model_picker import ModelPicker


class CompareLane(QObject):
    """The comparison column: a model picker, a view, a conversation and at most one job."""

    ended = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.picker = ModelPicker()
        self.picker.setObjectName("CompareModelCombo")
        self.picker.setMinimumWidth(220)
        self.view = ChatView()
        self.view.setObjectName("CompareView")
        self.history: list[dict[str, str]] = []
        self.job: jobs.GuiJob | None = None
        self.bubble: MessageBubble | None = None
        self.error: Any = None
        self.format_stats: Any = lambda _stats: ""  # the page's own wording of the counts

    def target(self) -> tuple[str, str] | None:
        return self.picker.current_target()

    def send(self, text: str, *, system: str, temperature: float, host: str | None) -> bool:
        """Ask the comparison model too; False when none is chosen (or it is still busy)."""
        target = self.target()
        if target is None or self.job is not None:
            return False
        self.error = None
        self.history.append({"role": "user", "content": text})
        self.view.add("user", text)
        author = target[1] if target[0] == "ollama" else Path(target[1]).name
        self.bubble = self.view.add("assistant", author=author)
        messages = [{"role": "system", "content": system}] if system else []
        messages += [{"role": m["role"], "content": m["content"]} for m in self.history]
        request = backend.ChatRequest(
            messages=tuple(messages), host=host,
            model=target[1] if target[0] == "ollama" else None,
            gguf=target[1] if target[0] == "gguf" else None,
            options={"temperature": round(temperature, 2)},
        )  # fmt: skip
        self.job = jobs.start_job(backend.chat_job, request, owner=self.view,
                                  on_posted=self._chunks, on_result=self._answered,
                                  on_error=self._failed, on_cancelled=lambda: self._end(keep=True))  # fmt: skip
        return True

    def _chunks(self, chunks: list[Any]) -> None:
        if self.bubble is not None:
            self.bubble.append(
                "".join(c.content for c in chunks), "".join(c.thinking for c in chunks)
            )

    def _answered(self, stats: Any) -> None:
        if self.bubble is not None and stats is not None:
            self.bubble.end = (stats, False)
            self.bubble.set_footer(self.format_stats(stats))
        self._end(keep=True)

    def _end(self, *, keep: bool) -> None:
        bubble, self.bubble, self.job = self.bubble, None, None
        if bubble is not None and keep and bubble.content:
            self.history.append({"role": "assistant", "content": bubble.content})
        self.ended.emit()

    def _failed(self, error: Any) -> None:
        self.error = error
        if self.bubble is not None:
            self.bubble.append(str(getattr(error, "message", error)))
        self._end(keep=False)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def clear(self) -> None:
        self.stop()
        self.history = []
        self.view.clear()
