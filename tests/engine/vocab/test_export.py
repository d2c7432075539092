"""export_vocab on the tiny families: token types, padding, special ids, flags, keys."""

from __future__ import annotations

import json

import pytest
from gguf import GGUFValueType, Keys, TokenType

from engine.convert.vocab import export_vocab


def _config(folder) -> dict:
    return json.loads((folder / "config.json").read_text(encoding="utf-8"))


def _tokenizer_json(folder) -> dict:
    return json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))


def _export(folder, arch: str = "llama"):
    return export_vocab(folder, arch=arch, vocab_size=_config(folder)["vocab_size"])


def test_qwen2_types_padding_and_specials(tokenizer_folders):
    folder = tokenizer_folders("qwen2")
    ex = _export(folder, "qwen2")
    tj = _tokenizer_json(folder)
    added = {a["content"]: a["id"] for a in tj["added_tokens"]}
    n_real = len(tj["model"]["vocab"]) + len(added)
    vocab_size = _config(folder)["vocab_size"]
    assert vocab_size > n_real  # the fixture pads like real Qwen
    assert (ex.kind, ex.ggml_model, ex.pre) == ("bpe", "gpt2", "qwen2")
    assert len(ex.tokens) == len(ex.token_types) == vocab_size
    assert ex.tokens[n_real:] == tuple(f"[PAD{i}]" for i in range(n_real, vocab_size))
    assert set(ex.token_types[n_real:]) == {TokenType.UNUSED}
    assert ex.token_types[added["<|im_end|>"]] == TokenType.CONTROL  # special
    assert (
        ex.token_types[added["<|fim_prefix|>"]] == TokenType.CONTROL
    )  # not special, looks special
    assert ex.token_types[added["<tool_call>"]] == TokenType.USER_DEFINED  # plain added token
    assert ex.token_types[tj["model"]["vocab"]["Ġ"]] == TokenType.NORMAL
    assert ex.merges is not None and len(ex.merges) == len(tj["model"]["merges"])
    assert ex.scores is None and ex.add_space_prefix is None
    ids = dict(ex.special_ids)
    # bos_token is null in tokenizer_config; config.json's bos_token_id fills in (as in
    # llama.cpp's converter), but it is never added.
    assert ids == {
        "bos": added["<|endoftext|>"],
        "eos": added["<|im_end|>"],
        "pad": added["<|endoftext|>"],
        "eot": added["<|im_end|>"],
    }
    assert (ex.add_bos, ex.add_eos) == (False, False)


def test_deepseek_r1_qwen_bos_from_tokenizer_not_config(tokenizer_folders):
    folder = tokenizer_folders("deepseek_r1_qwen")
    ex = _export(folder, "qwen2")
    added = {a["content"]: a["id"] for a in _tokenizer_json(folder)["added_tokens"]}
    # config.json says bos = <｜end▁of▁sentence｜> (a real quirk); the tokenizer wins.
    assert _config(folder)["bos_token_id"] == added["<｜end▁of▁sentence｜>"]
    assert ex.special_id("bos") == added["<｜begin▁of▁sentence｜>"]
    assert ex.special_id("eos") == added["<｜end▁of▁sentence｜>"]
    assert ex.add_bos is True
    assert ex.pre == "deepseek-r1-qwen"
    assert (
        ex.token_types[added["<｜User｜>"]] == TokenType.CONTROL
    )  # looks special (fullwidth bars)
    assert ex.token_types[added["<think>"]] == TokenType.USER_DEFINED


def test_llama3_specials(tokenizer_folders):
    folder = tokenizer_folders("llama3")
    ex = _export(folder)
    added = {a["content"]: a["id"] for a in _tokenizer_json(folder)["added_tokens"]}
    assert ex.pre == "llama-bpe"
    assert ex.special_id("bos") == added["<|begin_of_text|>"]
    assert ex.special_id("eos") == ex.special_id("eot") == added["<|eot_id|>"]
    assert ex.special_id("eom") == added["<|eom_id|>"]
    assert ex.add_bos is True and ex.add_eos is False
    assert all(ex.token_types[i] == TokenType.CONTROL for i in added.values())


