"""What the client returns: frozen dataclasses built from Ollama's JSON (``api/types.go``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.messages import ChatChunk, ChatMessage, ChatStats


@dataclass(frozen=True, kw_only=True)
class ServerStatus:
    """Is Ollama there? ``message`` is one sentence for the user."""

    running: bool
    version: str | None
    installed: bool
    host: str
    message: str
    supported: bool = False  # running and new enough for Tuneforge
    json_create: bool = False  # accepts the JSON form of /api/create (≥ 0.5.5)


@dataclass(frozen=True, kw_only=True)
class CreateStatus:
    """One line of the ``/api/create`` stream (``ProgressResponse``)."""

    status: str
    digest: str = ""
    total: int = 0
    completed: int = 0


@dataclass(frozen=True, kw_only=True)
class ModelSummary:
    """One entry of ``GET /api/tags``."""

    name: str
    model: str
    size: int
    digest: str
    modified_at: str
    format: str = ""
    family: str = ""
    parameter_size: str = ""
    quantization_level: str = ""


@dataclass(frozen=True, kw_only=True)
class ModelDetails:
    """``POST /api/show``: what Ollama stored for a model."""

    name: str
    modelfile: str = ""
    parameters_text: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    template: str = ""
    system: str = ""
    license: str = ""
    format: str = ""
    family: str = ""
    parameter_size: str = ""
    quantization_level: str = ""
    model_info: dict[str, Any] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ()
    messages: tuple[ChatMessage, ...] = ()
    modified_at: str = ""


def model_summary(data: dict[str, Any]) -> ModelSummary:
    details = data.get("details") or {}
    return ModelSummary(
        name=str(data.get("name") or data.get("model") or ""),
        model=str(data.get("model") or data.get("name") or ""),
        size=int(data.get("size") or 0),
        digest=str(data.get("digest") or ""),
        modified_at=str(data.get("modified_at") or ""),
        format=str(details.get("format") or ""),
        family=str(details.get("family") or ""),
        parameter_size=str(details.get("parameter_size") or ""),
        quantization_level=str(details.get("quantization_level") or ""),
    )


def model_details(name: str, data: dict[str, Any]) -> ModelDetails:
    details = data.get("details") or {}
    messages = tuple(
        ChatMessage(role=str(m.get("role", "")), content=str(m.get("content", "")))
        for m in data.get("messages") or []
        if isinstance(m, dict)
    )
    return ModelDetails(
        name=name,
        modelfile=str(data.get("modelfile") or ""),
        parameters_text=str(data.get("parameters") or ""),
        parameters=parse_parameters_text(str(data.get("parameters") or "")),
        template=str(data.get("template") or ""),
        system=str(data.get("system") or ""),
        license=str(data.get("license") or ""),
        format=str(details.get("format") or ""),
        family=str(details.get("family") or ""),
        parameter_size=str(details.get("parameter_size") or ""),
        quantization_level=str(details.get("quantization_level") or ""),
        model_info=dict(data.get("model_info") or {}),
        capabilities=tuple(str(c) for c in data.get("capabilities") or ()),
        messages=messages,
        modified_at=str(data.get("modified_at") or ""),
    )


_PARAM_LINE = re.compile(r"^(\S+)\s+(.*)$")


def parse_parameters_text(text: str) -> dict[str, Any]:
    """``/api/show``'s ``parameters`` block → dict; repeated keys (``stop``) become lists.

    Each line is ``fmt.Sprintf("%-30s %#v", key, value)`` (``server/routes.go``
    GetModelInfo): strings Go-quoted, numbers bare.
    """
    out: dict[str, Any] = {}
    for line in text.splitlines():
        match = _PARAM_LINE.match(line.strip())
        if not match:
            continue
        key, raw = match.groups()
        value = _go_value(raw.strip())
        if key == "stop":
            out.setdefault(key, []).append(value)
        elif key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


def _go_value(raw: str) -> Any:
    import json

    if raw.startswith('"'):
        try:
            return json.loads(raw)  # Go %#v quoting is JSON-compatible for common text
        except ValueError:
            return raw.strip('"')
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


_NS = 1e-9


def chat_chunk(data: dict[str, Any]) -> ChatChunk:
    """One ``/api/chat`` NDJSON line (``ChatResponse``) → :class:`ChatChunk`."""
    message = data.get("message") or {}
    done = bool(data.get("done"))
    stats = None
    if done:

        def seconds(key: str) -> float | None:
            value = data.get(key)
            return value * _NS if isinstance(value, (int, float)) else None

        def count(key: str) -> int | None:
            value = data.get(key)
            return int(value) if isinstance(value, (int, float)) else None

        stats = ChatStats(
            done_reason=str(data.get("done_reason") or "stop"),
            prompt_tokens=count("prompt_eval_count"),
            completion_tokens=count("eval_count"),
            prompt_seconds=seconds("prompt_eval_duration"),
            completion_seconds=seconds("eval_duration"),
            total_seconds=seconds("total_duration"),
            load_seconds=seconds("load_duration"),
        )
    return ChatChunk(
        content=str(message.get("content") or ""),
        thinking=str(message.get("thinking") or ""),
        done=done,
        stats=stats,
    )
