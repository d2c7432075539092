"""The smoke chat: one short prompt, then the checks that catch a broken template.

A model packaged with the wrong template or stop tokens rambles on, answers itself, or
prints template markers. Those are visible in one reply, so we look for them and
report, rather than hide, a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
