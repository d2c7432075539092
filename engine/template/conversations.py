"""Conversations for the parity check, and how each side (transformers / Ollama) receives them.

A :class:`Conversation` is written once. ``jinja_messages`` turns it into what a Hugging
Face chat template receives (reasoning as ``reasoning_content`` or inline ``<think>…</think>``
depending on what the template reads); ``ollama_request_messages`` turns it into what an
Ollama client sends to ``/api/chat`` (``thinking`` as its own field). What Ollama does with
the request before the template sees it is in :func:`ollama_chat_messages` here (server
side) and in the Go renderer (``template/template.go`` ``Execute``/``collate``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ThinkingStyle = Literal["reasoning_content", "inline", "none"]


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any]
    call_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Turn:
    role: str
    content: str = ""
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_name: str = ""


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """One parity case. ``think`` is the Ollama request's ``think`` (None: not sent)."""

    name: str
    description: str
    turns: tuple[Turn, ...]
    tools: tuple[Mapping[str, Any], ...] | None = None
    think: bool | None = None
    needs: frozenset[str] = field(default_factory=frozenset)  # "thinking", "tools", "system"


def thinking_style(chat_template: str) -> ThinkingStyle:
    """How a template expects earlier reasoning: inline ``<think>`` tags in the content when
    it splits content on ``</think>`` (DeepSeek-R1, QwQ), else the ``reasoning_content``
    field (transformers also copies it to ``thinking``; templates that ignore both are
    unaffected, templates that print them are caught by the parity check)."""
    if "</think>" in chat_template and "reasoning_content" not in chat_template:
        return "inline"
    return "reasoning_content"


def jinja_messages(conversation: Conversation, style: ThinkingStyle) -> list[dict[str, Any]]:
    """The messages a Hugging Face chat template receives for ``conversation``.

    Inline reasoning is written ``<think>T</think>C``: Ollama's thinking parser
    (thinking/parser.go) reads exactly that back as ``thinking=T, content=C``.
    """
    out: list[dict[str, Any]] = []
    for turn in conversation.turns:
        message: dict[str, Any] = {"role": turn.role, "content": turn.content}
        if turn.thinking and style == "reasoning_content":
            message["reasoning_content"] = turn.thinking
        elif turn.thinking and style == "inline":
            message["content"] = f"<think>{turn.thinking}</think>{turn.content}"
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "type": "function",
                    **({"id": call.call_id} if call.call_id else {}),
                    "function": {"name": call.name, "arguments": dict(call.arguments)},
                }
                for call in turn.tool_calls
            ]
        if turn.tool_name:
            message["name"] = turn.tool_name
        out.append(message)
    return out


def ollama_request_messages(conversation: Conversation) -> list[dict[str, Any]]:
    """The ``messages`` of the ``/api/chat`` request for ``conversation`` (api/types.go Message)."""
    out: list[dict[str, Any]] = []
    for turn in conversation.turns:
        message: dict[str, Any] = {"role": turn.role, "content": turn.content}
        if turn.thinking:
            message["thinking"] = turn.thinking
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    **({"id": call.call_id} if call.call_id else {}),
                    "function": {"index": i, "name": call.name, "arguments": dict(call.arguments)},
                }
                for i, call in enumerate(turn.tool_calls)
            ]
        if turn.tool_name:
            message["tool_name"] = turn.tool_name
        out.append(message)
    return out


def ollama_chat_messages(
    request_messages: Sequence[Mapping[str, Any]],
    *,
    modelfile_system: str = "",
    modelfile_messages: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """What Ollama's chat handler hands to the template (server/routes.go ``ChatHandler``).

    - The Modelfile's MESSAGE history comes first: ``msgs := append(m.Messages, req.Messages...)``.
    - The Modelfile SYSTEM is prepended only when the request's first message is not a
      system message: ``if req.Messages[0].Role != "system" && m.System != ""``.
    Collating system messages and merging same-role neighbours happens later, inside
    ``template.Execute`` (template/template.go ``collate``), which the Go renderer runs.
    """
    msgs = [dict(m) for m in modelfile_messages] + [dict(m) for m in request_messages]
    first_role = request_messages[0].get("role") if request_messages else None
    if first_role != "system" and modelfile_system:
        msgs.insert(0, {"role": "system", "content": modelfile_system})
    return msgs


def ollama_think(request_think: bool | None, *, thinking_capable: bool) -> bool | None:
    """The ``think`` Ollama uses: thinking-capable models think unless told not to
    (server/routes.go ``ChatHandler``: ``if req.Think == nil { req.Think = &ThinkValue{true} }``)."""
    if request_think is None and thinking_capable:
        return True
    return request_think


# ------------------------------------------------------------------ the fixed parity set

WEATHER_TOOL: Mapping[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. 北京"},
                "unit": {"type": "string", "description": "Temperature unit", "enum": ["c", "f"]},
            },
            "required": ["city"],
        },
    },
}

