"""``POST /api/chat`` (``server/routes.go`` ChatHandler), with a scripted "model".

The double runs no model, but it renders the prompt with the template the real server
would select and counts its tokens with llama.cpp (:mod:`.prompt`), so
``prompt_eval_count`` is honest. On Ollama ≥ 0.30 it can fail like llama-server does
(:class:`~tests.ollama_double.server.Faults`). Its reply is ``You said: <last user message>`` streamed word by
word; a model whose template can think first streams ``Considering: <message>`` as
thinking (unless ``"think": false``). ``num_predict`` and ``stop`` options are honoured so
``done_reason`` is ``length`` or ``stop`` as with a real model. Metric values are made up
but have Ollama's names and units (nanoseconds).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tests.ollama_double.names import parse_name
from tests.ollama_double.params import option_error
from tests.ollama_double.selection import LLAMA_SERVER_SINCE

if TYPE_CHECKING:
    from tests.ollama_double.server import _Handler

_PIECES = re.compile(r"\S+\s*|\s+")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def chat(h: _Handler) -> None:
    data, err = h.read_json()
    h.record(data)
    if err:
        h.send_error_json(400, err)
        return
    if not isinstance(data, dict):
        h.send_error_json(400, "json: cannot unmarshal into api.ChatRequest")
        return
    name = data.get("model") or ""
    if not name:
        h.send_error_json(400, "model is required")
        return
    parts = parse_name(name) if isinstance(name, str) else None
    model = h.double.store.get(parts) if parts else None
    if model is None:
        h.send_error_json(404, f"model '{name}' not found")
        return
    think = data.get("think")
    chosen = model.selection(h.double)
    if "thinking" in chosen.capabilities:
        think = True if think is None else think
    elif think is True:
        h.send_error_json(400, f'"{name}" does not support thinking')
        return
    options = {**model.parameters, **(data.get("options") or {})}
    for key, value in options.items():
        problem = option_error(key, value)
        if problem:
            # guess: scheduleRunner → modelOptions → FromMap error, answered as a 500 JSON
            h.send_error_json(500, problem)
            return

    messages = [m for m in data.get("messages") or [] if isinstance(m, dict)]
    last_user = next(
        (m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), ""
    )
    thinking_pieces = _PIECES.findall(f"Considering: {last_user}") if think else []
    content_pieces = _PIECES.findall(f"You said: {last_user}")
    stream = data.get("stream", True) is not False
    tools = data.get("tools") if isinstance(data.get("tools"), list) else None
    try:
        prompt_tokens = _prompt_tokens(h, model, chosen.source, messages, tools, data.get("think"))
    except Exception as exc:  # the template failed to render: the real server says so
        h.send_error_json(500, _template_error(h, exc))
        return
    _answer(h, name, thinking_pieces, content_pieces, options, prompt_tokens, stream)


def _prompt_tokens(
    h: _Handler,
    model: Any,
    source: str,
    messages: list[dict[str, Any]],
    tools: list[Any] | None,
    think: Any,
) -> int:
    """prompt_eval_count: the tokens of the prompt the selected template renders (see
    :mod:`.prompt`). Without the Go renderer the count is a word count and
    ``double.inexact_prompt_counts`` says so."""
    from tests.ollama_double.api import DEFAULT_TEMPLATE
    from tests.ollama_double.prompt import (
        adds_bos,
        count_tokens,
        render_go,
        render_jinja,
        special_token,
    )
    from tests.ollama_double.selection import GGUF_CHAT_TEMPLATE

    blob = h.double.blob_path(model.gguf_digest)
    if source == GGUF_CHAT_TEMPLATE:
        bos = special_token(blob, "bos")
        text = render_jinja(
            model.chat_template,
            messages,
            tools=tools,
            think=think,
            bos_token=bos,
            eos_token=special_token(blob, "eos"),
        )
        if bos and adds_bos(blob) and text.startswith(bos):
            text = text[len(bos) :]  # llama.cpp common/chat.cpp: one BOS, not two
    else:
        from engine.template.errors import GoRendererUnavailable

        try:
            text = render_go(model.template or DEFAULT_TEMPLATE, messages, tools=tools, think=think)
        except GoRendererUnavailable:
            h.double.inexact_prompt_counts += 1
            return sum(len(_PIECES.findall(str(m.get("content", "")))) for m in messages)
    h.double.last_prompt = text
    return count_tokens(blob, text)


def _template_error(h: _Handler, exc: Exception) -> str:
    # guess: llama-server answers a Jinja failure with an error that Ollama passes on
    if h.double.version_tuple >= LLAMA_SERVER_SINCE:
        return f"llama-server chat error: {exc}"
    return f"template: {exc}"


def _answer(
    h: _Handler,
    requested: str,
    thinking_pieces: list[str],
    content_pieces: list[str],
    options: dict[str, Any],
    prompt_tokens: int,
    stream: bool,
) -> None:
    faults = h.double.faults
    new_world = h.double.version_tuple >= LLAMA_SERVER_SINCE
    limit = options.get("num_predict")
    limit = int(limit) if isinstance(limit, (int, float)) and limit > 0 else None
    stops = [s for s in options.get("stop") or [] if s]

    out = h.stream() if stream else None
    sent = 0
    content_so_far = ""
    reason = "stop"
    thinking_all: list[str] = []
    content_all: list[str] = []
    if faults.chat_first_chunk_delay:
        time.sleep(faults.chat_first_chunk_delay)
    pieces = [("thinking", p) for p in thinking_pieces] + [("content", p) for p in content_pieces]
    try:
        for kind, piece in pieces:
            if limit is not None and sent >= limit:
                reason = "length"
                break
            if (
                new_world
                and faults.llama_server_error is not None
                and sent >= faults.llama_server_error_after_chunks
            ):
                message = f"llama-server chat error: {faults.llama_server_error}"
                if out is not None:
                    out.error(message)  # an HTTP 500 before any output, else a last line
                    out.end()
                else:
                    h.send_error_json(500, message)
                return
            if (
                faults.chat_error_after_chunks is not None
                and sent >= faults.chat_error_after_chunks
            ):
                if out is not None:
                    out.error(faults.chat_error)
                    out.end()
                else:
                    h.send_error_json(500, faults.chat_error)
                return
            if kind == "content":
                cut = _stop_cut(content_so_far + piece, stops)
                if cut is not None:
                    piece = cut[len(content_so_far) :]
                    if piece:
                        content_all.append(piece)
                        _chunk(out, requested, kind, piece)
                    break
                content_so_far += piece
                content_all.append(piece)
            else:
                thinking_all.append(piece)
            _chunk(out, requested, kind, piece)
            sent += 1
        final: dict[str, Any] = {
            "model": requested,
            "created_at": _now(),
            "message": {"role": "assistant", "content": "" if out else "".join(content_all)},
            "done": True,
            "done_reason": reason,
            "total_duration": 5_000_000 + sent * 1_000_000,
            "load_duration": 1_000_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 2_000_000,
            "eval_count": sent,
            "eval_duration": sent * 1_000_000,
        }
        if out is None:
            if thinking_all:
                final["message"]["thinking"] = "".join(thinking_all)
            h.send_json(200, final)
            return
        if new_world and faults.stream_ends_without_done and out is not None:
            out.end()  # llama-server's stream ended without a finish_reason
            return
        if sent == 0:
            final.pop("eval_count")  # Metrics fields are omitempty
            final.pop("eval_duration")
        out.send(final)
        out.end()
    except (BrokenPipeError, ConnectionResetError):
        h.double.chat_disconnects += 1
        h.close_connection = True


def _chunk(out: Any, model: str, kind: str, piece: str) -> None:
    if out is None:
        return
    message = {"role": "assistant", "content": piece if kind == "content" else ""}
    if kind == "thinking":
        message["thinking"] = piece
    out.send({"model": model, "created_at": _now(), "message": message, "done": False})
    time.sleep(0.001)


def _stop_cut(text: str, stops: list[str]) -> str | None:
    hits = [text.index(s) for s in stops if s in text]
    return text[: min(hits)] if hits else None
