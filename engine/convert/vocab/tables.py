"""The id-ordered token table shared by the BPE and SentencePiece exporters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gguf import TokenType

from engine.errors import InputError

from .special import looks_special

SPM_SPACE = "\u2581"  # "▁", SentencePiece's visible space


@dataclass(frozen=True, kw_only=True)
class AddedToken:
    id: int
    content: str
    special: bool


def added_tokens(tokenizer_json: Mapping[str, Any] | None, path: Path) -> list[AddedToken]:
    """The ``added_tokens`` of tokenizer.json, validated."""
    out: list[AddedToken] = []
    for index, item in enumerate((tokenizer_json or {}).get("added_tokens") or []):
        if (
            not isinstance(item, Mapping)
            or not isinstance(item.get("id"), int)
            or not isinstance(item.get("content"), str)
        ):
            raise InputError(
                f"tokenizer.json: added_tokens[{index}] needs an integer id and a content string",
                path=path,
                field=f"added_tokens[{index}]",
                hint="Restore tokenizer.json from the base model, then add tokens with "
                "tokenizer.add_tokens(...) and save again.",
            )
        out.append(
            AddedToken(id=item["id"], content=item["content"], special=bool(item.get("special")))
        )
    return out


def added_token_type(token: AddedToken) -> TokenType:
    """CONTROL for special (or special-looking) added tokens, USER_DEFINED otherwise."""
    if token.special or looks_special(token.content):
        return TokenType.CONTROL
    return TokenType.USER_DEFINED


def check_fits(highest_id: int, vocab_size: int, path: Path) -> None:
    if highest_id >= vocab_size:
        raise InputError(
            f"the tokenizer has token id {highest_id}, but the model has only {vocab_size} "
            "embedding rows (config.json vocab_size)",
            path=path,
            field="vocab_size",
            hint="Tokens were added without resizing the model. Call "
            "model.resize_token_embeddings(len(tokenizer)) before training, or remove the "
            "extra tokens from the tokenizer.",
        )


def pad_table(slots: dict[int, tuple[str, int]], vocab_size: int) -> tuple[list[str], list[int]]:
    """Tokens and types for ids 0..vocab_size-1; missing ids become ``[PADn]`` UNUSED."""
    tokens: list[str] = []
    types: list[int] = []
    for i in range(vocab_size):
        text, kind = slots.get(i, (f"[PAD{i}]", int(TokenType.UNUSED)))
        tokens.append(text)
        types.append(kind)
    return tokens, types


def vocab_dict(model: Mapping[str, Any], path: Path) -> dict[str, int]:
    """``model.vocab`` as token -> id (tokenizer.json stores BPE vocab as an object)."""
    vocab = model.get("vocab")
    if isinstance(vocab, Mapping) and all(isinstance(v, int) for v in vocab.values()):
        return dict(vocab)
    raise InputError(
        "tokenizer.json: model.vocab must map token text to integer ids",
        path=path,
        field="model.vocab",
        hint="Restore tokenizer.json from the base model.",
    )


def merge_pairs(model: Mapping[str, Any], path: Path) -> list[tuple[str, str]]:
    """``model.merges`` as pairs; both the "a b" and the ["a", "b"] forms are accepted."""
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(model.get("merges") or []):
        if isinstance(item, str):
            left, sep, right = item.partition(" ")
            if sep and left and right:
                pairs.append((left, right))
                continue
        elif (
            isinstance(item, (list, tuple))
            and len(item) == 2
            and all(isinstance(p, str) for p in item)
        ):
            pairs.append((item[0], item[1]))
            continue
        raise InputError(
            f"tokenizer.json: merge #{index} is malformed: {item!r}",
            path=path,
            field=f"model.merges[{index}]",
            hint="Restore tokenizer.json from the base model.",
        )
    return pairs
