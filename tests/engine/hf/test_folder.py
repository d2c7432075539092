"""engine.hf: one reader for a Hugging Face folder (files, kind, templates, errors)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.hf import (
    HF_MODEL,
    LORA_ADAPTER,
    is_adapter_folder,
    load_hf_folder,
    read_chat_format,
    read_json,
)


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_json_names_file_and_line(tmp_path):
    path = _write(tmp_path / "模型 目录" / "config.json", '{\n  "a": 1,\n  oops\n}')
    with pytest.raises(InputError, match="invalid JSON") as err:
        load_hf_folder(path.parent)
    assert err.value.line == 3
    assert err.value.path == str(path)


def test_lfs_pointer_is_named(tmp_path):
    path = _write(
        tmp_path / "tokenizer_config.json",
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 3\n",
    )
    with pytest.raises(InputError, match="Git LFS pointer") as err:
        read_json(path)
    assert "git lfs pull" in (err.value.hint or "")


def test_non_object_config_is_refused(tmp_path):
    _write(tmp_path / "config.json", "[1, 2]")
    with pytest.raises(InputError, match="must hold a JSON object"):
        load_hf_folder(tmp_path)


def test_broken_generation_config_is_a_warning(tmp_path):
    _write(tmp_path / "config.json", {"architectures": ["LlamaForCausalLM"]})
    _write(tmp_path / "generation_config.json", "{nope")
    folder = load_hf_folder(tmp_path)
    assert folder.generation_config == {}
    assert any("generation_config.json" in w for w in folder.warnings)


def test_text_config_of_a_multimodal_wrapper(tmp_path):
    _write(
        tmp_path / "config.json",
        {
            "architectures": ["Gemma3ForConditionalGeneration"],
            "model_type": "gemma3",
            "tie_word_embeddings": True,
            "text_config": {"model_type": "gemma3_text", "hidden_size": 64},
        },
    )
    folder = load_hf_folder(tmp_path)
    assert folder.architecture == "Gemma3ForConditionalGeneration"
    assert folder.text_config["model_type"] == "gemma3_text"  # the nested value wins
    assert folder.text_config["hidden_size"] == 64
    assert folder.text_config["tie_word_embeddings"] is True  # outer keys fill the gaps


def test_one_rule_for_adapters(tmp_path):
    adapter = tmp_path / "adapter"
    _write(adapter / "adapter_config.json", {"peft_type": "LORA"})
    (adapter / "adapter_model.safetensors").write_bytes(b"")
    assert is_adapter_folder(adapter)
    # trainers save config.json next to the adapter: still an adapter
    _write(adapter / "config.json", {"architectures": ["Qwen2ForCausalLM"]})
    assert load_hf_folder(adapter).kind == LORA_ADAPTER
    assert load_hf_folder(adapter).adapter_config == {"peft_type": "LORA"}
    # full-model weights next to an adapter_config.json: a merged model
    (adapter / "model.safetensors").write_bytes(b"")
    assert not is_adapter_folder(adapter)
    assert load_hf_folder(adapter).kind == HF_MODEL


def _tok_config(folder: Path, **cfg: object) -> None:
    _write(folder / "tokenizer_config.json", cfg)


def test_template_precedence_follows_transformers(tmp_path):
    _tok_config(tmp_path, chat_template="from config")
    _write(tmp_path / "chat_template.json", {"chat_template": "from json"})
    assert load_hf_folder(tmp_path).chat_templates.source == "tokenizer_config.json"
    (tmp_path / "chat_template.jinja").write_text("from jinja", encoding="utf-8")
    _write(tmp_path / "additional_chat_templates" / "tool_use.jinja", "tools")
    templates = load_hf_folder(tmp_path).chat_templates
    assert (templates.default, templates.source) == ("from jinja", "chat_template.jinja")
    assert templates.get("tool_use") == "tools"
    (tmp_path / "chat_template.jinja").unlink()
    _tok_config(tmp_path)
    templates = load_hf_folder(tmp_path).chat_templates
    assert (templates.default, templates.source) == ("from json", "chat_template.json")


def test_named_template_list(tmp_path):
    _tok_config(
        tmp_path,
        chat_template=[{"name": "default", "template": "D"}, {"name": "rag", "template": "R"}],
    )
    templates = load_hf_folder(tmp_path).chat_templates
    assert templates.default == "D" and dict(templates.named) == {"rag": "R"}
    _tok_config(tmp_path, chat_template=42)
    with pytest.raises(InputError, match="chat_template must be"):
        load_hf_folder(tmp_path)


def test_tokenizer_json_is_read_lazily(tmp_path):
    _write(tmp_path / "tokenizer.json", "{broken")
    folder = load_hf_folder(tmp_path)  # not read yet
    with pytest.raises(InputError, match=r"tokenizer\.json"):
        _ = folder.tokenizer_json


def test_chat_format_for_training(tiny_models, tmp_path):
    folder = tmp_path / "llama3 模型"
    shutil.copytree(tiny_models("llama3"), folder)
    chat = read_chat_format(folder)
    assert chat.chat_template and "start_header_id" in chat.chat_template
    assert chat.template_file == folder / "tokenizer_config.json"
    assert chat.bos_token == "<|begin_of_text|>"
    assert chat.add_bos_token is True  # tokenizer.json's TemplateProcessing adds it
    (folder / "chat_template.jinja").write_text("J", encoding="utf-8")
    assert read_chat_format(folder).chat_template == "J"
