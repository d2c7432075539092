"""The llama.cpp chat child process: one loaded GGUF, kept alive between turns.

Speaks NDJSON like the job child (engine/jobs/child.py): requests on stdin, one
JSON object per line on the original stdout; everything else (llama.cpp's own
logging) goes to stderr so the parent can show its tail after a crash.

Requests: ``load`` (first), then any of ``chat``, ``render``, ``prompt_tokens``,
``tokenize``; ``cancel`` stops the answer in progress; EOF ends the process.
Replies: ``ready``, ``started``, ``chunk``, ``done``, ``result``, ``error``.

``TUNEFORGE_TEST_CRASH=abort|segv`` (tests only) crashes the child on purpose, at
``load`` or at the first generation (``TUNEFORGE_TEST_CRASH_AT=load|generate``).
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from typing import Any, TextIO

CRASH_ENV = "TUNEFORGE_TEST_CRASH"
CRASH_AT_ENV = "TUNEFORGE_TEST_CRASH_AT"


def _maybe_crash(stage: str) -> None:
    kind = os.environ.get(CRASH_ENV, "")
    if not kind or os.environ.get(CRASH_AT_ENV, "load") != stage:
        return
    sys.stderr.write(f"test crash requested: {kind} at {stage}\n")
    sys.stderr.flush()
    if kind == "segv":
        import faulthandler

        faulthandler.disable()
        faulthandler._sigsegv()  # type: ignore[attr-defined]  # a real segmentation fault, on every platform
    os.abort()


def _error(exc: BaseException) -> dict[str, Any]:
    from engine.jobs.runners import error_payload

    return error_payload(exc)


class _Reader(threading.Thread):
    """Reads requests; ``cancel`` sets the event of the request read just before it."""

    def __init__(self, requests: queue.Queue[dict[str, Any] | None]) -> None:
        super().__init__(daemon=True)
        self.requests = requests
        self.current = threading.Event()

    def run(self) -> None:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            if line == "cancel":
                self.current.set()
                continue
            request = json.loads(line)
            self.current = threading.Event()
            request["_cancel"] = self.current
            self.requests.put(request)
        self.current.set()
        self.requests.put(None)  # EOF: the parent closed us or went away


def _serve(backend: Any, request: dict[str, Any], send: Any) -> None:
    from engine.chat.messages import as_messages

    op = request["op"]
    if op == "render":
        messages = as_messages(request["messages"])
        send({"event": "result", "value": backend.render(messages, think=request.get("think"))})
    elif op == "prompt_tokens":
        send({"event": "result", "value": backend.prompt_tokens(request["prompt"])})
    elif op == "tokenize":
        ids = backend.llm.tokenize(request["text"].encode("utf-8"), add_bos=False, special=True)
        send({"event": "result", "value": list(ids)})
    elif op == "chat":
        if request.get("cancelled"):
            request["_cancel"].set()
        stream = backend.stream(
            request["messages"],
            options=request.get("options"),
            think=request.get("think"),
            cancel_event=request["_cancel"],
        )
        send({"event": "started"})
        _maybe_crash("generate")
        for chunk in stream:
            if chunk.done:
                stats = chunk.stats.__dict__ if chunk.stats else None
                send({"event": "done", "content": chunk.content, "stats": stats})
            else:
                send({"event": "chunk", "content": chunk.content, "thinking": chunk.thinking})
    else:
        raise ValueError(f"unknown request {op!r}")


def main() -> int:
    events_out: TextIO = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(data: dict[str, Any]) -> None:
        events_out.write(json.dumps(data, ensure_ascii=False) + "\n")
        events_out.flush()

    requests: queue.Queue[dict[str, Any] | None] = queue.Queue()
    _Reader(requests).start()
    first = requests.get()
    if first is None:
        return 0
    try:
        _maybe_crash("load")
        from pathlib import Path

        from engine.chat.llama_backend import LlamaChatBackend

        backend = LlamaChatBackend(
            Path(first["path"]),
            n_ctx=int(first["n_ctx"]),
            chat_template=first.get("template"),
            vocab_only=bool(first.get("vocab_only")),
        )
    except Exception as exc:  # every failure goes back as a structured error
        send({"event": "error", "error": _error(exc)})
        return 1
    send({"event": "ready", "chat_template": backend.chat_template, "n_ctx": backend.llm.n_ctx()})
    while (request := requests.get()) is not None:
        try:
            _serve(backend, request, send)
        except Exception as exc:
            send({"event": "error", "error": _error(exc)})
    backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
