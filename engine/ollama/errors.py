"""Ollama errors, and the ONE place where HTTP answers become them.

The client never builds an :class:`OllamaError` from a status code anywhere else: it
calls :func:`error_from_response` (an HTTP status + the ``{"error": …}`` text, or an
``{"error": …}`` line that arrived mid-stream) or :func:`error_from_connection`.
"""

from __future__ import annotations

import json
import logging
import platform
from typing import Any

from engine.errors import InputError, ResourceError, TuneforgeError

log = logging.getLogger(__name__)

DOWNLOAD_URL = "https://ollama.com/download"


class OllamaError(TuneforgeError):
    """Something went wrong talking to Ollama."""

    code = "ollama"

    def __init__(self, message: str, *, status: int | None = None, **kwargs: Any) -> None:
        if status is not None:
            kwargs["status"] = status
        super().__init__(message, **kwargs)
        self.status = status


class OllamaNotInstalled(OllamaError, ResourceError):
    code = "ollama_not_installed"


class OllamaNotRunning(OllamaError):
    code = "ollama_not_running"


class OllamaTooOld(OllamaError):
    code = "ollama_too_old"


class NotOllama(OllamaError):
    """Something answers at the address, but it is not Ollama."""

    code = "not_ollama"


class ModelNotFound(OllamaError):
    code = "model_not_found"


class BadRequest(OllamaError, InputError):
    """Ollama refused what we sent (HTTP 400): a name, a template, a parameter."""

    code = "ollama_bad_request"


class DigestMismatch(BadRequest):
    code = "digest_mismatch"


class ServerError(OllamaError):
    """Ollama failed while working (HTTP 5xx, or an error line mid-stream)."""

    code = "ollama_server_error"


def start_hint() -> str:
    system = platform.system()
    if system == "Windows":
        return "Start Ollama from the Start menu (it then sits in the tray), and try again."
    if system == "Darwin":
        return "Open the Ollama app from Applications (or run `ollama serve`), and try again."
    return "Start it with `ollama serve` (or `systemctl start ollama`), and try again."


def not_installed(host: str) -> OllamaNotInstalled:
    return OllamaNotInstalled(
        f"Ollama is not installed (nothing answers at {host})",
        hint=f"Download and install Ollama from {DOWNLOAD_URL}, start it, and try again.",
        host=host,
    )


def not_running(host: str, *, installed: bool, detail: str = "") -> OllamaNotRunning:
    if installed:
        message = f"Ollama is installed but not running (nothing answers at {host})"
        hint = start_hint()
    else:
        message = f"Ollama does not answer at {host}"
        hint = (
            f"Start Ollama, or install it from {DOWNLOAD_URL}. If it runs on another machine "
            "or port, set OLLAMA_HOST (for example 192.168.1.20:11434)."
        )
    return OllamaNotRunning(message, hint=hint, host=host, detail=detail)


def too_old(version: str, needed: str, *, why: str) -> OllamaTooOld:
    return OllamaTooOld(
        f"Ollama {version} is too old: {why} needs Ollama {needed} or newer",
        hint=f"Update Ollama from {DOWNLOAD_URL} (your models are kept), then try again.",
        version=version,
        needed=needed,
    )


def error_from_connection(host: str, exc: BaseException, *, installed: bool) -> OllamaError:
    """A request that never got an HTTP answer."""
    import requests

    log.warning("Ollama at %s: no HTTP answer: %s", host, exc)

    if isinstance(exc, requests.exceptions.Timeout):
        return OllamaNotRunning(
            f"Ollama at {host} did not answer in time",
            hint="Ollama may be busy loading a model; wait a moment and try again. "
            "If it stays stuck, restart Ollama.",
            host=host,
            detail=str(exc),
        )
    if not installed:
        return not_installed(host)
    return not_running(host, installed=installed, detail=str(exc))