_CODE = (
    "```python\n"
    "def greet(name: str) -> dict:\n"
    '    """Say hi — {{ not a template }} {% raw %}"""\n'
    '    return {"msg": f"你好, {name}!\\n"}\n'
    "```"
)

PARITY_CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation(
        name="single_user",
        description="one user turn",
        turns=(Turn(role="user", content="Hello! Who are you?"),),
    ),
    Conversation(
        name="system_multi_turn",
        description="system prompt and several turns",
        needs=frozenset({"system"}),
        turns=(
            Turn(role="system", content="You are a concise assistant. Answer in one sentence."),
            Turn(role="user", content="What is the capital of France?"),
            Turn(role="assistant", content="The capital of France is Paris."),
            Turn(role="user", content="And of Germany?"),
            Turn(role="assistant", content="Berlin is the capital of Germany."),
            Turn(role="user", content="Thanks. Which river runs through it?"),
        ),
    ),
    Conversation(
        name="unicode_and_code",
        description="Chinese text, emoji and a code block with template-like braces",
        turns=(
            Turn(role="user", content="请写一个 Python 函数，向 🌍 问好。Use {{ braces }} too."),
            Turn(role="assistant", content=_CODE),
            Turn(
                role="user",
                content='谢谢！Now explain `{% raw %}` and "quotes" in <b>HTML</b> & more.',
            ),
        ),
    ),
    Conversation(
        name="empty_system",
        description="an empty system message",
        needs=frozenset({"system"}),
        turns=(
            Turn(role="system", content=""),
            Turn(role="user", content="Hi there"),
        ),
    ),
    Conversation(
        name="assistant_thinking",
        description="an earlier assistant turn with thinking",
        turns=(
            Turn(role="user", content="What is 17 * 3?"),
            Turn(
                role="assistant",
                thinking="17 * 3 = 51. Double-check: 17 * 3 = 51.",
                content="17 × 3 = 51.",
            ),
            Turn(role="user", content="And 51 / 3?"),
        ),
    ),
    Conversation(
        name="thinking_off",
        description="thinking switched off in the request (think: false)",
        needs=frozenset({"thinking"}),
        think=False,
        turns=(Turn(role="user", content="Say hello without thinking."),),
    ),
    Conversation(
        name="thinking_off_history",
        description="thinking switched off, with an earlier answer in the conversation",
        needs=frozenset({"thinking"}),
        think=False,
        turns=(
            Turn(role="user", content="Hi"),
            Turn(role="assistant", content="Hello! How can I help?"),
            Turn(role="user", content="Say hello without thinking."),
        ),
    ),
    Conversation(
        name="tools_available",
        description="a tool list in the request",
        needs=frozenset({"tools"}),
        tools=(WEATHER_TOOL,),
        turns=(
            Turn(role="system", content="You help with weather questions."),
            Turn(role="user", content="What's the weather in 北京?"),
        ),
    ),
    Conversation(
        name="tool_round_trip",
        description="an assistant tool call and the tool's answer",
        needs=frozenset({"tools"}),
        tools=(WEATHER_TOOL,),
        turns=(
            Turn(role="user", content="Weather in Paris, in celsius?"),
            Turn(
                role="assistant",
                thinking="The user wants the weather; call the tool.",
                tool_calls=(
                    ToolCall(name="get_weather", arguments={"city": "Paris", "unit": "c"}),
                ),
            ),
            Turn(
                role="tool", content='{"temperature": 21, "sky": "clear"}', tool_name="get_weather"
            ),
        ),
    ),
)
