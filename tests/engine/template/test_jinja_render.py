"""Our jinja2 rendering equals transformers' apply_chat_template on the real templates."""

from __future__ import annotations

from datetime import datetime

import jinja2
import pytest

from engine.template.conversations import PARITY_CONVERSATIONS, jinja_messages, thinking_style
from engine.template.errors import ChatTemplateError, TemplateRaised
from engine.template.jinja_render import render_chat_template
from tests.engine.template.conftest import read_template
from tests.fixtures.models import FAMILIES

THINKING_FAMILIES = {"qwen3", "deepseek_r1_qwen"}


@pytest.fixture(scope="module")
def hf_tokenizer(tiny_models):
    from transformers import AutoTokenizer

    cache = {}

    def get(family: str):
        if family not in cache:
            cache[family] = AutoTokenizer.from_pretrained(tiny_models(family))
        return cache[family]

    return get


def _both(tokenizer, source, messages, *, tools=None, add_generation_prompt=True, **context):
    """(transformers' text or its exception type, ours or our exception type)."""
    try:
        theirs = tokenizer.apply_chat_template(
            messages,
            tools=tools,
            add_generation_prompt=add_generation_prompt,
            tokenize=False,
            **context,
        )
    except jinja2.TemplateError as exc:
        theirs = ("raised", str(exc))
    try:
        ours = render_chat_template(
            source.chat_template,
            messages,
            special_tokens=source.tokens.special_tokens_map(),
            tools=tools,
            add_generation_prompt=add_generation_prompt,
            extra_context=context,
        )
    except TemplateRaised as exc:
        ours = ("raised", exc.message)
    return theirs, ours


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_matches_transformers_on_every_conversation(family, hf_tokenizer, model_source):
    tokenizer = hf_tokenizer(family)
    source = model_source(family)
    style = thinking_style(source.chat_template)
    compared = 0
    for conversation in PARITY_CONVERSATIONS:
        messages = jinja_messages(conversation, style)
        tools = list(conversation.tools) if conversation.tools else None
        contexts = [{}]
        if family in THINKING_FAMILIES:
            contexts += [{"enable_thinking": True}, {"enable_thinking": False}]
        for context in contexts:
            for add_generation_prompt in (True, False):
                theirs, ours = _both(
                    tokenizer,
                    source,
                    messages,
                    tools=tools,
                    add_generation_prompt=add_generation_prompt,
                    **context,
                )
                assert ours == theirs, (conversation.name, context, add_generation_prompt)
                compared += 1
    assert compared >= 2 * len(PARITY_CONVERSATIONS)


@pytest.mark.slow
def test_strftime_now_is_the_clock_unless_pinned(hf_tokenizer, model_source):
    """Llama 3.2 prints today's date with strftime_now, like transformers."""
    tokenizer = hf_tokenizer("llama3")
    source = model_source("llama3")
    template = read_template("meta-llama-Llama-3.2-3B-Instruct.jinja")
    messages = [{"role": "user", "content": "hi"}]
    theirs = tokenizer.apply_chat_template(
        messages, chat_template=template, add_generation_prompt=True, tokenize=False
    )
    ours = render_chat_template(
        template, messages, special_tokens=source.tokens.special_tokens_map()
    )
    assert ours == theirs
    assert datetime.now().strftime("%d %b %Y") in ours
    pinned = render_chat_template(
        template,
        messages,
        special_tokens=source.tokens.special_tokens_map(),
        strftime_now=datetime(2024, 2, 3).strftime,
    )
    assert "Today Date: 03 Feb 2024" in pinned


def test_raise_exception_and_syntax_errors():
    with pytest.raises(TemplateRaised) as raised:
        render_chat_template("{{ raise_exception('no system, please') }}", [])
    assert raised.value.message == "no system, please"
    with pytest.raises(ChatTemplateError) as broken:
        render_chat_template("line one\n{% if %}", [])
    assert broken.value.line == 2


def test_sandbox_and_transformers_helpers():
    template = (
        "{{ messages[0].content | tojson }}|{{ {'b': 1, 'a': [1, 2]} | tojson(indent=2) }}|"
        "{% set ns = namespace(n=1) %}{% set ns.n = ns.n + 1 %}{{ ns.n }}|{{ dict(a=1) }}|"
        "{% for m in messages %}{% if loop.first %}{% continue %}{% endif %}x{% endfor %}|"
        "{% generation %}gen{% endgeneration %}|{{ bos_token }}{{ eos_token }}"
    )
    messages = [{"role": "user", "content": "<b>你好</b>"}, {"role": "assistant", "content": "y"}]
    out = render_chat_template(
        template, messages, special_tokens={"bos_token": "<s>", "eos_token": "</s>"}
    )
    assert (
        out
        == '"<b>你好</b>"|{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}|2|{\'a\': 1}|x|gen|<s></s>'
    )
    with pytest.raises(ChatTemplateError):
        render_chat_template("{% set ns = namespace() %}{% set ns._x = 1 %}", [])
    with pytest.raises(ChatTemplateError):
        render_chat_template("{{ messages.__class__ }}{{ ''.__class__.__mro__ }}", [])


def test_none_values_dropped_and_reasoning_aliased():
    template = (
        "{% for m in messages %}{{ m.content is defined }}/{{ m.thinking }}/"
        "{{ m.reasoning_content }};{% endfor %}"
    )
    messages = [
        {"role": "assistant", "content": None, "reasoning": "r"},
        {"role": "user", "content": "u"},
    ]
    assert render_chat_template(template, messages) == "False/r/r;True//;"
