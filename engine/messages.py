"""Chat messages, streamed chunks and stats: the vocabulary Ollama and the chat backends share.

It sits at the bottom of the engine (it imports only ``engine.errors``), so ``engine.ollama``
and ``engine.chat`` both use it without importing each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import InputError

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    """One turn. ``thinking`` is an assistant's reasoning, kept apart from its answer."""

    role: str
    content: str
    thinking: str = ""

    def to_ollama(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.thinking:
            data["thinking"] = self.thinking
        return data


@dataclass(frozen=True, kw_only=True)
class ChatStats:
    """Figures of a finished answer (any of them may be unknown: ``None``)."""

    done_reason: str = ""  # "stop" | "length" | "cancelled" | …
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_seconds: float | None = None
    completion_seconds: float | None = None
    total_seconds: float | None = None
    load_seconds: float | None = None

    @property
    def tokens_per_second(self) -> float | None:
        if self.completion_tokens and self.completion_seconds:
            return self.completion_tokens / self.completion_seconds
        return None

    def summary(self) -> str:
        parts = []
        if self.completion_tokens is not None:
            parts.append(f"{self.completion_tokens} tokens")
        rate = self.tokens_per_second
        if rate is not None:
            parts.append(f"{rate:.1f} tokens/s")
        if self.prompt_tokens is not None:
            parts.append(f"prompt {self.prompt_tokens} tokens")
        if self.done_reason and self.done_reason != "stop":
            parts.append(f"ended: {self.done_reason}")
        return ", ".join(parts)


@dataclass(frozen=True, kw_only=True)
class ChatChunk:
    """A piece of a streamed answer. The last chunk has ``done=True`` and ``stats``."""

    content: str = ""
    thinking: str = ""
    done: bool = False
    stats: ChatStats | None = None


def as_messages(items: Iterable[ChatMessage | Mapping[str, Any]]) -> list[ChatMessage]:
    """Accept dataclasses or ``{"role", "content"}`` dicts; check roles and types."""
    out: list[ChatMessage] = []
    for index, item in enumerate(items):
        if isinstance(item, ChatMessage):
            message = item
        elif isinstance(item, Mapping):
            role = item.get("role")
            content = item.get("content", "")
            thinking = item.get("thinking") or ""
            if not isinstance(role, str) or not isinstance(content, str):
                raise InputError(
                    f"message {index + 1} needs a text 'role' and 'content'",
                    field="messages",
                )
            message = ChatMessage(role=role.lower(), content=content, thinking=str(thinking))
        else:
            raise InputError(
                f"message {index + 1} is a {type(item).__name__}, not a chat message",
                field="messages",
            )
        if message.role not in ROLES:
            raise InputError(
                f"message {index + 1} has role {message.role!r}",
                hint=f"Use one of: {', '.join(ROLES)}.",
                field="messages",
            )
        out.append(message)
    return out


def join_answer(chunks: Iterable[ChatChunk]) -> tuple[ChatMessage, ChatStats | None]:
    """Collect a whole stream into one assistant message (for tests and scripts)."""
    content: list[str] = []
    thinking: list[str] = []
    stats: ChatStats | None = None
    for chunk in chunks:
        content.append(chunk.content)
        thinking.append(chunk.thinking)
        if chunk.done:
            stats = chunk.stats
    message = ChatMessage(role="assistant", content="".join(content), thinking="".join(thinking))
    return message, stats