@pytest.mark.parametrize(
    ("family", "arch", "prefix", "add_bos"),
    [
        ("mistral", "llama", False, True),
        ("phi3", "phi3", True, False),
        ("gemma2", "gemma2", False, True),
    ],
)
def test_spm_families(tokenizer_folders, family, arch, prefix, add_bos):
    folder = tokenizer_folders(family)
    ex = _export(folder, arch)
    tj = _tokenizer_json(folder)
    vocab = tj["model"]["vocab"]
    assert (ex.kind, ex.ggml_model, ex.pre) == ("spm", "llama", "default")
    assert ex.source == "tokenizer.json + tokenizer.model"
    assert ex.add_space_prefix is prefix and ex.add_bos is add_bos
    assert ex.scores is not None and len(ex.scores) == len(ex.tokens)
    assert ex.token_types[vocab["<0x0A>"]] == TokenType.BYTE
    assert ex.token_types[ex.special_id("unk")] == TokenType.UNKNOWN
    if add_bos:  # the BOS that tokenizer.json's post-processor adds
        assert (
            ex.special_id("bos") == vocab[tj["post_processor"]["single"][0]["SpecialToken"]["id"]]
        )
    assert (Keys.Tokenizer.ADD_PREFIX, prefix, GGUFValueType.BOOL) in ex.kv_items()


def test_phi3_added_tokens_and_strip_warning(tokenizer_folders):
    folder = tokenizer_folders("phi3")
    ex = _export(folder, "phi3")
    added = {a["content"]: a["id"] for a in _tokenizer_json(folder)["added_tokens"]}
    assert ex.special_id("eos") == added["<|endoftext|>"]
    assert ex.special_id("eot") == added["<|end|>"]
    assert ex.token_types[added["<|assistant|>"]] == TokenType.CONTROL
    assert ex.scores[added["<|assistant|>"]] == -1000.0
    assert ex.required_name_tag == "phi3"  # llama.cpp's rstrip rule for Phi-3 needs it
    assert not any("rstrip" in w for w in ex.warnings)


def test_strip_flags_elsewhere_warn(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    tj = _tokenizer_json(folder)
    tj["added_tokens"][2]["lstrip"] = True
    (folder / "tokenizer.json").write_text(json.dumps(tj), encoding="utf-8")
    ex = _export(folder, "qwen2")
    assert ex.required_name_tag is None
    assert any(tj["added_tokens"][2]["content"] in w and "lstrip" in w for w in ex.warnings)


def test_gemma_arch_forces_no_space_prefix_and_user_defined_pieces(tokenizer_copy):
    folder = tokenizer_copy("gemma3")
    tj = _tokenizer_json(folder)
    for a in tj["added_tokens"]:
        if a["content"] == "<start_of_turn>":
            a["special"] = False  # a user-defined piece, not marked special
    tj["added_tokens"].append({"id": 600, "content": "▁hello▁world", "special": False})
    (folder / "tokenizer.json").write_text(json.dumps(tj), encoding="utf-8")
    ex = export_vocab(folder, arch="gemma3", vocab_size=640)
    start = next(a["id"] for a in tj["added_tokens"] if a["content"] == "<start_of_turn>")
    assert ex.token_types[start] == TokenType.USER_DEFINED
    assert ex.tokens[600] == " hello world"  # llama.cpp matches user-defined tokens on raw text
    assert ex.add_space_prefix is False
    assert ex.special_id("eot") == next(
        a["id"] for a in tj["added_tokens"] if a["content"] == "<end_of_turn>"
    )


def test_spm_scores_follow_merge_order_without_tokenizer_model(tokenizer_copy):
    folder = tokenizer_copy("mistral")
    (folder / "tokenizer.model").unlink()
    ex = _export(folder)
    tj = _tokenizer_json(folder)
    vocab, merges = tj["model"]["vocab"], tj["model"]["merges"]
    assert ex.source == "tokenizer.json"
    seen: set[str] = set()
    for rank, (left, right) in enumerate(merges):
        token = left + right
        if token not in seen:
            seen.add(token)
            assert ex.scores[vocab[token]] == -float(rank)
    unmerged = [i for t, i in vocab.items() if t not in seen and len(t) > 1]
    assert all(ex.scores[i] < -len(merges) + 1 for i in unmerged)
    assert len(set(ex.scores)) > len(ex.scores) // 2  # not one constant like -1000


def test_tokenizer_model_only_uses_config_flags(tokenizer_copy):
    folder = tokenizer_copy("phi3")
    for name in ("tokenizer.json", "special_tokens_map.json"):
        (folder / name).unlink()
    ex = _export(folder, "phi3")
    assert ex.source == "tokenizer.model"
    assert ex.add_bos is False  # tokenizer_config add_bos_token=false
    added = json.loads((folder / "added_tokens.json").read_text(encoding="utf-8"))
    assert ex.tokens[added["<|end|>"]] == "<|end|>"
    assert ex.token_types[added["<|end|>"]] == TokenType.CONTROL
    cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    del cfg["add_bos_token"]
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg), encoding="utf-8")
    assert _export(folder, "phi3").add_bos is True  # SentencePiece default


