"""Conversations → token ids and labels, rendered with the base model's own chat template.

How an example is built (see README "Fine-tuning"): for each assistant turn ``i`` the prompt
``P`` is the template's rendering of the turns before it with the generation prompt, exactly
what the model sees at inference, and the answer is what the template renders after ``P``
for that turn: the text, the end-of-turn marker (``<|im_end|>``, ``<|eot_id|>`` …) and what
the template prints up to the next turn. Labels cover answers only (all assistant turns by
default; ``last_turn_only``; ``train_on_prompt`` learns everything).

When a template rewrites history (Qwen3 and DeepSeek-R1 drop earlier reasoning), later turns
do not continue the earlier text; each such turn then starts a new example whose prompt is
the history as the template renders it. Reasoning (``thinking``) goes where the template
puts it; when the generation prompt itself opens ``<think>`` and rendered answers drop the
reasoning (DeepSeek-R1-Distill), the answer is ``reasoning\\n</think>\\n\\n`` + the answer,
which is what such a model writes after its prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.template.conversations import thinking_style
from engine.template.jinja_render import render_chat_template
from engine.template.source import ChatTemplateSource
from engine.train.conversation import Conversation, Message

IGNORE = -100
# text → (token ids, (start, end) character offsets)
Encoder = Callable[[str], tuple[list[int], list[tuple[int, int]]]]


@dataclass(frozen=True, kw_only=True)
class Segment:
    text: str
    trained: bool
    turn_end: bool = False  # a whole turn ends here (cutoff may cut after it)


@dataclass(frozen=True, kw_only=True)
class Rendered:
    segments: tuple[Segment, ...]
    where: str

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True, kw_only=True)
class TokenizedExample:
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    where: str
    full_length: int  # tokens before the cutoff
    truncated: bool
    positions: tuple[int, ...] | None = None  # packed rows: position ids restart per example

    @property
    def trained_tokens(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


class Renderer:
    """Renders conversations with one model's template (``ChatTemplateSource``)."""

    def __init__(self, source: ChatTemplateSource) -> None:
        self.template = source.chat_template
        self.special = source.tokens.special_tokens_map()
        text = self.template
        self.style = thinking_style(text)
        self.knows_thinking = any(k in text for k in ("think", "reasoning"))
        self.has_switch = "enable_thinking" in text

    def _messages(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in messages:
            item: dict[str, Any] = {"role": m.role, "content": m.content}
            if m.thinking and (not self.knows_thinking or self.style == "inline"):
                item["content"] = f"<think>\n{m.thinking}\n</think>\n\n{m.content}"
            elif m.thinking:
                item["reasoning_content"] = m.thinking
            out.append(item)
        return out

    def render(self, messages: Sequence[Message], *, generation: bool, think: bool) -> str:
        return render_chat_template(
            self.template,
            self._messages(messages),
            special_tokens=self.special,
            add_generation_prompt=generation,
            extra_context={"enable_thinking": think} if self.has_switch else None,
        )

    def examples(self, conv: Conversation, *, last_turn_only: bool = False,
                 train_on_prompt: bool = False) -> list[Rendered]:  # fmt: skip
        """The examples one conversation gives (usually one; see the module docstring)."""
        msgs = conv.messages
        turns = [i for i, m in enumerate(msgs) if m.role == "assistant"]
        out: list[Rendered] = []
        segments: list[Segment] = []
        emitted = ""
        for k, i in enumerate(turns):
            learn = not last_turn_only or k == len(turns) - 1
            think = bool(msgs[i].thinking)
            prompt = self.render(msgs[:i], generation=True, think=think)
            full = self.render(msgs[: i + 1], generation=False, think=think)
            answer = _answer(prompt, full, msgs[i])
            if segments and prompt.startswith(emitted):
                head = prompt[len(emitted) :]
            else:
                if segments:
                    out.append(Rendered(segments=tuple(segments), where=conv.where))
                segments, head = [], prompt
            segments.append(Segment(text=head, trained=train_on_prompt))
            segments.append(Segment(text=answer, trained=learn or train_on_prompt, turn_end=True))
            emitted = prompt + answer
        if segments:
            out.append(Rendered(segments=tuple(segments), where=conv.where))
        return [r for r in out if any(s.trained and s.text for s in r.segments)]


def _answer(prompt: str, full: str, message: Message) -> str:
    """What the model writes after ``prompt`` for ``message``, as the template renders it."""
    if full.startswith(prompt):
        return full[len(prompt) :]
    common = 0
    for a, b in zip(prompt, full, strict=False):
        if a != b:
            break
        common += 1
    opened, tail = prompt[common:], full[common:]
    if message.thinking and opened.rstrip().endswith("<think>"):
        return f"{message.thinking}\n</think>\n\n{tail.lstrip(chr(10))}"
    return tail


def tokenize(rendered: Rendered, encode: Encoder, *, cutoff: int) -> TokenizedExample:
    """Token ids and labels; longer than ``cutoff`` → keep whole turns where possible."""
    text = rendered.text
    ids, offsets = encode(text)
    spans: list[tuple[int, int]] = []
    ends: list[int] = []
    pos = 0
    for seg in rendered.segments:
        if seg.trained and seg.text:
            spans.append((pos, pos + len(seg.text)))
        pos += len(seg.text)
        if seg.turn_end:
            ends.append(pos)
    labels = [
        tok if any(a <= start < b for a, b in spans) else IGNORE
        for tok, (start, _end) in zip(ids, offsets, strict=True)
    ]
    full = len(ids)
    keep = full
    if full > cutoff:
        token_ends = [sum(1 for s, _ in offsets if s < end) for end in ends]
        fitting = [n for n in token_ends if n <= cutoff and any(x != IGNORE for x in labels[:n])]
        keep = fitting[-1] if fitting else cutoff
    return TokenizedExample(
        input_ids=tuple(ids[:keep]),
        labels=tuple(labels[:keep]),
        where=rendered.where,
        full_length=full,
        truncated=keep < full,
    )


def hf_encoder(tokenizer: Any) -> Encoder:
    """An :data:`Encoder` over a transformers fast tokenizer (no special tokens added: the
    template prints them, like ``apply_chat_template`` does)."""

    def encode(text: str) -> tuple[list[int], list[tuple[int, int]]]:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]

    return encode


def load_tokenizer(base_dir: Any) -> Any:
    """The base model's tokenizer (transformers, fast); imported lazily."""
    from engine.train.stack import require_stack

    require_stack(need_torch=False)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(base_dir))
    if not getattr(tok, "is_fast", False):
        from engine.train.errors import TrainStackMissing

        raise TrainStackMissing(
            "the base model needs a fast tokenizer (tokenizer.json)", path=base_dir
        )
    return tok
