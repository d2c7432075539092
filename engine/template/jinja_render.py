"""Render a Hugging Face chat template with ``jinja2`` the way transformers does.

transformers' ``apply_chat_template`` compiles the template in an
``ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`` with the
``loopcontrols`` extension and a no-op ``{% generation %}`` block, replaces the
``tojson`` filter (no HTML escaping, ``ensure_ascii=False``, ``indent``/``separators``/
``sort_keys`` options), adds the globals ``raise_exception``, ``strftime_now``, ``dict``
and a ``namespace`` that refuses underscore names, drops message keys whose value is
``None``, copies a message's reasoning under both ``reasoning_content`` and ``thinking``,
and passes the tokenizer's special tokens (``bos_token``, ``eos_token`` …), ``tools``,
``documents`` and ``add_generation_prompt`` as variables. This module does the same
without importing transformers; tests compare both on real templates.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.utils
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.hf import TEMPLATE_TOKEN_NAMES
from engine.template.errors import ChatTemplateError, TemplateRaised

# The special-token attributes a tokenizer exposes to templates (transformers'
# SPECIAL_TOKENS_ATTRIBUTES); only those with a value are passed.
SPECIAL_TOKEN_NAMES = TEMPLATE_TOKEN_NAMES  # what transformers passes to a chat template
_REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")

Message = Mapping[str, Any]


class _GenerationBlock(jinja2.ext.Extension):
    """``{% generation %}…{% endgeneration %}`` renders its body unchanged."""

    tags = {"generation"}  # noqa: RUF012 - jinja's Extension API

    def parse(self, parser: Any) -> jinja2.nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller: Callable[[], str]) -> str:
        return caller()


def _raise_exception(message: str) -> None:
    raise TemplateRaised(str(message))


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class _TemplateDict:
    def __call__(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict(*args, **kwargs)

    def fromkeys(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict.fromkeys(*args, **kwargs)


class _Namespace(jinja2.utils.Namespace):
    """jinja's namespace, refusing underscore attributes like transformers does."""

    def __init__(*args: Any, **kwargs: Any) -> None:  # same signature trick as jinja
        self, rest = args[0], args[1:]
        attrs = dict(*rest, **kwargs)
        for name in attrs:
            _Namespace._check_name(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name: str, value: Any) -> None:
        _Namespace._check_name(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check_name(name: Any) -> None:
        if isinstance(name, str) and name.startswith("_"):
            raise jinja2.exceptions.SecurityError(
                f"chat templates cannot store underscore attributes on a namespace ({name!r})"
            )


@functools.lru_cache(maxsize=32)
def compile_chat_template(chat_template: str) -> jinja2.Template:
    """Compile once per template text; raises :class:`ChatTemplateError` on syntax errors."""
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationBlock, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.globals["dict"] = _TemplateDict()
    env.globals["namespace"] = _Namespace
    try:
        return env.from_string(chat_template)
    except jinja2.TemplateSyntaxError as exc:
        raise ChatTemplateError(
            f"the chat template has a Jinja syntax error: {exc.message}",
            line=exc.lineno,
            field="chat_template",
            hint="Fix the chat_template in tokenizer_config.json (or the GGUF) and try again.",
        ) from exc


def prepare_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Drop ``None`` values and alias reasoning fields, like transformers does."""
    out: list[dict[str, Any]] = []
    for message in messages:
        clean = {key: value for key, value in dict(message).items() if value is not None}
        reasoning = next((clean[k] for k in _REASONING_FIELDS if clean.get(k) is not None), None)
        if reasoning is not None:
            clean = {"thinking": reasoning, **clean, "reasoning_content": reasoning}
        out.append(clean)
    return out


def render_chat_template(
    chat_template: str,
    messages: Sequence[Message],
    *,
    special_tokens: Mapping[str, str | None] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    add_generation_prompt: bool = True,
    extra_context: Mapping[str, Any] | None = None,
    strftime_now: Callable[[str], str] | None = None,
) -> str:
    """Render ``messages`` like ``tokenizer.apply_chat_template(..., tokenize=False)``.

    ``special_tokens`` holds ``bos_token``/``eos_token``/… (``None`` values are left out);
    ``extra_context`` adds template variables such as ``enable_thinking``; ``strftime_now``
    replaces the clock (the parity check pins it so Jinja and Go see the same date).
    Raises :class:`TemplateRaised` when the template calls ``raise_exception`` and
    :class:`ChatTemplateError` for any other failure.
    """
    template = compile_chat_template(chat_template)
    context: dict[str, Any] = {
        name: value for name, value in (special_tokens or {}).items() if value is not None
    }
    context.update(extra_context or {})
    if strftime_now is not None:
        context["strftime_now"] = strftime_now
    try:
        return template.render(
            messages=prepare_messages(messages),
            tools=[dict(tool) for tool in tools] if tools is not None else None,
            documents=None,
            add_generation_prompt=add_generation_prompt,
            **context,
        )
    except TemplateRaised:
        raise
    except jinja2.TemplateError as exc:
        raise ChatTemplateError(
            f"the chat template failed: {exc}",
            field="chat_template",
            hint="The template may expect a different message layout; check it with "
            "`tuneforge template check`.",
        ) from exc
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ChatTemplateError(
            f"the chat template failed: {type(exc).__name__}: {exc}", field="chat_template"
        ) from exc
