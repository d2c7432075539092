"""The chat backend interface and the one function that picks a backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from engine.chat.messages import ChatChunk, ChatMessage


@runtime_checkable
class ChatBackend(Protocol):
    """Something that answers a conversation as a stream of :class:`ChatChunk`.

    ``options`` are Ollama-style sampling options (``temperature``, ``top_p``,
    ``num_predict``, ``stop``, ``seed`` …); ``think`` ``None`` leaves the model's default.
    Setting ``cancel_event`` ends the stream early with a final chunk whose
    ``stats.done_reason`` is ``"cancelled"``.
    """

    label: str

    def stream(
        self,
        messages: Sequence[ChatMessage | Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Iterator[ChatChunk]: ...

    def close(self) -> None: ...


def open_backend(
    *,
    model: str | None = None,
    gguf: str | Path | None = None,
    host: str | None = None,
    n_ctx: int = 4096,
    template: str | None = None,
) -> ChatBackend:
    """An Ollama model by name (``model``) or a local ``.gguf`` file run by
    llama.cpp in a child process (a native crash there is a ``NativeCrashError``)."""
    if (model is None) == (gguf is None):
        raise ValueError("give exactly one of model= or gguf=")
    if model is not None:
        from engine.chat.ollama_backend import OllamaChatBackend

        return OllamaChatBackend(model, host=host)
    from engine.chat.child_backend import ChildLlamaBackend

    assert gguf is not None
    return ChildLlamaBackend(Path(gguf), n_ctx=n_ctx, chat_template=template)
