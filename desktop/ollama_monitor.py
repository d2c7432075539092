"""Polls Ollama's state every few seconds in a worker; the GUI listens to ``changed``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop import backend, jobs
from desktop.settings import SettingsStore

POLL_MS = 4000


class OllamaMonitor(QObject):
    changed = Signal(object)  # backend.OllamaState, after every poll whose answer differs
    polled = Signal(object)  # backend.OllamaState, after every poll

    def __init__(self, settings: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.state: backend.OllamaState | None = None
        self._pending: jobs.GuiJob | None = None
        self._again = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll_now)
        settings.changed.connect(self._setting_changed)

    def start(self) -> None:
        self._timer.start()
        self.poll_now()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def host(self) -> str:
        return self._settings.values.ollama_host

    @property
    def running(self) -> bool:
        return self.state is not None and self.state.state in ("running", "unsupported")

    def poll_now(self) -> None:
        if self._pending is not None:
            self._again = True  # a poll is under way; ask again when it answers
            return
        self._pending = jobs.call(
            backend.ollama_state,
            self.host,
            on_result=self._answer,
            on_error=self._failed,
            on_ended=self._ended,
        )

    def _answer(self, state: Any) -> None:
        if state.host != backend_host(self.host):
            return  # the host changed while we asked
        previous, self.state = self.state, state
        self.polled.emit(state)
        if previous != state:
            self.changed.emit(state)

    def _failed(self, error: Any) -> None:
        # e.g. an address with a scheme Ollama does not speak: show it as "not reachable".
        message = str(getattr(error, "message", error))
        self._answer(
            backend.OllamaState(state="stopped", host=backend_host(self.host), message=message)
        )

    def _ended(self, _status: str) -> None:
        self._pending = None
        if self._again:
            self._again = False
            self.poll_now()

    def _setting_changed(self, key: str) -> None:
        if key == "ollama_host":
            self.poll_now()


def backend_host(host: str) -> str:
    from engine.ollama.host import resolve_host

    try:
        return resolve_host(host or None)
    except Exception:
        return host
