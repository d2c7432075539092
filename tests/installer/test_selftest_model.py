"""The self-test's tiny model is what it claims: a valid Qwen2 checkpoint whose tokenizer
splits the reply as planned and which answers the reply greedily (checked with the
reference implementations: Hugging Face tokenizers and transformers)."""

from __future__ import annotations

import json

import pytest

from engine.selftest_model import (
    CHAT_TEMPLATE,
    REPLY,
    REPLY_PIECES,
    byte_to_unicode,
    write_selftest_model,
)


@pytest.fixture(scope="module")
def selftest_model(tmp_path_factory):
    return write_selftest_model(tmp_path_factory.mktemp("self test") / "模型 tiny")


def test_byte_alphabet_is_gpt2s():
    alphabet = byte_to_unicode()
    assert len(set(alphabet.values())) == 256
    assert alphabet[ord(" ")] == "Ġ" and alphabet[ord("\n")] == "Ċ" and alphabet[ord("A")] == "A"


def test_files_are_a_qwen2_checkpoint(selftest_model):
    folder = selftest_model.model_dir
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    }
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["Qwen2ForCausalLM"]
    assert config["hidden_size"] % 256 == 0  # K-quants apply
    assert config["vocab_size"] >= selftest_model.n_tokens
    assert (
        json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))["chat_template"]
        == CHAT_TEMPLATE
    )


def test_hf_tokenizers_split_the_reply_as_planned(selftest_model):
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer.from_file(str(selftest_model.model_dir / "tokenizer.json"))
    encoding = tok.encode(REPLY, add_special_tokens=False)
    assert tuple(encoding.ids) == selftest_model.reply_token_ids
    assert [tok.decode([i]) for i in encoding.ids] == list(REPLY_PIECES)
    assert tok.token_to_id("<|im_end|>") == selftest_model.eos_token_id
    text = "中文 and ünïcode 123 <|im_start|>user\n"
    assert tok.decode(tok.encode(text).ids, skip_special_tokens=False) == text


@pytest.mark.slow
def test_transformers_answers_the_reply_greedily(selftest_model):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = str(selftest_model.model_dir)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Who are you?"}], add_generation_prompt=True, tokenize=False
    )
    assert prompt.endswith("<|im_start|>assistant\n")
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=12, do_sample=False)
    new = out[0, ids.shape[1] :].tolist()
    assert new[-1] == selftest_model.eos_token_id
    assert tokenizer.decode(new[:-1]) == REPLY
