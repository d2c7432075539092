"""Streaming pieces of the client: the upload body, NDJSON reading, cancel by closing."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from engine.errors import InputError, JobCancelled
from engine.ollama import errors as oe

UPLOAD_PIECE = 1 << 20


class FileBody:
    """A file as a request body: a known length (so ``Content-Length`` is sent) and
    an iterator of 1 MiB pieces that reports progress and stops on cancel.

    Raising :class:`JobCancelled` from inside the body makes urllib3 close the
    connection mid-request; Ollama's ``io.Copy`` then fails and it deletes its partial
    file (``manifest/layer.go`` NewLayer), so nothing half-uploaded remains.
    """

    def __init__(
        self,
        path: Path,
        *,
        total: int,
        progress: Callable[[int, int], None] | None = None,
        cancel_event: threading.Event | None = None,
        piece: int = UPLOAD_PIECE,
    ) -> None:
        self.path = path
        self.total = total
        self.sent = 0
        self._progress = progress
        self._cancel = cancel_event
        self._piece = piece

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[bytes]:
        self.sent = 0
        with open(self.path, "rb") as fh:
            while True:
                if self._cancel is not None and self._cancel.is_set():
                    raise JobCancelled()
                data = fh.read(min(self._piece, self.total - self.sent))
                if not data:
                    break
                yield data
                self.sent += len(data)
                if self._progress:
                    self._progress(self.sent, self.total)
        if self.sent != self.total:
            raise InputError(
                f"the file shrank while it was uploaded ({self.sent} of {self.total} bytes)",
                hint="Something else is writing this file; wait for it and try again.",
                path=self.path,
            )


def ndjson_lines(resp: requests.Response, *, action: str, host: str) -> Iterator[dict[str, Any]]:
    """Objects of an NDJSON answer; a dropped connection becomes an OllamaError."""
    try:
        for raw in resp.iter_lines(chunk_size=8192):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except ValueError as exc:
                raise oe.ServerError(
                    f"{action}: Ollama sent a line that is not JSON: {raw[:200]!r}",
                    hint="A proxy may stand between Tuneforge and Ollama; check OLLAMA_HOST.",
                ) from exc
            if isinstance(data, dict):
                yield data
    except requests.exceptions.RequestException as exc:
        raise oe.OllamaNotRunning(
            f"{action}: the connection to Ollama at {host} broke off",
            hint="Ollama may have stopped or crashed; start it again and retry.",
            host=host,
            detail=str(exc),
        ) from exc


@contextlib.contextmanager
def close_on_cancel(
    resp: requests.Response, cancel_event: threading.Event | None
) -> Iterator[None]:
    """While the block runs, setting ``cancel_event`` shuts the response's socket down.

    A reader blocked waiting for the next line (a model still loading) wakes at once;
    Ollama sees the client gone and stops generating.
    """
    if cancel_event is None:
        yield
        return
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            if cancel_event.wait(0.05):
                _shutdown(resp)
                return

    watcher = threading.Thread(target=watch, name="ollama-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()


def _shutdown(resp: requests.Response) -> None:
    conn = getattr(resp.raw, "connection", None) or getattr(resp.raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
            return
    with contextlib.suppress(Exception):
        resp.close()  # no socket to shut down: closing is the next best thing


def send_or_abandon(
    send: Callable[[], requests.Response], cancel_event: threading.Event
) -> requests.Response | None:
    """Run ``send`` (which blocks until Ollama answers: loading a model takes a while) in a
    helper thread; ``None`` if ``cancel_event`` is set first. An answer that arrives after
    the cancel is closed at once, so Ollama sees the client gone and does not generate."""
    box: dict[str, Any] = {}
    lock = threading.Lock()
    ready = threading.Event()

    def run() -> None:
        try:
            resp = send()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        else:
            with lock:
                if box.get("abandoned"):
                    resp.close()
                else:
                    box["resp"] = resp
        ready.set()

    threading.Thread(target=run, name="ollama-chat-request", daemon=True).start()
    while not ready.wait(0.05):
        if cancel_event.is_set():
            with lock:
                if "resp" not in box:
                    box["abandoned"] = True
                    return None
            break
    ready.wait()
    if "error" in box:
        raise box["error"]
    return box["resp"]  # type: ignore[no-any-return]
