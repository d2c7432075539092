"""Split a streamed reply into thinking and answer at ``<think>`` / ``</think>`` tags.

Ollama does this server-side (``thinking/parser.go``); the in-process backend does it
here. Tags may arrive split across pieces, so a possible tag prefix at the end of a
piece is held back until the next piece decides it.
"""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


def prompt_opens_thinking(
    prompt: str, open_tag: str = OPEN_TAG, close_tag: str = CLOSE_TAG
) -> bool:
    """Does the rendered prompt end inside a thinking block (DeepSeek-R1, Qwen3 style)?"""
    opened = prompt.rfind(open_tag)
    return opened >= 0 and opened > prompt.rfind(close_tag)


class ThinkingSplitter:
    """Feed text pieces; get ``(thinking, content)`` pieces back.

    An opening tag counts only before any answer text (a model quoting "<think>" later
    stays in the answer); newlines right after ``</think>`` are dropped, as Ollama does.
    """

    def __init__(
        self, *, thinking: bool = False, open_tag: str = OPEN_TAG, close_tag: str = CLOSE_TAG
    ) -> None:
        self.in_thinking = thinking
        self._open = open_tag
        self._close = close_tag
        self._held = ""
        self._seen_content = False
        self._strip_newlines = False

    def feed(self, text: str) -> tuple[str, str]:
        thinking: list[str] = []
        content: list[str] = []
        buf = self._held + text
        self._held = ""
        while buf:
            tag = self._close if self.in_thinking else self._open
            at = buf.find(tag) if self.in_thinking or not self._seen_content else -1
            if at > 0 and not self.in_thinking and buf[:at].strip():
                at = -1  # answer text came first: this "<think>" is part of the answer
            if at >= 0:
                self._emit(buf[:at], thinking, content)
                buf = buf[at + len(tag) :]
                self.in_thinking = not self.in_thinking
                self._strip_newlines = not self.in_thinking
                continue
            keep = _partial_suffix(buf, tag) if self.in_thinking or not self._seen_content else 0
            self._emit(buf[: len(buf) - keep], thinking, content)
            self._held = buf[len(buf) - keep :]
            break
        return "".join(thinking), "".join(content)

    def flush(self) -> tuple[str, str]:
        held, self._held = self._held, ""
        if self.in_thinking:
            return held, ""
        return "", held

    def _emit(self, text: str, thinking: list[str], content: list[str]) -> None:
        if self.in_thinking:
            if text:
                thinking.append(text)
            return
        if self._strip_newlines:
            text = text.lstrip("\r\n")
            if text:
                self._strip_newlines = False
        if text:
            content.append(text)
            if text.strip():
                self._seen_content = True


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
