"""Byte-level BPE (GPT-2 style, ``tokenizer.ggml.model = gpt2``) from tokenizer.json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gguf import TokenType

from .tables import (
    added_token_type,
    added_tokens,
    check_fits,
    merge_pairs,
    pad_table,
    vocab_dict,
)


@dataclass(frozen=True, kw_only=True)
class BpeTable:
    tokens: list[str]
    types: list[int]
    merges: list[str]
    token_to_id: dict[str, int]


def is_byte_level(tokenizer_json: dict[str, Any]) -> bool:
    """True when the tokenizer maps bytes to printable characters (GPT-2 ByteLevel)."""

    def has_byte_level(part: Any) -> bool:
        if not isinstance(part, dict):
            return False
        if part.get("type") == "ByteLevel":
            return True
        children = part.get("pretokenizers") or part.get("decoders") or []
        return any(has_byte_level(c) for c in children)

    return has_byte_level(tokenizer_json.get("pre_tokenizer")) or has_byte_level(
        tokenizer_json.get("decoder")
    )


def build_bpe_table(tokenizer_json: dict[str, Any], *, vocab_size: int, path: Any) -> BpeTable:
    model = tokenizer_json["model"]
    vocab = vocab_dict(model, path)
    added = added_tokens(tokenizer_json, path)
    token_to_id = dict(vocab)
    token_to_id.update({a.content: a.id for a in added})
    highest = max(token_to_id.values(), default=-1)
    check_fits(highest, vocab_size, path)

    slots: dict[int, tuple[str, int]] = {i: (t, int(TokenType.NORMAL)) for t, i in vocab.items()}
    for a in added:  # added tokens win over the model vocab at the same id, as in transformers
        slots[a.id] = (a.content, int(added_token_type(a)))
    tokens, types = pad_table(slots, vocab_size)
    # A space inside a merge part (new list format) is written as its byte-level form,
    # the way llama.cpp's converter does, so "a b" stays splittable at the one space.
    merges = [
        f"{left.replace(' ', 'Ġ')} {right.replace(' ', 'Ġ')}"
        for left, right in merge_pairs(model, path)
    ]
    return BpeTable(tokens=tokens, types=types, merges=merges, token_to_id=token_to_id)
