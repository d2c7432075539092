"""Errors shared by the whole engine.

Every error a user can see is a :class:`TuneforgeError`: a one-line message that
says what happened, an optional hint that says what to do, and structured fields
(``path``, ``field``, ``line`` …) so the CLI, the GUI and the NDJSON wire can show
or transport it without parsing text. Sub-packages subclass these in their own
``errors`` module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class TuneforgeError(Exception):
    """Base class of every user-facing engine error."""

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | Path | None = None,
        field: str | None = None,
        line: int | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None
        self.field = field
        self.line = line
        self.details = details

    def __str__(self) -> str:
        text = self.message
        if self.path and self.path not in text:
            text = f"{self.path}: {text}"
        if self.line is not None and f"line {self.line}" not in text:
            text = f"{text} (line {self.line})"
        if self.hint:
            text = f"{text}\n  → {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        for key in ("hint", "path", "field", "line"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.details:
            data["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TuneforgeError:
        """Rebuild an error received over the wire (a child process, a worker). The shared
        kinds come back as their own class (:class:`InputError`, :class:`UnsupportedError`,
        :class:`ResourceError`), so callers can still tell a bad input from a missing
        resource; any other comes back as a :class:`ReceivedError` that keeps its code."""
        code = str(data.get("code", "error"))
        err = _SHARED_KINDS.get(code, ReceivedError)(
            data.get("message", "unknown error"),
            hint=data.get("hint"),
            path=data.get("path"),
            field=data.get("field"),
            line=data.get("line"),
            **(data.get("details") or {}),
        )
        err.code = code
        return err


class InputError(TuneforgeError):
    """The user's file or folder is missing, broken, or not what we expected."""

    code = "input"


class UnsupportedError(TuneforgeError):
    """Valid input that Tuneforge does not handle (yet)."""

    code = "unsupported"


class ResourceError(TuneforgeError):
    """The machine lacks something: disk space, memory, a library."""

    code = "resource"


class JobCancelled(TuneforgeError):
    """Raised inside a job by ``ctx.check_cancelled()``. Cancelling is not failing."""

    code = "cancelled"

    def __init__(self, message: str = "cancelled by the user", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class ReceivedError(TuneforgeError):
    """An error that happened in a child process or on a remote worker, of a kind this
    side does not rebuild (its ``code`` says which)."""


_SHARED_KINDS: dict[str, type[TuneforgeError]] = {
    kind.code: kind for kind in (InputError, UnsupportedError, ResourceError)
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
