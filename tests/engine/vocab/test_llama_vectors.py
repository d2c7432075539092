"""Check our pre-tokenizer table and SentencePiece scores against real vocabularies.

llama.cpp ships tokenizer test vectors: ``models/ggml-vocab-<name>.gguf`` (a real model's
vocab) with ``.inp`` strings and ``.out`` ids made by that model's Hugging Face tokenizer.
The GGUF holds no tokenizer.json, so for each entry of pre_tokenizers.json we rebuild one
from the vocab and merges with *our* definition of the pre-tokenizer and check that

1. the `tokenizers` library then produces the expected ids (our HF definition is right);
2. export_vocab picks the expected ``tokenizer.ggml.pre`` name for it;
3. llama.cpp on the GGUF we write produces the expected ids.

For SentencePiece vocabularies (llama-spm, phi-3) the tokenizer.json carries only merges
(as transformers 5 saves it), which checks the merge-rank scores on a 32k vocabulary.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from engine.convert.vocab import export_vocab
from engine.convert.vocab.pretokenizer import known_pre_tokenizers
from tests.engine.vocab.helpers import LlamaVocab, write_vocab_gguf

pytestmark = pytest.mark.slow

SEPARATOR = "\n__ggml_vocab_test__\n"
# deepseek-r1-qwen is qwen2's definition plus an added BOS, so it has no vector set of its own.
BPE_ENTRIES = sorted(
    {(k.name, k.verified) for k in known_pre_tokenizers() if k.verified and k.adds_bos is None}
)
# Entries without a vector set of their own run on a vocab with the same regex; their ids are
# then compared between our HF definition and llama.cpp only (no real-model reference).
UNVERIFIED = [("smaug-bpe", "llama-bpe")]


def _vectors(root: Path, vocab: str) -> tuple[Path, list[str], list[list[int]]]:
    base = root / "models" / f"ggml-vocab-{vocab}.gguf"
    if not base.with_name(base.name + ".out").is_file():
        pytest.skip(f"no test vectors for {vocab} in this llama.cpp source")
    inputs = base.with_name(base.name + ".inp").read_text(encoding="utf-8").split(SEPARATOR)
    outputs = base.with_name(base.name + ".out").read_text(encoding="utf-8").split("\n")
    expected = [[int(x) for x in line.split()] for line in outputs[: len(inputs)]]
    return base, inputs, expected


_SCALAR = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}


@functools.lru_cache(maxsize=2)
def _read_gguf_vocab(path: Path) -> dict[str, list]:
    """The tokenizer arrays of a GGUF file (a small reader: gguf.GGUFReader takes ~1 min on
    a 150k-token vocab because it builds a numpy view per string)."""
    import struct

    data = path.read_bytes()
    pos = 0

    def take(fmt: str):
        nonlocal pos
        (value,) = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        size = take("<Q")
        pos += size
        return data[pos - size : pos].decode("utf-8")

    def value(kind: int):
        if kind == 8:
            return string()
        if kind == 9:
            sub, count = take("<I"), take("<Q")
            return [value(sub) for _ in range(count)]
        return take(_SCALAR[kind])

    assert data[:4] == b"GGUF"
    pos = 8
    _n_tensors, n_kv = take("<Q"), take("<Q")
    kv = {}
    for _ in range(n_kv):
        key = string()
        kv[key] = value(take("<I"))
    return {
        "tokens": kv.get("tokenizer.ggml.tokens", []),
        "types": kv.get("tokenizer.ggml.token_type", []),
        "merges": kv.get("tokenizer.ggml.merges", []),
        "scores": kv.get("tokenizer.ggml.scores", []),
    }


def _write_folder(folder: Path, tokenizer_json: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "tokenizer.json").write_text(
        json.dumps(tokenizer_json, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "tokenizer_config.json").write_text("{}", encoding="utf-8")


def _split_vocab(vocab: dict[str, list]) -> tuple[dict[str, int], list[dict]]:
    model_vocab, added = {}, []
    for i, (text, kind) in enumerate(zip(vocab["tokens"], vocab["types"], strict=True)):
        if kind in (3, 4):  # control / user defined -> added tokens
            added.append(
                {
                    "id": i,
                    "content": text,
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "special": kind == 3,
                }
            )
        else:
            model_vocab[text] = i
    return model_vocab, added


@pytest.mark.parametrize(("pre_name", "vocab_name"), BPE_ENTRIES + UNVERIFIED)
def test_pre_tokenizer_entry_matches_real_vocab(pre_name, vocab_name, llama_src_dir, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    gguf_path, inputs, expected = _vectors(llama_src_dir, vocab_name)
    vocab = _read_gguf_vocab(gguf_path)
    entry = next(k for k in known_pre_tokenizers() if k.name == pre_name)
    data = json.loads(
        (Path(__file__).parents[3] / "engine/convert/vocab/pre_tokenizers.json").read_text(
            encoding="utf-8"
        )
    )
    pre = next(e["pre_tokenizer"] for e in data["entries"] if e["name"] == pre_name)
    model_vocab, added = _split_vocab(vocab)
    tokenizer_json = {
        "version": "1.0",
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": pre,
        "post_processor": None,
        "decoder": {
            "type": "ByteLevel",
            "add_prefix_space": True,
            "trim_offsets": True,
            "use_regex": True,
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": entry.ignore_merges,
            "vocab": model_vocab,
            "merges": [m.split(" ", 1) for m in vocab["merges"]],
        },
    }
    hf = tokenizers.Tokenizer.from_str(json.dumps(tokenizer_json))
    if entry.verified == vocab_name:
        for text, ids in zip(inputs, expected, strict=True):
            assert hf.encode(text, add_special_tokens=False).ids == ids, (
                f"HF definition differs on {text!r}"
            )
    else:
        expected = [hf.encode(text, add_special_tokens=False).ids for text in inputs]

    folder = tmp_path / f"{vocab_name} 模型"
    _write_folder(folder, tokenizer_json)
    export = export_vocab(folder, arch="llama", vocab_size=len(vocab["tokens"]))
    assert export.pre == pre_name
    llama = LlamaVocab(write_vocab_gguf(export, tmp_path / "v.gguf", arch="llama"))
    try:
        for text, ids in zip(inputs, expected, strict=True):
            assert llama.tokenize(text, add_special=False, parse_special=False) == ids, text
    finally:
        llama.close()


def _merges_from_pieces(
    tokens: list[str], scores: list[float], types: list[int]
) -> list[list[str]]:
    """The merges transformers derives from a SentencePiece BPE model (by piece score)."""
    normal = {
        t: (s, i) for i, (t, s, k) in enumerate(zip(tokens, scores, types, strict=True)) if k == 1
    }
    ranked = []
    for piece, (score, i) in normal.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in normal and right in normal:
                ranked.append((-score, i, normal[left][1], left, right))
    return [[left, right] for *_, left, right in sorted(ranked)]


@pytest.mark.parametrize("vocab_name", ["llama-spm", "phi-3"])
def test_spm_scores_from_merges_match_real_vocab(vocab_name, llama_src_dir, tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    gguf_path, inputs, expected = _vectors(llama_src_dir, vocab_name)
    vocab = _read_gguf_vocab(gguf_path)
    model_vocab, added = _split_vocab(vocab)
    unk = vocab["tokens"][vocab["types"].index(2)]
    tokenizer_json = {
        "version": "1.0",
        "added_tokens": added,
        # Llama-2's own (legacy) layout: "▁" before every text, as llama.cpp and sentencepiece do.
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
            ],
        },
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": unk,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": model_vocab,
            "merges": _merges_from_pieces(vocab["tokens"], vocab["scores"], vocab["types"]),
        },
    }
    hf = tokenizers.Tokenizer.from_str(json.dumps(tokenizer_json))
    for text, ids in zip(inputs, expected, strict=True):
        assert hf.encode(text, add_special_tokens=False).ids == ids, (
            f"rebuilt tokenizer.json differs on {text!r}"
        )

    folder = tmp_path / f"{vocab_name} 只有 tokenizer.json"
    _write_folder(folder, tokenizer_json)
    export = export_vocab(folder, arch="llama", vocab_size=len(vocab["tokens"]))
    assert export.kind == "spm" and export.source == "tokenizer.json"
    llama = LlamaVocab(write_vocab_gguf(export, tmp_path / "v.gguf", arch="llama"))
    try:
        for text, ids in zip(inputs, expected, strict=True):
            assert llama.tokenize(text, add_special=False, parse_special=False) == ids, text
    finally:
        llama.close()
