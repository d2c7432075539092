"""The prompt for the in-process backend: the model's Jinja chat template (the one embedded
in the GGUF, or one given) rendered by :mod:`engine.template`, exactly as transformers
would render it, so in-process chat sees what the model was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.chat.messages import ChatMessage


def render_prompt(
    template: str,
    messages: Sequence[ChatMessage],
    *,
    bos_token: str = "",
    eos_token: str = "",
    think: bool | None = None,
) -> str:
    """The prompt text for the next assistant turn.

    ``think`` sets the template variable ``enable_thinking`` (Qwen3 and others) when not
    ``None``. A template that refuses the conversation (``raise_exception``) or fails
    raises :class:`engine.template.errors.ChatTemplateError`, an ``InputError``.
    """
    from engine.template.jinja_render import render_chat_template

    data: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.thinking:
            item["reasoning_content"] = m.thinking
        data.append(item)
    return render_chat_template(
        template,
        data,
        special_tokens={"bos_token": bos_token or None, "eos_token": eos_token or None},
        add_generation_prompt=True,
        extra_context={} if think is None else {"enable_thinking": think},
    )
