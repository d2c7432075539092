"""``tuneforge data check``: what training would see, before any GPU time is spent."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.template.errors import ChatTemplateError
from engine.train.conversation import Conversation
from engine.train.dataset import load_dataset
from engine.train.errors import DataIssue, DatasetError
from engine.train.template import read_base_template
from engine.train.tokenize import (
    Encoder,
    Renderer,
    TokenizedExample,
    hf_encoder,
    load_tokenizer,
    tokenize,
)


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A dataset rendered and tokenized for one base model."""

    format: str
    conversations: int
    examples: tuple[TokenizedExample, ...]
    issues: tuple[DataIssue, ...]  # problems found (and, with skip_invalid, skipped)
    skipped: tuple[DataIssue, ...]
    fingerprint: str
    duplicates: int


def prepare(
    conversations: Sequence[Conversation],
    renderer: Renderer,
    encode: Encoder,
    *,
    cutoff: int,
    last_turn_only: bool = False,
    train_on_prompt: bool = False,
) -> tuple[list[TokenizedExample], list[DataIssue], int]:
    """Tokenized examples, template refusals (as FILE:LINE issues) and the duplicate count."""
    out: list[TokenizedExample] = []
    issues: list[DataIssue] = []
    seen: set[str] = set()
    duplicates = 0
    for conv in conversations:
        key = hashlib.sha256(repr(conv.messages).encode()).hexdigest()
        duplicates += key in seen
        seen.add(key)
        try:
            rendered = renderer.examples(conv, last_turn_only=last_turn_only,
                                         train_on_prompt=train_on_prompt)  # fmt: skip
        except ChatTemplateError as exc:
            issues.append(DataIssue(file=conv.file, line=conv.line,
                                    message=f"the model's chat template refuses it: {exc.message}"))  # fmt: skip
            continue
        for item in rendered:
            example = tokenize(item, encode, cutoff=cutoff)
            if example.trained_tokens == 0:
                issues.append(DataIssue(file=conv.file, line=conv.line, message=(
                    f"no answer token fits in the cutoff of {cutoff} tokens "
                    f"(the example has {example.full_length})")))  # fmt: skip
                continue
            out.append(example)
    return out, issues, duplicates


def prepare_dataset(
    *,
    data: str | Path,
    dataset: str | None,
    base: str | Path,
    cutoff: int,
    skip_invalid: bool = False,
    last_turn_only: bool = False,
    train_on_prompt: bool = False,
    tokenizer: object | None = None,
    max_samples: int | None = None,
) -> Prepared:
    """Load, render and tokenize; raises :class:`DatasetError` unless ``skip_invalid``.
    ``max_samples``: only the first N conversations of the dataset (in file order)."""
    loaded = load_dataset(data, dataset=dataset, skip_invalid=True)
    conversations = loaded.conversations[:max_samples] if max_samples else loaded.conversations
    renderer = Renderer(read_base_template(base))
    encode = hf_encoder(tokenizer if tokenizer is not None else load_tokenizer(base))
    examples, problems, duplicates = prepare(
        conversations, renderer, encode, cutoff=cutoff,
        last_turn_only=last_turn_only, train_on_prompt=train_on_prompt,
    )  # fmt: skip
    issues = list(loaded.skipped) + problems
    if issues and not skip_invalid:
        raise DatasetError(issues)
    if not examples:
        raise DatasetError(issues or [DataIssue(file=str(data), line=1, message="no examples")])
    return Prepared(
        format=loaded.format,
        conversations=len(conversations),
        examples=tuple(examples),
        issues=tuple(issues),
        skipped=tuple(issues) if skip_invalid else (),
        fingerprint=loaded.fingerprint,
        duplicates=duplicates,
    )


@dataclass(frozen=True, kw_only=True)
class CheckReport:
    format: str
    examples: int
    conversations: int
    total_tokens: int
    trained_tokens: int
    truncated: int
    cutoff: int
    duplicates: int
    histogram: list[dict[str, int]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    max_tokens: int = 0

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def check_dataset(
    *, data: str | Path, dataset: str | None, base: str | Path, cutoff: int
) -> CheckReport:
    """Every figure ``data check`` prints; errors are listed, never raised (except no data)."""
    try:
        loaded = load_dataset(data, dataset=dataset, skip_invalid=True)
    except DatasetError as exc:
        return CheckReport(format="unknown", examples=0, conversations=0, total_tokens=0,
                           trained_tokens=0, truncated=0, cutoff=cutoff, duplicates=0,
                           errors=[i.to_dict() for i in exc.issues])  # fmt: skip
    renderer = Renderer(read_base_template(base))
    encode = hf_encoder(load_tokenizer(base))
    examples, problems, duplicates = prepare(loaded.conversations, renderer, encode, cutoff=cutoff)
    lengths = [e.full_length for e in examples]
    return CheckReport(
        format=loaded.format,
        examples=len(examples),
        conversations=len(loaded.conversations),
        total_tokens=sum(len(e.input_ids) for e in examples),
        trained_tokens=sum(e.trained_tokens for e in examples),
        truncated=sum(e.truncated for e in examples),
        cutoff=cutoff,
        duplicates=duplicates,
        histogram=histogram(lengths, cutoff),
        errors=[i.to_dict() for i in (*loaded.skipped, *problems)],
        max_tokens=max(lengths, default=0),
    )


def histogram(lengths: Sequence[int], cutoff: int, bins: int = 8) -> list[dict[str, int]]:
    """Counts of example lengths in ``bins`` equal ranges up to the cutoff, plus one above it."""
    step = max(1, -(-cutoff // bins))
    out = [{"from": i * step, "to": min(cutoff, (i + 1) * step), "count": 0} for i in range(bins)]
    over = {"from": cutoff + 1, "to": max([cutoff + 1, *lengths]), "count": 0}
    for n in lengths:
        if n > cutoff:
            over["count"] += 1
        else:
            out[min(bins - 1, max(0, n - 1) // step)]["count"] += 1
    return [*out, over]
