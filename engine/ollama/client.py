"""A client for Ollama's HTTP API (``requests``), calibrated on Ollama's own source.

Endpoints and their behaviour: ``server/routes.go`` (GenerateRoutes, the blob, show,
delete and chat handlers), ``server/create.go`` (CreateHandler), ``api/types.go``
(request and response shapes), ``api/client.go`` (how errors are read). Every HTTP
error goes through :mod:`engine.ollama.errors`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from engine import __version__
from engine.errors import InputError, JobCancelled
from engine.messages import ChatChunk, ChatMessage
from engine.modelfile import Modelfile
from engine.ollama import errors as oe
from engine.ollama import payloads
from engine.ollama.chat_stream import cancelled_chunk, chat_body, chat_stream
from engine.ollama.detect import is_installed
from engine.ollama.host import resolve_host
from engine.ollama.names import validate_model_name
from engine.ollama.payloads import normalize_digest
from engine.ollama.responses import (
    CreateStatus,
    ModelDetails,
    ModelSummary,
    ServerStatus,
    model_details,
    model_summary,
)
from engine.ollama.streams import FileBody, ndjson_lines, send_or_abandon
from engine.ollama.versions import MIN_SUPPORTED, at_least, supports_json_create

ProgressCallback = Callable[[int, int], None]
StatusCallback = Callable[[CreateStatus], None]

# Seconds to wait for the next line of a stream: creating may rewrite a large GGUF,
# and the first chat token waits for the model to load.
STREAM_READ_TIMEOUT = 600.0
# Seconds to wait for the answer to a short request (list, show, delete) once connected.
REPLY_TIMEOUT = 120.0
# Seconds a 1 MiB piece of an upload may take to be accepted by the server.
UPLOAD_SEND_TIMEOUT = 60.0


class OllamaClient:
    """Talks to one Ollama server. Thread-safe for independent calls.

    ``host`` is a setting the user typed (``None``: ``OLLAMA_HOST`` or the default
    ``127.0.0.1:11434``); ``timeout`` bounds connecting and short requests.
    """

    def __init__(self, host: str | None = None, *, timeout: float = 5.0) -> None:
        self.host = resolve_host(host)
        self.timeout = timeout
        self._session = requests.Session()
        if _is_loopback(self.host):
            # Like Go's ProxyFromEnvironment: never send localhost through a proxy (Windows
            # users often have a system proxy set that would swallow these requests).
            self._session.trust_env = False
        self._session.headers["User-Agent"] = f"tuneforge/{__version__}"
        self._version: str | None = None  # GET /api/version, asked once per client

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> OllamaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.host}{path}"

    def _send(
        self,
        method: str,
        path: str,
        *,
        action: str,
        model: str | None = None,
        timeout: float | tuple[float, float | None] | None = None,
        ok: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> requests.Response:
        """Send; turn "no answer" and HTTP errors (except ``ok`` codes) into OllamaErrors."""
        try:
            resp = self._session.request(
                method, self._url(path), timeout=timeout or (self.timeout, REPLY_TIMEOUT), **kwargs
            )
        except requests.exceptions.RequestException as exc:
            raise oe.error_from_connection(self.host, exc, installed=is_installed()) from exc
        if resp.status_code >= 400 and resp.status_code not in ok:
            body = resp.content
            resp.close()
            raise oe.error_from_response(resp.status_code, body, action=action, model=model)
        return resp

    # -- is it there? -----------------------------------------------------------------
    def version(self) -> str:
        """``GET /api/version`` (asked once, then remembered by this client).

        Raises NotInstalled / NotRunning / NotOllama; a failure is not remembered.
        """
        if self._version is None:
            self._version = self._ask_version()
        return self._version

    def _ask_version(self) -> str:
        try:
            resp = self._session.get(self._url("/api/version"), timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            raise oe.error_from_connection(self.host, exc, installed=is_installed()) from exc
        try:
            data = resp.json()
            version = data["version"]
            if resp.status_code != 200 or not isinstance(version, str):
                raise ValueError(version)
        except (ValueError, KeyError, TypeError) as exc:
            raise oe.NotOllama(
                f"something answers at {self.host}, but it is not Ollama "
                f"(GET /api/version → HTTP {resp.status_code})",
                hint="Check OLLAMA_HOST / the Ollama address in the settings.",
                host=self.host,
            ) from exc
        return version

    def status(self) -> ServerStatus:
        """Never raises: running? which version? installed? and one sentence for the user."""
        installed = is_installed()
        try:
            version = self.version()
        except oe.OllamaError as exc:
            return ServerStatus(
                running=False, version=None, installed=installed, host=self.host, message=str(exc)
            )
        supported = at_least(version, MIN_SUPPORTED)
        if supported:
            message = f"Ollama {version} is running at {self.host}"
        else:
            message = str(oe.too_old(version, MIN_SUPPORTED, why="Tuneforge"))
        return ServerStatus(
            running=True,
            version=version,
            installed=True,  # it answers, so it is installed somewhere
            host=self.host,
            message=message,
            supported=supported,
            json_create=supports_json_create(version),
        )

    def require_supported(self) -> str:
        """The server version, or OllamaTooOld."""
        version = self.version()
        if not at_least(version, MIN_SUPPORTED):
            raise oe.too_old(version, MIN_SUPPORTED, why="Tuneforge")
        return version

    # -- blobs ----------------------------------------------------------------------
    def has_blob(self, digest: str) -> bool:
        """``HEAD /api/blobs/sha256:…``: 200 present, 404 absent."""
        digest = normalize_digest(digest)
        resp = self._send("HEAD", f"/api/blobs/{digest}", action="checking the upload", ok=(404,))
        resp.close()
        return resp.status_code == 200

    def push_blob(
        self,
        path: str | Path,
        digest: str,
        *,
        progress: ProgressCallback | None = None,
        cancel_event: threading.Event | None = None,
        skip_if_present: bool = True,
    ) -> bool:
        """Upload ``path`` as the blob ``digest``; ``False`` if Ollama already had it.

        The file is streamed in 1 MiB pieces with ``progress(done, total)`` after each;
        setting ``cancel_event`` stops between pieces, closes the connection (Ollama
        then drops the partial file) and raises :class:`JobCancelled`.
        """
        digest = normalize_digest(digest)
        path = Path(path)
        try:
            total = path.stat().st_size
        except OSError as exc:
            raise InputError(f"cannot read the GGUF: {exc.strerror}", path=path) from exc
        if skip_if_present and self.has_blob(digest):
            if progress:
                progress(total, total)
            return False
        if cancel_event is not None and cancel_event.is_set():
            raise JobCancelled()
        body = FileBody(path, total=total, progress=progress, cancel_event=cancel_event)
        try:
            resp = self._session.post(
                self._url(f"/api/blobs/{digest}"),
                data=body,
                headers={"Content-Type": "application/octet-stream"},
                timeout=(max(self.timeout, UPLOAD_SEND_TIMEOUT), STREAM_READ_TIMEOUT),
            )
        except requests.exceptions.RequestException as exc:
            if cancel_event is not None and cancel_event.is_set():
                raise JobCancelled() from exc
            # Ollama answers 200 without reading the body when it already has the blob
            # (another upload raced us) and closes the connection under our feet.
            if self._blob_arrived(digest):
                return False
            raise oe.error_from_connection(self.host, exc, installed=True) from exc
        body_bytes = resp.content
        resp.close()
        if resp.status_code in (200, 201):
            return resp.status_code == 201
        raise oe.error_from_response(resp.status_code, body_bytes, action="uploading the GGUF")

    def _blob_arrived(self, digest: str) -> bool:
        try:
            return self.has_blob(digest)
        except oe.OllamaError:
            return False

    # -- create ---------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        gguf_digest: str,
        quantize: str | None = None,
        on_status: StatusCallback | None = None,
        **fields: Any,
    ) -> None:
        """Create (or overwrite) model ``name`` from an uploaded GGUF blob with loose
        Modelfile fields (``template``, ``system``, ``parameters``, ``messages``,
        ``license``: :func:`engine.ollama.payloads.create_modelfile`); see
        :meth:`create_from_modelfile`."""
        self.create_from_modelfile(
            name,
            gguf_digest=gguf_digest,
            modelfile=payloads.create_modelfile(gguf_digest=gguf_digest, **fields),
            quantize=quantize,
            on_status=on_status,
        )

    def create_from_modelfile(
        self,
        name: str,
        *,
        gguf_digest: str,
        modelfile: Modelfile,
        quantize: str | None = None,
        on_status: StatusCallback | None = None,
    ) -> None:
        """Create (or overwrite) model ``name`` from an uploaded GGUF blob and the Modelfile
        model (its FROM is replaced by the blob).

        The JSON form goes to Ollama ≥ 0.5.5, a Modelfile to older servers: the body is
        built once, for the form the server takes (the other one only if the server turns
        the first down). Streamed statuses go to ``on_status``; errors are checked both as
        an HTTP status and as an ``{"error": …}`` line after output started. Returns after
        ``success``.
        """
        name = validate_model_name(name)
        payloads.check_create(modelfile, quantize)  # everything (Modelfile text too) first
        json_form = supports_json_create(self.require_supported())

        def body(as_json: bool) -> dict[str, Any]:
            return payloads.create_body(
                name,
                gguf_digest=gguf_digest,
                modelfile=modelfile,
                quantize=quantize,
                json_form=as_json,
            )

        try:
            self._create_stream(name, body(json_form), on_status)
        except oe.OllamaError as exc:
            # The version said one form and the server wants the other (a proxy in front,
            # a build with a wrong version string): try the other form once.
            message = str(exc.details.get("server_message", "")).lower()
            if (
                "path or modelfile are required" in message
                or "neither 'from' or 'files'" in message
            ):
                self._create_stream(name, body(not json_form), on_status)
            else:
                raise

    def _create_stream(
        self, name: str, body: dict[str, Any], on_status: StatusCallback | None
    ) -> None:
        action = f"registering {name!r} in Ollama"
        resp = self._send(
            "POST",
            "/api/create",
            action=action,
            json=body,
            stream=True,
            timeout=(self.timeout, STREAM_READ_TIMEOUT),
        )
        finished = False
        try:
            for data in ndjson_lines(resp, action=action, host=self.host):
                if "error" in data:
                    raise oe.error_from_response(resp.status_code, json.dumps(data), action=action)
                status = CreateStatus(
                    status=str(data.get("status", "")),
                    digest=str(data.get("digest") or ""),
                    total=int(data.get("total") or 0),
                    completed=int(data.get("completed") or 0),
                )
                if on_status:
                    on_status(status)
                if status.status == "success":
                    finished = True
        finally:
            resp.close()
        if not finished:
            raise oe.ServerError(
                f"{action}: Ollama ended the answer without 'success'",
                hint="Ollama may have stopped or restarted; look at its log and try again.",
            )

    # -- models ---------------------------------------------------------------------
    def list_models(self) -> list[ModelSummary]:
        resp = self._send("GET", "/api/tags", action="listing Ollama models")
        data = resp.json()
        return [model_summary(m) for m in data.get("models") or []]

    def show(self, name: str) -> ModelDetails:
        name = validate_model_name(name)
        resp = self._send(
            "POST", "/api/show", action="reading the model", model=name, json={"model": name}
        )
        return model_details(name, resp.json())

    def delete(self, name: str) -> None:
        name = validate_model_name(name)
        resp = self._send(
            "DELETE", "/api/delete", action="deleting the model", model=name, json={"model": name}
        )
        resp.close()

    # -- chat -----------------------------------------------------------------------
    def chat(
        self,
        name: str,
        messages: Sequence[ChatMessage | Mapping[str, Any]],
        *,
        options: Mapping[str, Any] | None = None,
        think: bool | None = None,
        cancel_event: threading.Event | None = None,
        keep_alive: str | int | None = None,
    ) -> Iterator[ChatChunk]:
        """Send a chat and return the streamed answer.

        The request is sent (and HTTP errors raised) before this returns; the
        iterator yields content and thinking separately and ends with a ``done``
        chunk carrying :class:`ChatStats`. ``cancel_event`` closes the connection
        (Ollama stops generating) and ends the stream with ``done_reason="cancelled"``.
        """
        name = validate_model_name(name)
        body = chat_body(name, messages, options=options, think=think, keep_alive=keep_alive)
        if cancel_event is not None and cancel_event.is_set():
            return iter([cancelled_chunk()])
        send = lambda: self._send(  # noqa: E731
            "POST",
            "/api/chat",
            action=f"chatting with {name!r}",
            model=name,
            json=body,
            stream=True,
            timeout=(self.timeout, STREAM_READ_TIMEOUT),
        )
        if cancel_event is None:
            return chat_stream(send(), name=name, host=self.host, cancel_event=None)
        resp = send_or_abandon(send, cancel_event)
        if resp is None:
            return iter([cancelled_chunk()])
        return chat_stream(resp, name=name, host=self.host, cancel_event=cancel_event)


def _is_loopback(base_url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


__all__ = ["OllamaClient", "ProgressCallback", "StatusCallback"]
