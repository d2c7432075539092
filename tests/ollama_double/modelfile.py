"""The double's Modelfile reader, for the legacy ``{"name", "modelfile"}`` create form.

Behaviour read from Ollama's ``parser/parser.go`` at v0.5.4 (the last version whose
``/api/create`` took a Modelfile): commands are case-insensitive, ``#`` starts a comment,
``PARAMETER name value`` and ``MESSAGE role value`` take a second word, a value is bare
to the end of the line or quoted with ``"…"`` / ``\"\"\"…\"\"\"`` (kept verbatim,
newlines included): a quoted value ends at the first space, tab or newline (or the end
of the text) where what came before, trimmed, ends with the same quotes. Error texts are
Ollama's.
"""

from __future__ import annotations

COMMANDS = ("from", "license", "template", "system", "adapter", "parameter", "message")
ERR_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", '
    '"parameter", or "message"'
)
ERR_ROLE = 'message role must be one of "system", "user", or "assistant"'


class ModelfileError(ValueError):
    pass


def parse_modelfile(text: str) -> list[tuple[str, str, str]]:
    """``[(command, name_or_role, value)]``; raises :class:`ModelfileError`."""
    out: list[tuple[str, str, str]] = []
    pos, n = 0, len(text)
    while pos < n:
        char = text[pos]
        if char in " \t\r\n":
            pos += 1
            continue
        if char == "#":
            end = text.find("\n", pos)
            pos = n if end < 0 else end + 1
            continue
        start = pos
        while pos < n and text[pos].isascii() and text[pos].isalpha():
            pos += 1
        word = text[start:pos].lower()
        if word not in COMMANDS or pos >= n or text[pos] not in " \t":
            raise ModelfileError(f"(line {text.count(chr(10), 0, start) + 1}): {ERR_COMMAND}")
        pos = _skip_space(text, pos)
        second = ""
        if word in ("parameter", "message"):
            start = pos
            while pos < n and (text[pos].isascii() and (text[pos].isalnum() or text[pos] == "_")):
                pos += 1
            second = text[start:pos]
            if pos >= n or text[pos] not in " \t" or not second:
                raise ModelfileError("unexpected EOF")
            if word == "message" and second not in ("system", "user", "assistant"):
                raise ModelfileError(ERR_ROLE)
            pos = _skip_space(text, pos)
        value, pos = _value(text, pos)
        out.append((word, second, value))
    if not any(cmd == "from" for cmd, _, _ in out):
        raise ModelfileError("no FROM line")
    return out


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _value(text: str, pos: int) -> tuple[str, int]:
    quote = '"""' if text.startswith('"""', pos) else '"' if text.startswith('"', pos) else ""
    if not quote:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        return text[pos:end].strip(), end
    for end in range(pos + 1, len(text) + 1):
        if end < len(text) and text[end] not in " \t\r\n":
            continue
        candidate = text[pos:end].strip()
        if len(candidate) >= 2 * len(quote) and candidate.endswith(quote):
            return candidate[len(quote) : -len(quote)], end
    raise ModelfileError("unexpected EOF")
