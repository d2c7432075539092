"""Chat with a GGUF through llama.cpp in a child process (engine/chat/llama_child.py).

The child loads the model once and stays alive between turns; chunks stream back as
NDJSON. If it dies (signal, abort, out-of-memory kill) the call raises
:class:`engine.chat.errors.NativeCrashError` naming the model, the signal and the tail
of its stderr; the calling process lives on and :meth:`restart` loads the model again.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.chat.errors import NativeCrashError
from engine.chat.messages import ChatChunk, ChatMessage, ChatStats, as_messages
from engine.errors import InputError, TuneforgeError
from engine.jobs.runners import spawn_child


def child_command() -> list[str]:
    """How to start the chat child: the module normally, the frozen app with flags."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--job-child", "--llama-chat"]
    return [sys.executable, "-m", "engine.chat.llama_child"]


class ChildLlamaBackend:
    """One GGUF loaded by a llama.cpp child process. Calls are serialized."""

    def __init__(
        self,
        gguf_path: Path,
        *,
        n_ctx: int = 4096,
        chat_template: str | None = None,
        vocab_only: bool = False,
    ) -> None:
        """``vocab_only``: the tokenizer only, for ``render`` and ``prompt_tokens``."""
        self.path = Path(gguf_path)
        self._vocab_only = vocab_only
        if not self.path.is_file():
            raise InputError("the GGUF file does not exist", path=self.path)
        self._n_ctx_wanted = n_ctx
        self._template_given = chat_template
        self.label = f"{self.path.name} (llama.cpp)"
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self.crash: NativeCrashError | None = None
        self._pending = False  # an answer's events are still on their way
        self.chat_template = ""
        self.n_ctx = 0
        self._start()

    # -- process ----------------------------------------------------------------------
    def _start(self) -> None:
        self.crash = None
        self._pending = False
        self._stderr = collections.deque(maxlen=40)
        proc = spawn_child(child_command())
        self._proc = proc
        stderr_lines = self._stderr

        def pump() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                stderr_lines.append(line.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()
        request = {
            "op": "load",
            "path": str(self.path),
            "n_ctx": self._n_ctx_wanted,
            "template": self._template_given,
            "vocab_only": self._vocab_only,
        }
        reply = self._ask(request, stage="loading")
        if reply["event"] == "error":
            self._stop()
            raise TuneforgeError.from_dict(reply["error"])
        self.chat_template = reply["chat_template"]
        self.n_ctx = int(reply["n_ctx"])

    def _send(self, data: dict[str, Any] | str, *, stage: str) -> None:
        proc = self._proc
        if proc is None or self.crash is not None:
            raise self.crash or NativeCrashError(model=self.path, returncode=None, stage=stage)
        assert proc.stdin is not None
        try:
            proc.stdin.write((data if isinstance(data, str) else json.dumps(data)) + "\n")
            proc.stdin.flush()
        except OSError:
            self._crashed(stage)

    def _read(self, *, stage: str) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            self._crashed(stage)
        data: dict[str, Any] = json.loads(line)
        return data

    def _ask(self, request: dict[str, Any], *, stage: str) -> dict[str, Any]:
        self._drain()
        self._send(request, stage=stage)
        return self._read(stage=stage)

    def _crashed(self, stage: str) -> None:
        proc = self._proc
        assert proc is not None
        try:
            returncode: int | None = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait()
        if proc.stderr is not None:
            threading.Event().wait(0.05)  # let the pump read the last lines
        self.crash = NativeCrashError(
            model=self.path,
            returncode=returncode,
            stderr_tail="\n".join(self._stderr),
            stage=stage,
        )
        raise self.crash

    def _stop(self, grace: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self) -> None:
        """Stop the child (crashed or not) and load the model again in a fresh one."""
        with self._lock:
            self._stop(grace=1.0)
            self._pending = False
            self._start()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self.crash is None and self._proc.poll() is None

    # -- questions ----------------------------------------------------------------------
    def _call(self, request: dict[str, Any], stage: str) -> Any:
        with self._lock:
            reply = self._ask(request, stage=stage)
        if reply["event"] == "error":
            raise TuneforgeError.from_dict(reply["error"])
        return reply["value"]

    def render(self, messages: Sequence[ChatMessage], *, think: bool | None = None) -> str:
        plain = [m.to_ollama() for m in as_messages(messages)]
        value: str = self._call({"op": "render", "messages": plain, "think": think}, "rendering")
        return value

    def prompt_tokens(self, prompt: str) -> list[int]:
        value: list[int] = self._call({"op": "prompt_tokens", "prompt": prompt}, "tokenizing")
        return value

    def tokenize(self, text: str) -> list[int]:
        """Token ids of ``text`` (special tokens parsed, no BOS added)."""
        value: list[int] = self._call({"op": "tokenize", "text": text}, "tokenizing")
        return value

    def stream(
        self,
        messages: Sequence[ChatMessage | Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Iterator[ChatChunk]:
        plain = [m.to_ollama() for m in as_messages(messages)]
        request = {
            "op": "chat",
            "messages": plain,
            "options": dict(options or {}),
            "think": think,
            "cancelled": cancel_event is not None and cancel_event.is_set(),
        }
        with self._lock:
            reply = self._ask(request, stage="preparing an answer of")
            if reply["event"] == "error":
                raise TuneforgeError.from_dict(reply["error"])
            self._pending = True
        return self._chunks(cancel_event)

    def _drain(self) -> None:
        """An earlier answer was abandoned: stop it and skip its events."""
        if self._pending and self.crash is None and self._proc is not None:
            self._pending = False
            self._send("cancel", stage="stopping")
            while self._read(stage="stopping")["event"] not in ("done", "error"):
                pass
        self._pending = False

    def _chunks(self, cancel_event: threading.Event | None) -> Iterator[ChatChunk]:
        finished = threading.Event()
        if cancel_event is not None:
            threading.Thread(
                target=self._watch_cancel, args=(cancel_event, finished), daemon=True
            ).start()
        with self._lock:
            try:
                while self._pending:
                    data = self._read(stage="generating with")
                    event = data["event"]
                    if event == "chunk":
                        yield ChatChunk(content=data["content"], thinking=data["thinking"])
                    elif event == "done":
                        self._pending = False
                        stats = ChatStats(**data["stats"]) if data.get("stats") else None
                        yield ChatChunk(done=True, stats=stats)
                    elif event == "error":
                        self._pending = False
                        raise TuneforgeError.from_dict(data["error"])
            finally:
                finished.set()
                try:
                    self._drain()
                except NativeCrashError:
                    pass

    def _watch_cancel(self, cancel_event: threading.Event, finished: threading.Event) -> None:
        while not finished.is_set():
            if cancel_event.wait(0.05):
                if not finished.is_set() and self._pending:
                    try:
                        self._send("cancel", stage="stopping")
                    except NativeCrashError:
                        pass
                return

    def close(self) -> None:
        self._stop()