def error_text(body: str | bytes) -> str:
    """The message of an ``{"error": "…"}`` body, or the body itself."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return data["error"]
    return body.strip()


def error_from_response(
    status: int, body: str | bytes, *, action: str, model: str | None = None
) -> OllamaError:
    """Turn an HTTP error answer (or a mid-stream error line, ``status`` 200) into an error.

    ``action`` says what we were doing, in words: "uploading the GGUF",
    "registering the model", "chatting" … It starts the message.
    """
    text = error_text(body)
    log.warning("Ollama HTTP %s while %s: %s", status, action, text[:2000])
    lower = text.lower()
    details: dict[str, Any] = {"status": status, "server_message": text}
    if model is not None:
        details["model"] = model

    if status == 404 and "page not found" in lower:
        # gin's answer for a route it does not have: an Ollama older than the feature
        return OllamaTooOld(
            f"{action}: this Ollama does not have that function ({text})",
            hint=f"Update Ollama from {DOWNLOAD_URL}, then try again.",
            **details,
        )
    if status == 404 and ("not found" in lower or model is not None):
        what = f"the model {model!r}" if model else "it"
        return ModelNotFound(
            f"{action}: Ollama has no model {model!r}" if model else f"{action}: {text}",
            hint=f"Check the name with `tuneforge ollama list`; {what} may have been deleted.",
            **details,
        )
    if "digest mismatch" in lower:
        return DigestMismatch(
            f"{action}: the file Ollama received does not match its checksum ({text})",
            hint="The GGUF changed after it was written, or the upload was damaged. "
            "Rebuild the GGUF (or let Tuneforge recompute its checksum) and try again.",
            **details,
        )
    if "no such file or directory" in lower and "blobs" in lower:
        return ServerError(
            f"{action}: Ollama no longer has the uploaded GGUF ({text})",
            hint="Ollama deletes uploaded files that no model uses when it restarts. "
            "Register again: the file is uploaded and the model created in one go.",
            **details,
        )
    if lower.startswith("template error") or "template:" in lower:
        return BadRequest(
            f"{action}: Ollama rejected the chat template ({text})",
            hint="The TEMPLATE is not valid Go template syntax. Regenerate the Modelfile "
            "or fix the template, then register again.",
            field="template",
            **details,
        )
    if "invalid model name" in lower or (" is invalid" in lower and "name" in lower):
        return BadRequest(
            f"{action}: Ollama refused the model name ({text})",
            hint="Use ASCII letters, digits, '_', '-' and '.', e.g. 'my-model:v1'.",
            field="name",
            **details,
        )
    if "does not support thinking" in lower:
        return BadRequest(
            f"{action}: {text}",
            hint="This model's template has no thinking section; chat with thinking off.",
            field="think",
            **details,
        )
    if "must be of type" in lower or "must be of an array" in lower:
        return BadRequest(
            f"{action}: a model parameter has the wrong type ({text})",
            hint="Fix the PARAMETER lines (numbers as numbers, `stop` as a list) and "
            "register the model again.",
            field="parameters",
            **details,
        )
    if "unknown model architecture" in lower or "unsupported architecture" in lower:
        return OllamaTooOld(
            f"{action}: this Ollama cannot run the model ({text})",
            hint=f"Update Ollama from {DOWNLOAD_URL}; newer versions support more architectures.",
            **details,
        )
    if "path or modelfile are required" in lower or "neither 'from' or 'files'" in lower:
        return OllamaError(
            f"{action}: Ollama did not understand the create request ({text})",
            hint="The Ollama version changed while Tuneforge was talking to it; try again.",
            **details,
        )
    if status in (401, 403):
        return OllamaError(
            f"{action}: Ollama refused the request ({status}: {text})",
            hint="A proxy or Ollama's OLLAMA_ORIGINS setting blocks Tuneforge; check OLLAMA_HOST.",
            **details,
        )
    if 400 <= status < 500:
        return BadRequest(f"{action}: Ollama refused the request ({text})", **details)
    return ServerError(
        f"{action}: Ollama reported an error ({text or f'HTTP {status}'})",
        hint="See Ollama's own log (Windows: %LOCALAPPDATA%\\Ollama\\server.log; "
        "macOS: ~/.ollama/logs/server.log; Linux: journalctl -u ollama) for the cause.",
        **details,
    )
