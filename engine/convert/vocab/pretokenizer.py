"""Choose ``tokenizer.ggml.pre`` from the tokenizer's own pre-tokenizer definition.

llama.cpp's converter hashes the token ids of a fixed text and fails on every hash
it has not seen (any fine-tuned tokenizer with an added token, any retrained vocab).
The pre-tokenizer, though, is a *definition* in tokenizer.json — a regex split plus
byte-level mapping — and llama.cpp implements a fixed set of them. We compare the
definition itself with the known ones in ``pre_tokenizers.json``; an unknown one
is refused with the regex shown, because writing the "closest" name would make the
GGUF split text differently from the model's training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from engine.errors import UnsupportedError

# Fields that only change offsets, never ids.
_OFFSET_ONLY_FIELDS = frozenset({"trim_offsets"})
# Defaults of the tokenizers library, for files that leave fields out.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "ByteLevel": {"add_prefix_space": True, "use_regex": True},
    "Split": {"invert": False},
    "Digits": {"individual_digits": False},
}
# Normalizers llama.cpp's byte-level BPE does not apply but that leave normal text as it
# is: NFC only recomposes characters (text typed or pasted is almost always NFC already).
_HARMLESS_NORMALIZERS = frozenset({"NFC"})


@dataclass(frozen=True, kw_only=True)
class KnownPreTokenizer:
    name: str
    families: str
    ignore_merges: bool
    adds_bos: bool | None
    steps: tuple[str, ...]  # canonical JSON of each pre-tokenizer step
    verified: str | None


def canonical_steps(pre_tokenizer: dict[str, Any] | None) -> tuple[str, ...]:
    """Flatten a pre-tokenizer into canonical JSON strings, one per step."""
    if pre_tokenizer is None:
        return ()
    if pre_tokenizer.get("type") == "Sequence":
        steps: list[str] = []
        for item in pre_tokenizer.get("pretokenizers") or []:
            steps.extend(canonical_steps(item))
        return tuple(steps)
    kind = str(pre_tokenizer.get("type"))
    step = {**_DEFAULTS.get(kind, {}), **pre_tokenizer}
    for field in _OFFSET_ONLY_FIELDS:
        step.pop(field, None)
    return (json.dumps(step, sort_keys=True, ensure_ascii=False),)


@lru_cache(maxsize=1)
def known_pre_tokenizers() -> tuple[KnownPreTokenizer, ...]:
    text = resources.files(__package__).joinpath("pre_tokenizers.json").read_text(encoding="utf-8")
    entries = json.loads(text)["entries"]
    return tuple(
        KnownPreTokenizer(
            name=e["name"],
            families=e["families"],
            ignore_merges=bool(e["ignore_merges"]),
            adds_bos=e.get("adds_bos"),
            steps=canonical_steps(e["pre_tokenizer"]),
            verified=e.get("verified"),
        )
        for e in entries
    )


def _regexes(pre_tokenizer: dict[str, Any] | None) -> list[str]:
    found: list[str] = []
    for step in canonical_steps(pre_tokenizer):
        data = json.loads(step)
        pattern = data.get("pattern")
        if isinstance(pattern, dict):
            found.extend(str(v) for v in pattern.values())
        if data.get("type") == "ByteLevel" and data.get("use_regex"):
            found.append("(GPT-2 regex of ByteLevel)")
    return found


def _normalizer_names(normalizer: dict[str, Any] | None) -> list[str]:
    if normalizer is None:
        return []
    if normalizer.get("type") == "Sequence":
        names: list[str] = []
        for item in normalizer.get("normalizers") or []:
            names.extend(_normalizer_names(item))
        return names
    return [str(normalizer.get("type"))]


def choose_pre_tokenizer(
    tokenizer_json: dict[str, Any], *, adds_bos: bool, path: Path
) -> KnownPreTokenizer:
    """Return the llama.cpp pre-tokenizer that behaves exactly like this tokenizer.json."""
    odd = [
        n
        for n in _normalizer_names(tokenizer_json.get("normalizer"))
        if n not in _HARMLESS_NORMALIZERS
    ]
    if odd:
        raise UnsupportedError(
            f"tokenizer.json normalizes text with {', '.join(odd)}, which llama.cpp's "
            "byte-level BPE tokenizer cannot do",
            path=path,
            field="normalizer",
            hint="The GGUF would tokenize text differently from the model's training. "
            "Use a base model whose tokenizer has no such normalizer.",
        )
    pre = tokenizer_json.get("pre_tokenizer")
    steps = canonical_steps(pre)
    ignore_merges = bool(tokenizer_json["model"].get("ignore_merges", False))
    for known in known_pre_tokenizers():
        if known.steps != steps or known.ignore_merges != ignore_merges:
            continue
        if known.adds_bos is not None and known.adds_bos != adds_bos:
            continue
        return known
    shown = _regexes(pre) or [json.dumps(pre, ensure_ascii=False)[:300]]
    supported = ", ".join(sorted({k.name for k in known_pre_tokenizers()}))
    raise UnsupportedError(
        "tokenizer.json uses a pre-tokenizer that llama.cpp has no built-in equivalent for "
        f"(ignore_merges={str(ignore_merges).lower()}): " + " ; ".join(shown),
        path=path,
        field="pre_tokenizer",
        hint="llama.cpp would split text differently from the model's training, so "
        f"Tuneforge refuses to guess. Known pre-tokenizers: {supported}. If the tokenizer "
        "was edited, restore the pre_tokenizer section from the base model's tokenizer.json.",
        regex=shown,
    )
