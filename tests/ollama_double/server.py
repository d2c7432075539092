"""An Ollama API **test double**: a real HTTP server on 127.0.0.1 that behaves like
Ollama's, for the endpoints Tuneforge uses. It is not Ollama and runs no model.

Calibrated on Ollama's source (``server/routes.go``, ``server/create.go``,
``manifest/``, ``api/types.go``) and on what a real 0.12.6 server answered (see
docs/OLLAMA.md). Where the double guesses, the comment says so and names the source it
was read from. HTTP plumbing is here; the endpoints are in :mod:`.api`.

Strictness: things real Ollama accepts but that break a model later (``stop`` as a
string, numbers as text, unknown parameters) are accepted like Ollama does **and**
recorded in :attr:`OllamaDouble.violations`; the pytest fixture fails a test that
leaves violations it did not expect.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.ollama_double import api

# Go's net/http discards at most this much of an unread request body before it closes
# the connection instead (net/http server.go, maxPostHandlerReadBytes).
_UNREAD_BODY_LIMIT = 256 << 10


@dataclass
class Faults:
    """Trouble to inject, set by a test before the request."""

    create_error_after: str | None = None  # after this status line, an error line
    create_error: str = "injected failure (test double)"
    chat_error_after_chunks: int | None = None
    chat_error: str = "injected failure (test double)"
    chat_first_chunk_delay: float = 0.0  # seconds, like a model that is loading
    upload_bytes_per_second: float | None = None  # read uploads this slowly
    # Ollama ≥ 0.30 only (llm/llama_server.go Chat): llama-server's error, which Ollama
    # answers as 500 {"error": "llama-server chat error: …"} before any output, or as a
    # final error line after some; and a stream that llama-server ends without a
    # finish_reason, which Ollama passes on as a chat stream that ends without "done".
    llama_server_error: str | None = None
    llama_server_error_after_chunks: int = 0
    stream_ends_without_done: bool = False


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: Any = None  # parsed JSON for API calls; byte count for blob uploads
    headers: dict[str, str] = field(default_factory=dict)


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (a cancelled chat, a closed stream) is normal here,
    not a traceback on the test run's output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class OllamaDouble:
    """Start with ``with OllamaDouble(tmp_dir, version="0.12.6") as double:``;
    ``double.url`` is the base URL; ``double.requests`` records every request."""

    def __init__(
        self, root: Path, *, version: str = "0.12.6", go_template_env: bool | None = None
    ) -> None:
        self.root = Path(root)
        self.blobs_dir = self.root / "models" / "blobs"
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.version = version  # what the double behaves like (< 0.30 or ≥ 0.30)
        # OLLAMA_GO_TEMPLATE on a ≥ 0.30 server: None = unset (capabilities decide),
        # True = always the Go template, False = never (envconfig/config.go GoTemplate)
        self.go_template_env = go_template_env
        # what GET /api/version says, if different (a proxy, a build with a wrong version)
        self.reported_version: str | None = None
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.aborted_uploads = 0
        self.chat_disconnects = 0
        self.inexact_prompt_counts = 0  # chats counted without the Go renderer
        self.last_prompt: str | None = None  # the prompt text the last chat rendered
        self.store = api.ModelStore(self)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> OllamaDouble:
        handler = type("Handler", (_Handler,), {"double": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OllamaDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """(0, 0, 0) (a development build) behaves like the newest."""
        nums = tuple(int(x) for x in self.version.split("-")[0].split(".")[:3])
        return nums if nums != (0, 0, 0) else (999, 0, 0)

    # -- what tests look at ----------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs_dir / digest.replace(":", "-")

    def blob_names(self) -> set[str]:
        """Exact file names (case-sensitive, as on Linux, whatever the OS running tests)."""
        return {p.name for p in self.blobs_dir.iterdir()}

    def has_blob_file(self, digest: str) -> bool:
        return digest.replace(":", "-") in self.blob_names()

    def calls(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def take_violations(self) -> list[str]:
        found, self.violations = self.violations, []
        return found

    def violation(self, text: str) -> None:
        self.violations.append(text)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    double: OllamaDouble
    server_version = "ollama-double"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- routing (server/routes.go GenerateRoutes) -----------------------------------
    def do_GET(self) -> None:
        self._route("GET")

    def do_HEAD(self) -> None:
        self._route("HEAD")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        routes = api.routes(path)
        if routes is None:
            self.send_text(404, "404 page not found")
            return
        handler = routes.get(method)
        if handler is None:
            # gin's HandleMethodNotAllowed = true
            self.send_text(405, "405 method not allowed")
            return
        handler(self)

    # -- reading ---------------------------------------------------------------------
    def body_pieces(self, piece: int = 64 << 10) -> Iterator[bytes]:
        """The request body, Content-Length or chunked. Raises ConnectionError if cut short."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size_line = self.rfile.readline()
                if not size_line:
                    raise ConnectionError("client went away")
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left:
                    data = self.rfile.read(min(piece, left))
                    if not data:
                        raise ConnectionError("client went away")
                    left -= len(data)
                    yield data
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                data = (
                    self.rfile.read1(min(piece, left))
                    if hasattr(self.rfile, "read1")
                    else self.rfile.read(min(piece, left))
                )
                if not data:
                    raise ConnectionError("client went away")
                left -= len(data)
                yield data

    def read_body(self) -> bytes:
        return b"".join(self.body_pieces())

    def discard_unread_body(self) -> None:
        """What Go does when a handler answers without reading the body."""
        length = int(self.headers.get("Content-Length") or 0)
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        if not chunked and length <= _UNREAD_BODY_LIMIT:
            for _ in self.body_pieces():
                pass
        else:
            self.close_connection = True

    def read_json(self) -> tuple[Any, str | None]:
        """``(data, error)``: gin's ShouldBindJSON on an empty body says "missing request body"."""
        raw = self.read_body()
        if not raw.strip():
            return None, "missing request body"
        try:
            return json.loads(raw), None
        except ValueError as exc:
            return None, f"invalid character in JSON: {exc}"  # guess: Go's wording differs

    def record(self, body: Any = None) -> None:
        self.double.requests.append(
            RecordedRequest(
                method=self.command,
                path=self.path,
                body=body,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
        )

    def throttle(self, nbytes: int) -> None:
        rate = self.double.faults.upload_bytes_per_second
        if rate:
            time.sleep(nbytes / rate)

    # -- writing ---------------------------------------------------------------------
    def send_json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_json(self, status: int, message: str) -> None:
        self.send_json(status, {"error": message})

    def send_text(self, status: int, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_status(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def stream(self) -> NDJSONStream:
        return NDJSONStream(self)


class NDJSONStream:
    """Go's ``streamResponse`` (server/routes.go): an error before any output becomes an
    HTTP error status with a JSON body; after output started, a final ``{"error"}`` line
    with the 200 already sent."""

    def __init__(self, handler: _Handler) -> None:
        self.h = handler
        self.started = False

    def send(self, data: dict[str, Any]) -> None:
        if not self.started:
            self.h.send_response(200)
            self.h.send_header("Content-Type", "application/x-ndjson")
            self.h.send_header("Transfer-Encoding", "chunked")
            self.h.end_headers()
            self.started = True
        line = json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"
        self.h.wfile.write(f"{len(line):x}\r\n".encode("ascii") + line + b"\r\n")
        self.h.wfile.flush()

    def error(self, message: str, status: int = 500) -> None:
        if not self.started:
            self.h.send_error_json(status, message)
            return
        self.send({"error": message})

    def end(self) -> None:
        if self.started:
            self.h.wfile.write(b"0\r\n\r\n")
            self.h.wfile.flush()
