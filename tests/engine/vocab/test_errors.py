"""Bad inputs fail with errors that name the file and say what to do."""

from __future__ import annotations

import json

import pytest

from engine.convert.vocab import export_vocab
from engine.errors import InputError, UnsupportedError

LLAMA3_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _edit_json(path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _split_regex(data: dict) -> dict:
    return data["pre_tokenizer"]["pretokenizers"][0]["pattern"]


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="model folder not found") as err:
        export_vocab(tmp_path / "不存在", arch="llama", vocab_size=10)
    assert err.value.hint


def test_folder_without_tokenizer(tmp_path):
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"neither tokenizer\.json nor tokenizer\.model") as err:
        export_vocab(tmp_path, arch="llama", vocab_size=10)
    assert "save_pretrained" in err.value.hint


def test_broken_json_names_file_and_line(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    (folder / "tokenizer_config.json").write_text('{\n  "a": 1,\n  oops\n}', encoding="utf-8")
    with pytest.raises(InputError) as err:
        export_vocab(folder, arch="qwen2", vocab_size=512)
    assert err.value.line == 3
    assert err.value.path.endswith("tokenizer_config.json")


def test_unknown_pre_tokenizer_regex_is_refused_and_shown(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    odd = r"\p{L}+|\p{N}{1,2}|[^\s\p{L}\p{N}]+|\s+"
    _edit_json(folder / "tokenizer.json", lambda d: _split_regex(d).update(Regex=odd))
    with pytest.raises(UnsupportedError) as err:
        export_vocab(folder, arch="qwen2", vocab_size=512)
    assert odd in str(err.value)
    assert err.value.field == "pre_tokenizer"
    assert "qwen2" in err.value.hint and "llama-bpe" in err.value.hint


def test_same_regex_other_merge_mode_maps_to_its_own_name(tokenizer_copy):
    folder = tokenizer_copy("llama3")
    _edit_json(folder / "tokenizer.json", lambda d: d["model"].update(ignore_merges=False))
    ex = export_vocab(folder, arch="llama", vocab_size=512)
    assert ex.pre == "smaug-bpe"  # llama.cpp: Llama-3 regex without ignore_merges


def test_qwen2_regex_with_ignore_merges_has_no_equivalent(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _edit_json(folder / "tokenizer.json", lambda d: d["model"].update(ignore_merges=True))
    with pytest.raises(UnsupportedError, match="ignore_merges=true"):
        export_vocab(folder, arch="qwen2", vocab_size=512)


def test_unsupported_normalizer(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _edit_json(folder / "tokenizer.json", lambda d: d.update(normalizer={"type": "Lowercase"}))
    with pytest.raises(UnsupportedError, match="Lowercase"):
        export_vocab(folder, arch="qwen2", vocab_size=512)


def test_vocab_size_smaller_than_tokenizer(tokenizer_folders):
    with pytest.raises(InputError, match="resize_token_embeddings"):
        export_vocab(tokenizer_folders("qwen2"), arch="qwen2", vocab_size=100)


def test_duplicate_token_text_is_refused(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _edit_json(
        folder / "tokenizer.json",
        lambda d: d["added_tokens"].append({"id": 505, "content": "<|im_end|>", "special": True}),
    )
    with pytest.raises(InputError, match="same token text"):
        export_vocab(folder, arch="qwen2", vocab_size=512)


def test_broken_tokenizer_model(tokenizer_copy):
    folder = tokenizer_copy("mistral")
    (folder / "tokenizer.model").write_bytes(b"\x0a\xff\xff\xff")
    with pytest.raises(InputError, match="not a valid SentencePiece model"):
        export_vocab(folder, arch="llama", vocab_size=512)


@pytest.mark.parametrize("model_type", ["Unigram", "WordPiece"])
def test_other_tokenizer_models_are_unsupported(tmp_path, model_type):
    data = {"model": {"type": model_type, "vocab": []}, "added_tokens": []}
    (tmp_path / "tokenizer.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UnsupportedError, match=model_type):
        export_vocab(tmp_path, arch="llama", vocab_size=10)


def test_malformed_merge(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    _edit_json(folder / "tokenizer.json", lambda d: d["model"]["merges"].append(["only-one"]))
    with pytest.raises(InputError, match="merge #") as err:
        export_vocab(folder, arch="qwen2", vocab_size=512)
    assert err.value.field.startswith("model.merges[")