def test_post_processor_wins_over_config_flag(tokenizer_copy):
    folder = tokenizer_copy("qwen2")
    cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    cfg["add_eos_token"] = True
    (folder / "tokenizer_config.json").write_text(json.dumps(cfg), encoding="utf-8")
    ex = _export(folder, "qwen2")
    assert ex.add_eos is False
    assert any("add_eos_token=True" in w for w in ex.warnings)


def test_kv_items_order_types_and_write_to(tokenizer_folders):
    ex = _export(tokenizer_folders("mistral"))
    items = ex.kv_items()
    keys = [k for k, _, _ in items]
    assert keys[:5] == [
        Keys.Tokenizer.MODEL,
        Keys.Tokenizer.PRE,
        Keys.Tokenizer.LIST,
        Keys.Tokenizer.SCORES,
        Keys.Tokenizer.TOKEN_TYPE,
    ]
    assert (
        keys.index(Keys.Tokenizer.BOS_ID)
        < keys.index(Keys.Tokenizer.ADD_BOS)
        < keys.index(Keys.Tokenizer.CHAT_TEMPLATE)
    )
    kinds = {k: t for k, _, t in items}
    assert kinds[Keys.Tokenizer.BOS_ID] == GGUFValueType.UINT32
    assert kinds[Keys.Tokenizer.LIST] == GGUFValueType.ARRAY
    values = {k: v for k, v, _ in items}
    assert isinstance(values[Keys.Tokenizer.LIST], list)
    assert all(isinstance(x, int) for x in values[Keys.Tokenizer.TOKEN_TYPE])
    assert all(isinstance(x, float) for x in values[Keys.Tokenizer.SCORES])

    class Recorder:
        def __init__(self):
            self.calls = []

        def add_key(self, key, value, value_type=None):
            self.calls.append((key, value, value_type))

    rec = Recorder()
    ex.write_to(rec)
    assert rec.calls == items

    bpe_keys = [k for k, _, _ in _export(tokenizer_folders("qwen2"), "qwen2").kv_items()]
    assert Keys.Tokenizer.SCORES not in bpe_keys and Keys.Tokenizer.ADD_PREFIX not in bpe_keys
    assert bpe_keys.index(Keys.Tokenizer.TOKEN_TYPE) + 1 == bpe_keys.index(Keys.Tokenizer.MERGES)


def test_export_is_frozen_and_padded_to_vocab_size(tokenizer_folders):
    folder = tokenizer_folders("llama3")
    n = len(_tokenizer_json(folder)["model"]["vocab"]) + 32
    ex = export_vocab(folder, arch="llama", vocab_size=n + 3)
    assert ex.tokens[-3:] == (f"[PAD{n}]", f"[PAD{n + 1}]", f"[PAD{n + 2}]")
    with pytest.raises(AttributeError):
        ex.pre = "x"  # type: ignore[misc]
