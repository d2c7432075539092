"""The smoke chat: one short prompt, then the checks that catch a broken template.

A model packaged with the wrong template or stop tokens rambles on, answers itself, or
prints template markers. Those are visible in one reply, so we look for them and
report, rather than hide, a failure.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled, TuneforgeError
from engine.jobs.vocabulary import Stage

SMOKE_PROMPT = "Say hello in one short sentence."
SMOKE_MAX_TOKENS = 256

# Markers that must never appear in a reply: they belong to chat templates.
_MARKER_PATTERNS = (
    r"<\|im_start\|>",
    r"<\|im_end\|>",
    r"<\|start_header_id\|>",
    r"<\|end_header_id\|>",
    r"<\|eot_id\|>",
    r"<\|begin_of_text\|>",
    r"<\|end_of_text\|>",
    r"<start_of_turn>",
    r"<end_of_turn>",
    r"<\|user\|>",
    r"<\|assistant\|>",
    r"<\|system\|>",
    r"<\|end\|>",
    r"<\|endoftext\|>",
    r"<｜User｜>",
    r"<｜Assistant｜>",
    r"<｜end▁of▁sentence｜>",
    r"<｜begin▁of▁sentence｜>",
    r"\[INST\]",
    r"\[/INST\]",
)


@dataclass(frozen=True)
class SmokeResult:
    """The smoke chat's verdict. ``ran`` is False when it could not run at all (llama.cpp
    crashed, Ollama answered the chat with an error); ``problems`` then says why, and the
    package run itself still succeeds."""

    ok: bool
    reply: str
    thinking: str
    done_reason: str | None
    eval_count: int | None
    problems: tuple[str, ...] = field(default_factory=tuple)
    ran: bool = True


def check_reply(
    *,
    content: str,
    thinking: str = "",
    done_reason: str | None,
    eval_count: int | None,
    stop_markers: tuple[str, ...] = (),
) -> SmokeResult:
    """Judge one smoke reply: ended by itself, no template tokens, balanced think tags."""
    problems: list[str] = []
    if done_reason != "stop":
        problems.append(
            f"the reply did not end by itself (done_reason={done_reason!r}, "
            f"{eval_count} tokens): the template or the stop tokens may be wrong"
        )
    text = content + "\n" + thinking
    found = {m for m in stop_markers if m and m in text}
    found |= {re.sub(r"\\", "", p) for p in _MARKER_PATTERNS if re.search(p, text)}
    if found:
        problems.append("the reply contains template tokens: " + ", ".join(sorted(found)))
    if content.count("<think>") != content.count("</think>"):
        problems.append("unbalanced <think> tags in the reply")
    if not content.strip() and not thinking.strip():
        problems.append("the reply is empty")
    return SmokeResult(
        ok=not problems,
        reply=content,
        thinking=thinking,
        done_reason=done_reason,
        eval_count=eval_count,
        problems=tuple(problems),
    )


def run_smoke_chat(
    *,
    model: str | None,
    host: str | None,
    gguf_path: Path,
    stops: tuple[str, ...],
    ctx: Any,
    timings: dict[str, float],
) -> SmokeResult:
    """Ask the registered ``model`` (or, with none, the GGUF in-process via llama.cpp's child)
    :data:`SMOKE_PROMPT` and judge the reply. A chat that cannot run at all is a result with
    ``ran=False``, never a failed package run: the files (and the registration) are done."""
    from engine.chat import ChatMessage, open_backend

    t0 = time.monotonic()
    ctx.progress(Stage.SMOKE, 0, SMOKE_MAX_TOKENS, unit="tokens")
    content, thinking, done_reason, count, n = [], [], None, None, 0
    try:
        backend = open_backend(model=model, host=host) if model else open_backend(gguf=gguf_path)
        try:
            options = {"num_predict": SMOKE_MAX_TOKENS, "temperature": 0}
            for chunk in backend.stream(
                [ChatMessage(role="user", content=SMOKE_PROMPT)],
                options=options,
                cancel_event=ctx.cancel_event,
            ):
                content.append(chunk.content)
                thinking.append(chunk.thinking)
                n += 1
                ctx.progress(Stage.SMOKE, min(n, SMOKE_MAX_TOKENS), SMOKE_MAX_TOKENS, unit="tokens")
                if chunk.done and chunk.stats:
                    done_reason, count = chunk.stats.done_reason, chunk.stats.completion_tokens
        finally:
            backend.close()
    except JobCancelled:
        raise
    except TuneforgeError as exc:
        result = _not_run(exc, model)
        ctx.warn(f"smoke chat: {result.problems[0]}")
        ctx.log(str(exc), level="warning")
        timings[Stage.SMOKE] = time.monotonic() - t0
        return result
    ctx.check_cancelled()
    result = check_reply(
        content="".join(content),
        thinking="".join(thinking),
        done_reason=done_reason,
        eval_count=count,
        stop_markers=stops,
    )
    ctx.progress(Stage.SMOKE, SMOKE_MAX_TOKENS, SMOKE_MAX_TOKENS, unit="tokens")
    for problem in result.problems:
        ctx.warn(f"smoke chat: {problem}")
    timings[Stage.SMOKE] = time.monotonic() - t0
    return result


def _not_run(exc: TuneforgeError, model: str | None) -> SmokeResult:
    """The smoke chat could not run: llama.cpp died in its child process, or Ollama answered
    the chat with an error after the model was registered. The problem says why."""
    from engine.chat.errors import NativeCrashError

    if isinstance(exc, NativeCrashError):
        problem = (
            f"the local check could not run because llama.cpp crashed ({exc.signal}); "
            "the GGUF and Modelfile are written. Try another quantization (F16 or Q8_0) "
            "or register the model in Ollama and chat there"
        )
    elif model:
        problem = (
            f"the model is registered as {model}, but Ollama could not answer "
            f"the smoke chat: {exc.message}. Try `ollama run {model}`; if Ollama "
            "keeps failing, its server log says why"
        )
    else:
        problem = f"the local check could not run: {exc.message}"
    return SmokeResult(
        ok=False,
        reply="",
        thinking="",
        done_reason=None,
        eval_count=None,
        problems=(problem,),
        ran=False,
    )
