"""SentencePiece-style vocabularies (``tokenizer.ggml.model = llama``).

Two sources, used together when both exist:
- ``tokenizer.model`` (SentencePiece protobuf): pieces, scores and piece types;
- ``tokenizer.json`` with a BPE model over ``▁``-escaped text and byte fallback (what
  transformers 5 saves — it no longer writes tokenizer.model).

llama.cpp's SentencePiece tokenizer merges the adjacent pair whose joined text is a
token with the highest *score*. With only tokenizer.json, llama.cpp's converter
writes -1000 for every token, so merges happen in text order instead of BPE order.
We derive the score from the merge list: a token made by merge number ``r`` gets
``-r`` (earlier merges win, as in BPE); tokens no merge makes get a lower score still.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gguf import TokenType

from engine.errors import UnsupportedError

from .sp_model import SentencePieceModel
from .tables import (
    SPM_SPACE,
    AddedToken,
    added_token_type,
    added_tokens,
    check_fits,
    merge_pairs,
    pad_table,
    vocab_dict,
)

_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")
_UNSCORED = -1000.0  # added tokens and padding, as llama.cpp's converter writes them


@dataclass(frozen=True, kw_only=True)
class SpmTable:
    tokens: list[str]
    scores: list[float]
    types: list[int]
    token_to_id: dict[str, int]
    prefix_scheme: str  # "always", "first" or "never" (see prefix_scheme())
    warnings: tuple[str, ...]


def is_spm_style(tokenizer_json: dict[str, Any]) -> bool:
    """BPE over ``▁``-escaped text (Llama 2, Mistral, Gemma, Phi-3 tokenizer.json)."""
    model = tokenizer_json["model"]
    if model.get("type") != "BPE":
        return False
    text = str(tokenizer_json.get("pre_tokenizer")) + str(tokenizer_json.get("normalizer"))
    return bool(model.get("byte_fallback")) or SPM_SPACE in text


def prefix_scheme(tokenizer_json: dict[str, Any]) -> tuple[str, list[str]]:
    """How transformers puts ``▁`` in front of text: "always", "first" or "never".

    "always": before every piece of text, also after special tokens (legacy ``Prepend``
    normalizer, Metaspace "always"); "first": only at the very start of the input and
    not when it already starts with a space (Metaspace "first", what transformers 5
    saves for Llama/Mistral tokenizers); "never": Gemma.
    """
    warnings: list[str] = []
    scheme = "never"

    def visit(part: Any) -> None:
        nonlocal scheme
        if not isinstance(part, dict):
            return
        kind = part.get("type")
        if kind == "Sequence":
            for child in part.get("normalizers") or part.get("pretokenizers") or []:
                visit(child)
        elif kind == "Prepend" and part.get("prepend") == SPM_SPACE:
            scheme = "always"
        elif kind == "Metaspace":
            value = part.get("prepend_scheme")
            if value is None:  # older files
                value = "always" if part.get("add_prefix_space", True) else "never"
            scheme = str(value)
            if part.get("split"):
                warnings.append(
                    "tokenizer.json splits words at spaces before merging (Metaspace split=true); "
                    "llama.cpp does not, so runs of spaces may tokenize differently"
                )

    visit(tokenizer_json.get("normalizer"))
    visit(tokenizer_json.get("pre_tokenizer"))
    return scheme, warnings


def space_prefix_for(scheme: str) -> bool:
    """``tokenizer.ggml.add_space_prefix`` for a transformers prefix scheme.

    llama.cpp puts a space before the start of the text *and after every special token*
    when the flag is on, and nowhere when it is off. "always" is the former. For "first"
    we write off: chat prompts (text only ever after special tokens) then tokenize exactly
    as in training; raw text at the very start of a prompt needs a leading space.
    """
    return scheme == "always"


def _merge_scores(pairs: list[tuple[str, str]]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for rank, (left, right) in enumerate(pairs):
        scores.setdefault(left + right, -float(rank))
    return scores


def _sp_types_for(
    sp: SentencePieceModel | None, token_to_id: dict[str, int]
) -> dict[int, tuple[float, int]]:
    """Score and type of each id whose tokenizer.model piece matches the tokenizer.json text."""
    if sp is None:
        return {}
    found: dict[int, tuple[float, int]] = {}
    for i, piece in enumerate(sp.pieces):
        if token_to_id.get(piece.piece) == i:
            found[i] = (piece.score, piece.type)
    return found


def build_spm_from_json(
    tokenizer_json: dict[str, Any],
    *,
    sp: SentencePieceModel | None,
    vocab_size: int,
    path: Path,
) -> SpmTable:
    model = tokenizer_json["model"]
    vocab = vocab_dict(model, path)
    added = added_tokens(tokenizer_json, path)
    pairs = merge_pairs(model, path)
    token_to_id = dict(vocab)
    token_to_id.update({a.content: a.id for a in added})
    check_fits(max(token_to_id.values(), default=-1), vocab_size, path)

    from_sp = _sp_types_for(sp, vocab)
    merged = _merge_scores(pairs)
    floor = -float(len(pairs))
    unk = model.get("unk_token")
    byte_fallback = bool(model.get("byte_fallback"))
    slots: dict[int, tuple[str, int]] = {}
    score_of: dict[int, float] = {}
    for text, i in vocab.items():
        if i in from_sp:
            score_of[i], kind = from_sp[i]
        else:
            score_of[i] = merged.get(text, floor - i)
            if text == unk:
                kind = int(TokenType.UNKNOWN)
            elif byte_fallback and _BYTE_TOKEN.fullmatch(text):
                kind = int(TokenType.BYTE)
            else:
                kind = int(TokenType.NORMAL)
        slots[i] = (text, kind)
    _apply_added(slots, score_of, added)

    scheme, warnings = prefix_scheme(tokenizer_json)
    tokens, types = pad_table(slots, vocab_size)
    scores = [score_of.get(i, _UNSCORED) for i in range(vocab_size)]
    return SpmTable(
        tokens=tokens,
        scores=scores,
        types=types,
        token_to_id=token_to_id,
        prefix_scheme=scheme,
        warnings=tuple(warnings),
    )


def _apply_added(
    slots: dict[int, tuple[str, int]], score_of: dict[int, float], added: list[AddedToken]
) -> None:
    for a in added:
        kind = added_token_type(a)
        text = a.content
        if kind == TokenType.USER_DEFINED:
            # llama.cpp matches user-defined tokens against raw text, so "▁" means a space.
            text = text.replace(SPM_SPACE, " ")
        elif a.id in slots and slots[a.id][1] == TokenType.UNKNOWN and a.content == slots[a.id][0]:
            continue  # keep <unk> UNKNOWN
        slots[a.id] = (text, int(kind))
        score_of[a.id] = _UNSCORED


def build_spm_from_model(
    sp: SentencePieceModel,
    *,
    extra_added: list[AddedToken],
    vocab_size: int,
    path: Path,
) -> SpmTable:
    """Only tokenizer.model (+ added tokens from tokenizer_config/added_tokens.json)."""
    if sp.model_type not in ("bpe", "unigram"):
        raise UnsupportedError(
            f"tokenizer.model is a SentencePiece {sp.model_type} model, which llama.cpp cannot run",
            path=path,
            hint="Only BPE (and Unigram) SentencePiece models are supported.",
        )
    warnings: list[str] = []
    if sp.normalizer_name not in ("identity", ""):
        warnings.append(
            f"tokenizer.model normalizes text ({sp.normalizer_name}); llama.cpp does not, so "
            "unusual characters may tokenize differently"
        )
    token_to_id = {p.piece: i for i, p in enumerate(sp.pieces)}
    token_to_id.update({a.content: a.id for a in extra_added})
    check_fits(max(token_to_id.values(), default=-1), vocab_size, path)
    slots = {i: (p.piece, p.type) for i, p in enumerate(sp.pieces)}
    score_of = {i: p.score for i, p in enumerate(sp.pieces)}
    _apply_added(slots, score_of, extra_added)
    tokens, types = pad_table(slots, vocab_size)
    scores = [score_of.get(i, _UNSCORED) for i in range(vocab_size)]
    return SpmTable(
        tokens=tokens,
        scores=scores,
        types=types,
        token_to_id=token_to_id,
        prefix_scheme="always" if sp.add_dummy_prefix else "never",
        warnings=tuple(warnings),
    )


def config_added_tokens(
    tokenizer_config: dict[str, Any], added_tokens_json: dict[str, Any]
) -> list[AddedToken]:
    """Added tokens of a folder without tokenizer.json (tokenizer_config / added_tokens.json)."""
    found: dict[int, AddedToken] = {}
    for content, token_id in added_tokens_json.items():
        if isinstance(token_id, int):
            found[token_id] = AddedToken(id=token_id, content=str(content), special=False)
    decoder = tokenizer_config.get("added_tokens_decoder") or {}
    if isinstance(decoder, dict):
        for key, data in decoder.items():
            if (
                str(key).isdigit()
                and isinstance(data, dict)
                and isinstance(data.get("content"), str)
            ):
                found[int(key)] = AddedToken(
                    id=int(key), content=data["content"], special=bool(data.get("special"))
                )
    return [found[i] for i in sorted(found)]
