"""Messages in, chunks out: the shapes both backends share."""

from __future__ import annotations

import pytest

from engine.chat import ChatChunk, ChatMessage, ChatStats, as_messages, join_answer
from engine.errors import InputError


def test_as_messages_accepts_dicts_and_dataclasses():
    got = as_messages(
        [
            {"role": "User", "content": "你好"},
            ChatMessage(role="assistant", content="hi", thinking="t"),
        ]
    )
    assert got == [
        ChatMessage(role="user", content="你好"),
        ChatMessage(role="assistant", content="hi", thinking="t"),
    ]
    assert got[1].to_ollama() == {"role": "assistant", "content": "hi", "thinking": "t"}


@pytest.mark.parametrize(
    "bad",
    [{"role": "robot", "content": "x"}, {"content": "x"}, "hello", {"role": "user", "content": 3}],
)
def test_bad_messages(bad):
    with pytest.raises(InputError) as info:
        as_messages([bad])
    assert info.value.field == "messages"


def test_join_answer_and_stats():
    stats = ChatStats(
        done_reason="stop", completion_tokens=10, completion_seconds=0.5, prompt_tokens=3
    )
    message, got = join_answer(
        [
            ChatChunk(thinking="hm"),
            ChatChunk(content="a"),
            ChatChunk(content="b"),
            ChatChunk(done=True, stats=stats),
        ]
    )
    assert message == ChatMessage(role="assistant", content="ab", thinking="hm")
    assert got.tokens_per_second == 20
    assert got.summary() == "10 tokens, 20.0 tokens/s, prompt 3 tokens"
    assert ChatStats(done_reason="length").summary() == "ended: length"
