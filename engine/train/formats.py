"""Dataset layouts → :class:`Conversation`: alpaca, sharegpt and OpenAI ``messages``.

Column and tag names follow LLaMA-Factory's ``dataset_info.json`` (``columns`` and ``tags``),
so an entry written for it means the same here. OpenAI ``messages`` is sharegpt with
``role``/``content`` tags, as LLaMA-Factory describes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.train.conversation import Conversation, Message, order_problem, split_think

ALPACA_COLUMNS = {"prompt": "instruction", "query": "input", "response": "output",
                  "system": "system", "history": "history"}  # fmt: skip
SHAREGPT_COLUMNS = {"messages": "conversations", "system": "system", "tools": "tools"}
SHAREGPT_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                 "assistant_tag": "gpt", "observation_tag": "observation",
                 "function_tag": "function_call", "system_tag": "system"}  # fmt: skip
OPENAI_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user",
               "assistant_tag": "assistant", "observation_tag": "tool",
               "function_tag": "function_call", "system_tag": "system"}  # fmt: skip
REASONING_KEYS = ("reasoning_content", "reasoning", "thinking")


class RowError(ValueError):
    """A record that does not fit the format (the message names the field)."""


@dataclass(frozen=True, kw_only=True)
class DatasetFormat:
    """``alpaca`` or ``sharegpt`` with its column and tag names; ``name`` is what is shown."""

    name: str  # "alpaca" | "sharegpt" | "openai"
    formatting: str  # "alpaca" | "sharegpt"
    columns: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        formatting: str,
        columns: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> DatasetFormat:
        columns, tags = dict(columns or {}), dict(tags or {})
        if formatting == "alpaca":
            return cls(name="alpaca", formatting="alpaca", columns={**ALPACA_COLUMNS, **columns})
        if formatting != "sharegpt":
            raise RowError(f"unknown formatting {formatting!r} (alpaca or sharegpt)")
        merged_tags = {**SHAREGPT_TAGS, **tags}
        name = "openai" if merged_tags["role_tag"] == "role" else "sharegpt"
        return cls(name=name, formatting="sharegpt",
                   columns={**SHAREGPT_COLUMNS, **columns}, tags=merged_tags)  # fmt: skip


def detect_format(record: Any) -> DatasetFormat | None:
    """The layout of one record, or ``None`` when it is none we know."""
    if not isinstance(record, dict):
        return None
    for key in ("messages", "conversations"):
        turns = record.get(key)
        if isinstance(turns, list) and turns and isinstance(turns[0], dict):
            tags = OPENAI_TAGS if "role" in turns[0] else SHAREGPT_TAGS
            return DatasetFormat.make("sharegpt", {"messages": key}, tags)
    if "instruction" in record or "output" in record:
        return DatasetFormat.make("alpaca")
    return None


def to_conversation(record: Any, fmt: DatasetFormat, *, file: str, line: int) -> Conversation:
    if not isinstance(record, dict):
        raise RowError(f"expected a JSON object per example, found {type(record).__name__}")
    messages = _alpaca(record, fmt) if fmt.formatting == "alpaca" else _sharegpt(record, fmt)
    problem = order_problem(messages)
    if problem:
        raise RowError(problem)
    return Conversation(messages=messages, file=file, line=line)


def _text(record: Mapping[str, Any], column: str, *, required: bool) -> str:
    if column not in record or record[column] is None:
        if required:
            raise RowError(f"missing column {column!r}")
        return ""
    value = record[column]
    if not isinstance(value, str):
        raise RowError(f"column {column!r} must be text, found {type(value).__name__}")
    return value


def _assistant(content: str, reasoning: str = "") -> Message:
    if reasoning:
        return Message(role="assistant", content=content, thinking=reasoning.strip("\n"))
    thinking, answer = split_think(content)
    return Message(role="assistant", content=answer, thinking=thinking)


def _alpaca(record: Mapping[str, Any], fmt: DatasetFormat) -> tuple[Message, ...]:
    cols = fmt.columns
    instruction = _text(record, cols["prompt"], required=True)
    query = _text(record, cols["query"], required=False)
    response = _text(record, cols["response"], required=True)
    system = _text(record, cols["system"], required=False)
    messages: list[Message] = [Message(role="system", content=system)] if system else []
    history = record.get(cols["history"]) or []
    if not isinstance(history, list):
        raise RowError(f"column {cols['history']!r} must be a list of [prompt, response] pairs")
    for number, pair in enumerate(history, start=1):
        if not (
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
        ):
            raise RowError(f"history item {number} is not a [prompt, response] pair of texts")
        messages += [Message(role="user", content=pair[0]), _assistant(pair[1])]
    user = f"{instruction}\n{query}" if query else instruction
    reasoning = next((str(record[k]) for k in REASONING_KEYS if record.get(k)), "")
    messages += [Message(role="user", content=user), _assistant(response, reasoning)]
    return tuple(messages)


def _sharegpt(record: Mapping[str, Any], fmt: DatasetFormat) -> tuple[Message, ...]:
    cols, tags = fmt.columns, fmt.tags
    turns = record.get(cols["messages"])
    if turns is None:
        raise RowError(f"missing column {cols['messages']!r}")
    if not isinstance(turns, list):
        raise RowError(f"column {cols['messages']!r} must be a list of messages")
    roles = {tags["user_tag"]: "user", tags["assistant_tag"]: "assistant",
             tags["observation_tag"]: "tool", tags["function_tag"]: "assistant",
             tags["system_tag"]: "system"}  # fmt: skip
    messages: list[Message] = []
    system = _text(record, cols["system"], required=False)
    if system:
        messages.append(Message(role="system", content=system))
    for number, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict):
            raise RowError(f"message {number} is not an object")
        if tags["role_tag"] not in turn:
            raise RowError(f"message {number} has no {tags['role_tag']!r} field")
        tag = turn[tags["role_tag"]]
        if tag not in roles:
            raise RowError(
                f"message {number} has the unknown role {tag!r} (known: {', '.join(roles)})"
            )
        content = turn.get(tags["content_tag"])
        if not isinstance(content, str):
            raise RowError(f"message {number} has no text in {tags['content_tag']!r}")
        role = roles[tag]
        if role == "assistant":
            reasoning = next((str(turn[k]) for k in REASONING_KEYS if turn.get(k)), "")
            messages.append(_assistant(content, reasoning))
        else:
            messages.append(Message(role=role, content=content))
    return tuple(messages)
