"""Where the chat template comes from: the file transformers reads first wins."""

from __future__ import annotations

import json

from gguf import Keys

from engine.convert.vocab import export_vocab


def _set_config(folder, **changes) -> None:
    path = folder / "tokenizer_config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")


def _export(folder):
    return export_vocab(folder, arch="qwen2", vocab_size=512)


def test_template_from_tokenizer_config(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _set_config(folder, chat_template="{{ '你好' }}{{ messages }}")
    ex = _export(folder)
    assert ex.chat_template == "{{ '你好' }}{{ messages }}"
    assert ex.chat_template_source == "tokenizer_config.json"
    assert (Keys.Tokenizer.CHAT_TEMPLATE, ex.chat_template) in [(k, v) for k, v, _ in ex.kv_items()]


def test_template_list_gives_default_and_named(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _set_config(
        folder,
        chat_template=[
            {"name": "default", "template": "D"},
            {"name": "tool_use", "template": "T"},
            {"name": "rag-v1", "template": "R"},
        ],
    )
    ex = _export(folder)
    assert ex.chat_template == "D"
    assert dict(ex.named_chat_templates) == {"tool_use": "T", "rag_v1": "R"}
    kv = {k: v for k, v, _ in ex.kv_items()}
    assert kv["tokenizer.chat_template.tool_use"] == "T"
    assert sorted(kv[Keys.Tokenizer.CHAT_TEMPLATES]) == ["rag_v1", "tool_use"]


def test_jinja_file_wins_over_config(tokenizer_copy):
    """transformers 5 saves the template as chat_template.jinja (+ additional_chat_templates/)."""
    folder = tokenizer_copy("qwen2")
    _set_config(folder, chat_template="old")
    (folder / "chat_template.jinja").write_text(
        "new {{ messages }}\n", encoding="utf-8", newline="\n"
    )
    (folder / "additional_chat_templates").mkdir()
    (folder / "additional_chat_templates" / "tool_use.jinja").write_text("tools", encoding="utf-8")
    ex = _export(folder)
    assert ex.chat_template == "new {{ messages }}\n"
    assert ex.chat_template_source == "chat_template.jinja"
    assert dict(ex.named_chat_templates) == {"tool_use": "tools"}


def test_chat_template_json_is_the_last_resort(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _set_config(folder, chat_template=None)
    assert _export(folder).chat_template is None
    (folder / "chat_template.json").write_text(json.dumps({"chat_template": "J"}), encoding="utf-8")
    ex = _export(folder)
    assert (ex.chat_template, ex.chat_template_source) == ("J", "chat_template.json")


def test_saved_by_transformers_matches_what_it_renders(tokenizer_folders, tmp_path):
    """The template we embed is the one transformers applies after save_pretrained."""
    import pytest

    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(tokenizer_folders("qwen2"))
    tok.chat_template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    out = tmp_path / "saved 保存"
    tok.save_pretrained(out)
    (out / "config.json").write_text("{}", encoding="utf-8")
    ex = _export(out)
    assert ex.chat_template == tok.chat_template
    assert ex.chat_template_source == "chat_template.jinja"
