"""Every supported family: the derived Go template, run by Go's text/template on Ollama's
data, prints exactly what the model's own Jinja template prints."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from engine.cli.main import main as cli_main
from engine.template import check_parity, derive_from_source, derive_ollama_template
from engine.template.tokens import TemplateTokens
from tests.engine.template.conftest import read_template

# fixture family -> (family, variant, cases that must run, thinking)
EXPECTED = {
    "llama3": ("llama3", "llama3.1", set(), False),
    "mistral": ("mistral", "mistral-v3", set(), False),
    "qwen2": ("qwen2.5", "qwen2.5", {"tools_available", "tool_round_trip"}, False),
    "deepseek_r1_qwen": ("deepseek-r1", "deepseek-r1", {"thinking_off"}, True),
    "qwen3": ("qwen3", "qwen3", {"thinking_off", "tools_available", "tool_round_trip"}, True),
    "gemma2": ("gemma", "gemma", set(), False),
    "gemma3": ("gemma", "gemma", set(), False),
    "phi3": ("phi3", "phi3", set(), False),
}
ALWAYS = {"single_user", "unicode_and_code", "assistant_thinking"}
WITH_SYSTEM = {"system_multi_turn", "empty_system"}


@pytest.mark.slow
@pytest.mark.parametrize("family", list(EXPECTED))
def test_fixture_family_parity(family, model_source, go_renderer):
    family_name, variant, extra_cases, thinking = EXPECTED[family]
    source = model_source(family)
    derived = derive_from_source(source, renderer=go_renderer)

    assert (derived.family, derived.variant) == (family_name, variant)
    assert derived.go_template and not derived.fallback
    assert derived.thinking is thinking
    report = derived.parity
    assert report is not None and report.status == "identical", report and report.first_difference

    ran = {c.name for c in report.cases if c.status == "identical"}
    must_run = ALWAYS | extra_cases | (set() if family == "gemma2" else WITH_SYSTEM)
    assert must_run <= ran
    for case in report.cases:
        if case.name in ran:  # Go really ran and printed the same prompt
            assert case.go_output == case.jinja_output and case.go_output
    if family == "gemma2":  # Gemma 2's own template refuses system messages
        skipped = {c.name: c.note for c in report.cases if c.status == "not_applicable"}
        assert "System role not supported" in skipped["system_multi_turn"]

    if thinking:  # Ollama recognises .Thinking between the tags
        assert report.thinking_tags == ("<think>", "</think>")
        assert derived.thinking_tags == ("<think>", "</think>")
    assert source.tokens.eos_token in derived.stops
    if source.tokens.add_bos_token and source.tokens.bos_token:
        assert derived.leading_bos == source.tokens.bos_token  # left to llama.cpp's tokenizer
        assert source.tokens.bos_token not in derived.go_template


# llama.cpp's other templates of the same families, with their real special tokens
R1 = {
    "bos_token": "<｜begin▁of▁sentence｜>",
    "eos_token": "<｜end▁of▁sentence｜>",
    "add_bos_token": True,
}
LLAMA = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "add_bos_token": True}
MISTRAL = {"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": True}
MORE_TEMPLATES = [
    ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", R1, "deepseek-r1"),
    ("meta-llama-Llama-3.2-3B-Instruct.jinja", LLAMA, "llama3.1"),
    ("meta-llama-Llama-3.3-70B-Instruct.jinja", LLAMA, "llama3.1"),
    ("mistralai-Mistral-Nemo-Instruct-2407.jinja", MISTRAL, "mistral-tekken"),
    (
        "google-gemma-2-2b-it.jinja",
        {"bos_token": "<bos>", "eos_token": "<eos>", "add_bos_token": True},
        "gemma",
    ),
    # a thinking family without a hand-written Go template before issue 19
    (
        "HuggingFaceTB-SmolLM3-3B.jinja",
        {"bos_token": None, "eos_token": "<|im_end|>", "add_bos_token": False},
        "smollm3",
    ),
    (
        "ibm-granite-granite-3.3-2B-Instruct.jinja",
        {"bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>", "add_bos_token": False},
        "granite3.3",
    ),
]


@pytest.mark.parametrize(("name", "tokens", "variant"), MORE_TEMPLATES)
def test_more_real_templates(name, tokens, variant, go_renderer):
    template = read_template(name)
    derived = derive_ollama_template(template, **tokens, renderer=go_renderer)
    assert derived.variant == variant
    assert derived.parity and derived.parity.status == "identical", derived.parity.first_difference
    special = {k: v for k, v in tokens.items() if k.endswith("_token")}
    again = check_parity(template, derived, special_tokens=special, renderer=go_renderer)
    assert again.status == "identical", again.first_difference
    assert [c.status for c in again.cases] == [c.status for c in derived.parity.cases]


def test_llama32_date_is_computed_by_go_for_any_day(go_renderer):
    template = read_template("meta-llama-Llama-3.2-3B-Instruct.jinja")
    derived = derive_ollama_template(template, **LLAMA, renderer=go_renderer)
    assert "currentDate" in derived.go_template and "Jan" in derived.go_template
    tokens = TemplateTokens(**LLAMA)
    for day in (datetime(2025, 1, 5, 23, 59), datetime(2024, 12, 31), datetime(2026, 9, 17)):
        report = check_parity(template, derived, tokens=tokens, renderer=go_renderer, now=day)
        assert report.status == "identical", report.first_difference
        single = next(c for c in report.cases if c.name == "single_user")
        assert f"Today Date: {day.strftime('%d %b %Y')}" in single.go_output


def test_modified_family_template_is_never_shipped_wrong(go_renderer):
    """A Qwen2.5 template with a changed generation prompt: the family's Go template would
    print the wrong prompt, so it must not be chosen; whatever is chosen is proven."""
    template = read_template("Qwen-Qwen2.5-7B-Instruct.jinja").replace(
        "{{- '<|im_start|>assistant\\n' }}", "{{- '<|im_start|>assistant\\n<reply>' }}"
    )
    assert "<reply>" in template
    derived = derive_ollama_template(template, eos_token="<|im_end|>", renderer=go_renderer)
    assert derived.family != "qwen2.5"
    assert derived.parity is not None
    if derived.go_template is not None:  # the generic derivation may take it: proven then
        assert derived.parity.status == "identical"
        assert "<reply>" in derived.go_template


@pytest.mark.slow
def test_cli_check_json_and_show(tiny_models, go_renderer, capsys):
    model = tiny_models("qwen3")
    assert cli_main(["template", "check", str(model), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["family"] == "qwen3"
    assert data["parity"]["status"] == "identical"
    assert {c["name"] for c in data["parity"]["cases"]} >= {"assistant_thinking", "thinking_off"}
    assert cli_main(["template", "show", str(model)]) == 0
    assert "{{ .Thinking }}" in capsys.readouterr().out
    assert cli_main(["template", "check", str(model)]) == 0
    assert "identical" in capsys.readouterr().out


def test_smollm3_thinks_like_its_own_template_and_says_what_go_cannot(go_renderer):
    """Thinking on by default, off with think=false (an empty think block in every
    assistant turn), earlier thinking kept: all shown by the parity cases; what Go's
    text/template cannot do (read /think in the system text) is said, not hidden."""
    template = read_template("HuggingFaceTB-SmolLM3-3B.jinja")
    derived = derive_ollama_template(
        template, bos_token=None, eos_token="<|im_end|>", add_bos_token=False, renderer=go_renderer
    )
    assert derived.thinking_tags == ("<think>", "</think>")
    statuses = {c.name: c.status for c in derived.parity.cases}
    assert statuses["assistant_thinking"] == statuses["thinking_off"] == "identical"
    assert any("/no_think" in w for w in derived.warnings)
    assert "Reasoning Mode: " in derived.go_template and "[[" not in derived.go_template


def test_granite33_chats_without_thinking_and_says_why(go_renderer):
    """Granite 3.3 switches thinking with its own `thinking` variable that no Ollama sets:
    the derived template chats (date computed by Go) and states why it cannot think."""
    template = read_template("ibm-granite-granite-3.3-2B-Instruct.jinja")
    derived = derive_ollama_template(
        template,
        bos_token="<|end_of_text|>",
        eos_token="<|end_of_text|>",
        add_bos_token=False,
        renderer=go_renderer,
    )
    assert derived.variant == "granite3.3" and not derived.thinking
    assert derived.parity.status == "identical"
    assert any("cannot be switched on" in w and "'thinking'" in w for w in derived.warnings)
    assert "currentDate" in derived.go_template  # today's date, as strftime_now gives it


@pytest.mark.parametrize("name", ["ibm-granite-granite-4.0.jinja", "ibm-granite-granite-4.1.jinja"])
def test_granite_4_is_not_taken_for_granite_3(name):
    from engine.template.families import detect_families

    variants = [v.name for _, v in detect_families(read_template(name))]
    assert "granite3.3" not in variants


@pytest.mark.parametrize(
    "name",
    [
        "meta-llama-Llama-3.1-8B-Instruct.jinja",
        "meta-llama-Llama-3.2-3B-Instruct.jinja",
        "meta-llama-Llama-3.3-70B-Instruct.jinja",
    ],
)
def test_llama3x_go_template_carries_tools_like_its_jinja(name, go_renderer):
    """Tools in the first user message (indent-4 JSON), the call as {"name", "parameters"},
    the tool's answer as an ipython turn: identical, so older Ollama offers tools too and
    Ollama 0.30+ keeps the Go template (same capabilities)."""
    from engine.ollama.template_choice import ollama_prefers_jinja

    template = read_template(name)
    derived = derive_ollama_template(template, **LLAMA, renderer=go_renderer)
    statuses = {c.name: c.status for c in derived.parity.cases}
    assert statuses["tools_available"] == statuses["tool_round_trip"] == "identical"
    assert not ollama_prefers_jinja(chat_template=template, go_template=derived.go_template)


def test_mistral_says_why_its_go_template_has_no_tools(go_renderer):
    template = read_template("mistralai-Mistral-Nemo-Instruct-2407.jinja")
    derived = derive_ollama_template(template, **MISTRAL, renderer=go_renderer)
    assert ".Tools" not in derived.go_template
    assert any("9-character id" in w and "0.12.10" in w for w in derived.warnings)
