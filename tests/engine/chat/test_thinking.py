"""Splitting ``<think>`` blocks from a streamed reply, whatever the piece boundaries."""

from __future__ import annotations

import pytest

from engine.chat.thinking import ThinkingSplitter, prompt_opens_thinking

REPLY = "<think>\nLet me think: 1+1.\n</think>\n\n答案是 2。"


def _split(pieces, *, thinking=False):
    splitter = ThinkingSplitter(thinking=thinking)
    parts = [splitter.feed(p) for p in pieces] + [splitter.flush()]
    return "".join(t for t, _ in parts), "".join(c for _, c in parts)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 100])
def test_any_piece_size(size):
    pieces = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    assert _split(pieces) == ("\nLet me think: 1+1.\n", "答案是 2。")


def test_prompt_that_opened_thinking():
    # DeepSeek-R1 style: the template ends the prompt with "<think>\n"
    assert prompt_opens_thinking("<｜Assistant｜><think>\n")
    assert not prompt_opens_thinking("<think>x</think>answer<|im_start|>assistant\n")
    assert _split(["reason", "ing</thi", "nk>done"], thinking=True) == ("reasoning", "done")


def test_think_tag_after_the_answer_started_is_text():
    assert _split(["Use <think> tags ", "like </think> this"]) == (
        "",
        "Use <think> tags like </think> this",
    )


def test_unfinished_thinking_and_partial_tags_are_flushed():
    assert _split(["<think>still going"]) == ("still going", "")
    assert _split(["a <thi"]) == ("", "a <thi")
    assert _split(["<thi"]) == ("", "<thi")
