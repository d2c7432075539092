"""Which chat-template family a Jinja template looks like (the label ``inspect`` shows).

The detection is the one ``engine.template`` uses to derive the Ollama template, so the
label and the derived template always agree.
"""

from __future__ import annotations


def guess_family(chat_template: str) -> str | None:
    from engine.template.families import detect_families

    found = detect_families(chat_template)
    return found[0][0].name if found else None
