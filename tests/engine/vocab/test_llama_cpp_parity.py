"""The GGUF vocabulary we export tokenizes exactly like the model's own tokenizer.

For every tiny family (real tokenizers trained in-process by tests/fixtures): export the
vocab, write a vocab-only GGUF, load it with llama.cpp (llama-cpp-python) and compare ids
with transformers on a varied corpus and on chat prompts rendered by the model's own
template; then compare decoding. Variants: the folder as transformers 5 re-saves it
(tokenizer.json only, chat_template.jinja) and a folder with only tokenizer.model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.convert.vocab import export_vocab
from tests.engine.vocab.helpers import (
    LlamaVocab,
    copy_tokenizer_folder,
    corpus_texts,
    write_vocab_gguf,
)
from tests.fixtures.models import FAMILIES

pytestmark = pytest.mark.slow

GGUF_ARCH = {
    "llama3": "llama",
    "mistral": "llama",
    "qwen2": "qwen2",
    "deepseek_r1_qwen": "qwen2",
    "qwen3": "qwen3",
    "gemma2": "gemma2",
    "gemma3": "gemma3",
    "phi3": "phi3",
}
SPM_FAMILIES = ("mistral", "gemma2", "gemma3", "phi3")
CONVERSATION = [
    {"role": "user", "content": "Hi! 你好，请介绍一下你自己。"},
    {"role": "assistant", "content": "Hello 😊 I am a tiny model.\n\n```python\nprint('hi')\n```"},
    {"role": "user", "content": "  Two leading spaces and emoji 👍🏽 then 1234567."},
]


def _vocab_size(model_dir: Path) -> int:
    return int(json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["vocab_size"])


def _chat_prompts(hf) -> list[str]:
    prompts = []
    for turns in (CONVERSATION[:1], CONVERSATION):
        prompts.append(hf.apply_chat_template(turns, tokenize=False, add_generation_prompt=True))
    return prompts


def _export_and_load(family: str, model_dir: Path, tmp_path: Path) -> tuple[object, LlamaVocab]:
    arch = GGUF_ARCH[family]
    export = export_vocab(model_dir, arch=arch, vocab_size=_vocab_size(model_dir))
    # The converter keeps VocabExport.required_name_tag in general.name ("phi3": llama.cpp
    # gives Phi-3's special tokens their rstrip only for such names).
    name = "我的 model" + (f" {export.required_name_tag}" if export.required_name_tag else "")
    path = write_vocab_gguf(export, tmp_path / "词表 vocab.gguf", arch=arch, name=name)
    return export, LlamaVocab(path)


def _llama_input(text: str, export, added: list[str]) -> str:
    """The text to give llama.cpp for the same ids as transformers.

    With the "first" prefix scheme transformers puts "▁" before the input unless it starts
    with a space or an added token; llama.cpp (add_space_prefix=false, see VocabExport.
    prefix_scheme) never does, so the caller adds the space. Everywhere else (all chat
    prompts: text only ever follows special tokens) the text is passed unchanged."""
    if export.prefix_scheme != "first" or not text or text.startswith(" "):
        return text
    if any(text.startswith(a) for a in added):
        return text
    return " " + text


def _compare(hf, llama: LlamaVocab, texts: list[str], export) -> list[str]:
    """Differences between transformers and llama.cpp, as readable lines.

    Decoding: SentencePiece vocabularies go through llama_detokenize (which drops the
    prefix space like transformers' Strip decoder); byte-level BPE through the token
    pieces, because llama_detokenize also applies a fixed " ." -> "." clean-up for some
    pre-tokenizers that transformers 5 no longer applies to BPE."""
    problems = []
    added = list(hf.get_added_vocab())
    for text in texts:
        for add_special in (False, True):
            want = hf(text, add_special_tokens=add_special)["input_ids"]
            got = llama.tokenize(
                _llama_input(text, export, added), add_special=add_special, parse_special=True
            )
            if got != want:
                problems.append(
                    f"encode add_special={add_special} {text[:60]!r}: hf={want[:12]} llama={got[:12]}"
                )
        ids = hf(text, add_special_tokens=False)["input_ids"]
        want_text = hf.decode(ids, skip_special_tokens=False)
        if export.kind == "spm":
            got_text = llama.detokenize(ids, remove_special=False, unparse_special=True)
            if export.prefix_scheme == "first" and got_text.startswith(" "):
                got_text = got_text[
                    1:
                ]  # transformers' Strip decoder; llama.cpp strips only when add_space_prefix
        else:
            got_text = llama.pieces(ids)
        if got_text != want_text:
            problems.append(f"decode {text[:60]!r}: hf={want_text[:40]!r} llama={got_text[:40]!r}")
    return problems


@pytest.mark.parametrize("family", FAMILIES)
def test_hub_folder_tokenizes_like_transformers(family, tiny_models, tmp_path):
    transformers = pytest.importorskip("transformers")
    model_dir = tiny_models(family)
    export, llama = _export_and_load(family, model_dir, tmp_path)
    hf = transformers.AutoTokenizer.from_pretrained(model_dir)
    try:
        texts = corpus_texts() + _chat_prompts(hf)
        assert _compare(hf, llama, texts, export) == []
        # Round trip: text -> llama.cpp ids -> text (no special tokens, no space cleanup).
        for text in corpus_texts()[1:]:
            ids = llama.tokenize(text, add_special=False, parse_special=False)
            if export.kind == "spm" and text.startswith(" "):
                continue  # the SentencePiece prefix space is removed on decode
            if export.kind == "spm":
                assert llama.detokenize(ids, remove_special=False, unparse_special=False) == text
            else:
                assert llama.pieces(ids) == text
    finally:
        llama.close()


@pytest.mark.parametrize("family", FAMILIES)
def test_transformers5_resaved_folder_tokenizes_the_same(family, tiny_models, tmp_path):
    """After fine-tuning, transformers 5 saves tokenizer.json only (no tokenizer.model) and
    the chat template as chat_template.jinja: the SentencePiece scores then come from the
    merge order, and the result must still match transformers exactly."""
    transformers = pytest.importorskip("transformers")
    src = tiny_models(family)
    dst = tmp_path / "微调后 saved"
    copy_tokenizer_folder(
        src,
        dst,
        drop=(
            "tokenizer.model",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
        ),
    )
    transformers.AutoTokenizer.from_pretrained(src).save_pretrained(dst)
    assert not (dst / "tokenizer.model").exists()
    export, llama = _export_and_load(family, dst, tmp_path)
    hf = transformers.AutoTokenizer.from_pretrained(dst)
    try:
        assert export.source == "tokenizer.json"  # SentencePiece scores from the merge order
        assert export.chat_template_source == "chat_template.jinja"
        assert export.chat_template == (dst / "chat_template.jinja").read_text(encoding="utf-8")
        assert _compare(hf, llama, corpus_texts() + _chat_prompts(hf), export) == []
    finally:
        llama.close()


@pytest.mark.parametrize("family", SPM_FAMILIES)
def test_tokenizer_model_only_matches_sentencepiece(family, tiny_models, tmp_path):
    sentencepiece = pytest.importorskip("sentencepiece")
    src = tiny_models(family)
    dst = copy_tokenizer_folder(src, tmp_path / "only model", drop=("tokenizer.json",))
    export, llama = _export_and_load(family, dst, tmp_path)
    assert export.source == "tokenizer.model"
    sp = sentencepiece.SentencePieceProcessor(model_file=str(dst / "tokenizer.model"))
    try:
        for text in corpus_texts():
            want = sp.encode(text)
            assert llama.tokenize(text, add_special=False, parse_special=False) == want, text[:60]
    finally:
        llama.close()


def test_converter_stream_writer_output_loads_in_llama_cpp(tokenizer_folders, tmp_path):
    """The same keys through the converter's own streaming GGUF writer."""
    transformers = pytest.importorskip("transformers")
    gguf_write = pytest.importorskip("engine.formats.gguf_write")
    folder = tokenizer_folders("qwen2")
    export = export_vocab(folder, arch="qwen2", vocab_size=_vocab_size(folder))
    writer = gguf_write.GGUFStreamWriter()
    writer.add_key("general.architecture", "qwen2")
    export.write_to(writer)
    path = tmp_path / "流 stream.gguf"
    with open(path, "wb") as fh:
        writer.write_header(fh)
        writer.finish()
    llama = LlamaVocab(path)
    hf = transformers.AutoTokenizer.from_pretrained(folder)
    try:
        prompt = _chat_prompts(hf)[-1]
        assert (
            llama.tokenize(prompt, add_special=False, parse_special=True)
            == hf(prompt, add_special_tokens=False)["input_ids"]
        )
    finally:
        llama.close()
