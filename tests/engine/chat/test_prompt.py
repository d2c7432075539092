"""Rendering a conversation with a Jinja chat template, as transformers / llama.cpp do."""

from __future__ import annotations

import pytest

from engine.chat import ChatMessage
from engine.chat.prompt import render_prompt
from engine.errors import InputError
from tests.ollama_double.tiny_gguf import CHATML_TEMPLATE

QWEN3_LIKE = (  # the generation-prompt part of Qwen3's template
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n"
    "    {%- if enable_thinking is defined and enable_thinking is false %}\n"
    "        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- endif %}\n{%- endif %}"
)


def test_chatml():
    msgs = [ChatMessage(role="system", content="简短"), ChatMessage(role="user", content="hi")]
    assert render_prompt(CHATML_TEMPLATE, msgs) == (
        "<|im_start|>system\n简短<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_enable_thinking_only_when_asked():
    msgs = [ChatMessage(role="user", content="x")]
    assert render_prompt(QWEN3_LIKE, msgs).endswith("assistant\n")
    assert render_prompt(QWEN3_LIKE, msgs, think=False).endswith("<think>\n\n</think>\n\n")


def test_helpers_hf_templates_use():
    template = (
        "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}"
        "{{ raise_exception('no system messages') }}{% endif %}{{ m.content | tojson }}"
        "{% if loop.index > 5 %}{% break %}{% endif %}{% endfor %}{{ strftime_now('%Y') | length }}"
    )
    out = render_prompt(template, [ChatMessage(role="user", content="中")], bos_token="<s>")
    assert out == '<s>"中"4'
    with pytest.raises(InputError, match="no system messages"):
        render_prompt(template, [ChatMessage(role="system", content="x")])


def test_broken_template():
    with pytest.raises(InputError, match="Jinja syntax error"):
        render_prompt("{% for %}", [])


REAL_TEMPLATES = [
    "Qwen-Qwen2.5-7B-Instruct.jinja",
    "Qwen-Qwen3-0.6B.jinja",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
    "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "meta-llama-Llama-3.2-3B-Instruct.jinja",
    "google-gemma-2-2b-it.jinja",
    "microsoft-Phi-3.5-mini-instruct.jinja",
    "mistralai-Mistral-Nemo-Instruct-2407.jinja",
]


@pytest.mark.slow  # imports transformers for the reference
@pytest.mark.parametrize("name", REAL_TEMPLATES)
@pytest.mark.parametrize("think", [None, False])
def test_real_templates_render_like_transformers(name, think):
    """Reference: transformers' own chat-template renderer on the same conversation."""
    from transformers.utils.chat_template_utils import render_jinja_template

    from tests.fixtures import llama_src

    try:
        template = llama_src.read_template(name)
    except llama_src.LlamaSourcesMissing as exc:
        pytest.skip(str(exc))
    msgs = [
        ChatMessage(role="user", content="你好，请介绍一下自己。"),
        ChatMessage(role="assistant", content="我是一个助手。"),
        ChatMessage(role="user", content="1+1=?"),
    ]
    extra = {} if think is None else {"enable_thinking": think}
    ours = render_prompt(template, msgs, bos_token="<BOS>", eos_token="<EOS>", think=think)
    theirs = render_jinja_template(
        [[{"role": m.role, "content": m.content} for m in msgs]],
        chat_template=template,
        add_generation_prompt=True,
        bos_token="<BOS>",
        eos_token="<EOS>",
        **extra,
    )[0][0]
    # strftime_now gives today's date in Llama 3 templates: both render it the same day
    assert ours == theirs
    assert "1+1=?" in ours
