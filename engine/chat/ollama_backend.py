"""Chat with a model registered in Ollama (``/api/chat``, streamed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from engine.chat.messages import ChatChunk, ChatMessage
from engine.ollama.client import OllamaClient
from engine.ollama.names import validate_model_name


class OllamaChatBackend:
    """``stream()`` sends the whole conversation each turn, as Ollama expects."""

    def __init__(
        self,
        model: str,
        *,
        host: str | None = None,
        client: OllamaClient | None = None,
        keep_alive: str | int | None = None,
    ) -> None:
        self.model = validate_model_name(model)
        self._own_client = client is None
        self.client = client or OllamaClient(host)
        self.keep_alive = keep_alive
        self.label = f"{self.model} (Ollama at {self.client.host})"

    def stream(
        self,
        messages: Sequence[ChatMessage | Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Iterator[ChatChunk]:
        return self.client.chat(
            self.model,
            messages,
            options=options,
            think=think,
            cancel_event=cancel_event,
            keep_alive=self.keep_alive,
        )

    def close(self) -> None:
        if self._own_client:
            self.client.close()
