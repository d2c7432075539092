"""A training conversation: frozen messages, where it came from, and the role-order rules."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, kw_only=True)
class Message:
    """One turn. ``thinking`` is an assistant's reasoning kept apart from its answer."""

    role: str
    content: str
    thinking: str = ""


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """One example: its messages, the file and line it was read from, and the file's format."""

    messages: tuple[Message, ...]
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def split_think(answer: str) -> tuple[str, str]:
    """``<think>T</think>A`` → ``(T, A)``; text without a closed think block → ``("", text)``.

    The reasoning keeps its inner text without the surrounding newlines (templates such as
    Qwen3 and DeepSeek-R1 add their own), and the answer loses the newlines after the tag.
    """
    stripped = answer.lstrip()
    if "</think>" not in stripped:
        return "", answer
    head, _, tail = stripped.partition("</think>")
    if head.startswith("<think>"):
        head = head[len("<think>") :]
    return head.strip("\n"), tail.lstrip("\n")


def order_problem(messages: tuple[Message, ...]) -> str | None:
    """Why the turn order cannot be trained on, or ``None`` when it can.

    Rules (LLaMA-Factory's, in plain words): an optional system message first, then user and
    assistant alternate starting with the user (a tool result stands in a user position after
    an assistant tool call), and the last message is an assistant answer to learn.
    """
    if not messages:
        return "the conversation has no messages"
    body = messages[1:] if messages[0].role == "system" else messages
    for index, message in enumerate(messages):
        if message.role not in ROLES:
            return f"message {index + 1} has the unknown role {message.role!r}"
        if message.role == "system" and index > 0:
            return f"message {index + 1} is a system message; only the first may be"
    if not body:
        return "the conversation has only a system message"
    for index, message in enumerate(body):
        expected = ("user", "tool") if index % 2 == 0 else ("assistant",)
        if message.role not in expected:
            position = index + 1 + (len(messages) - len(body))
            want = "a user" if index % 2 == 0 else "an assistant"
            return (
                f"wrong role order: message {position} is {message.role!r} where {want} "
                "message belongs (user and assistant must alternate, starting with the user)"
            )
    if body[-1].role != "assistant":
        return "the conversation ends with a user message; it must end with an assistant answer"
    for index, message in enumerate(body):
        if message.role == "assistant" and not (message.content.strip() or message.thinking):
            return f"assistant message {index + 1} is empty"
    return None
