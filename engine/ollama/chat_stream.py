"""Ollama's streamed chat (``POST /api/chat``): the request body and reading the answer.

:meth:`engine.ollama.client.OllamaClient.chat` sends the request; this module builds
its body and turns the NDJSON answer into :class:`ChatChunk` values, ending with a
``done`` chunk (or a ``done_reason="cancelled"`` one when the user stopped it).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from engine.messages import ChatChunk, ChatMessage, ChatStats, as_messages
from engine.modelfile.parameters import normalize_parameters
from engine.ollama import errors as oe
from engine.ollama.responses import chat_chunk
from engine.ollama.streams import close_on_cancel, ndjson_lines


def chat_body(
    name: str,
    messages: Sequence[ChatMessage | Mapping[str, Any]],
    *,
    options: Mapping[str, Any] | None,
    think: bool | None,
    keep_alive: str | int | None,
) -> dict[str, Any]:
    """The JSON body of ``POST /api/chat`` for an already validated model ``name``."""
    body: dict[str, Any] = {
        "model": name,
        "messages": [m.to_ollama() for m in as_messages(messages)],
        "stream": True,
    }
    if options:
        body["options"] = normalize_parameters(options)
    if think is not None:
        body["think"] = bool(think)
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    return body


def cancelled_chunk() -> ChatChunk:
    """The last chunk of a chat the user stopped."""
    return ChatChunk(done=True, stats=ChatStats(done_reason="cancelled"))


def chat_stream(
    resp: requests.Response,
    *,
    name: str,
    host: str,
    cancel_event: threading.Event | None,
) -> Iterator[ChatChunk]:
    """Yield the chunks of the streamed answer ``resp``; always closes ``resp``."""
    action = f"chatting with {name!r}"
    done = False
    try:
        with close_on_cancel(resp, cancel_event):
            try:
                for data in ndjson_lines(resp, action=action, host=host):
                    if "error" in data:
                        raise oe.error_from_response(
                            resp.status_code, json.dumps(data), action=action, model=name
                        )
                    chunk = chat_chunk(data)
                    yield chunk
                    if chunk.done:
                        done = True
                        break
                    if cancel_event is not None and cancel_event.is_set():
                        break  # between chunks: stop now (closing the stream ends it)
            except Exception:
                if cancel_event is not None and cancel_event.is_set():
                    yield cancelled_chunk()
                    return
                raise
        if not done:
            if cancel_event is not None and cancel_event.is_set():
                yield cancelled_chunk()
                return
            raise oe.ServerError(
                f"{action}: the answer ended without 'done'",
                hint="Ollama may have crashed or run out of memory; see its log.",
            )
    finally:
        resp.close()


__all__ = ["cancelled_chunk", "chat_body", "chat_stream"]
