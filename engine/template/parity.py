"""Prove that an Ollama Go template prints what the model's Jinja chat template prints.

Each conversation of :data:`PARITY_CONVERSATIONS` is rendered twice: with the Jinja
template (as transformers would, ``add_generation_prompt=True``) and with the Go template
run by Go's real ``text/template`` on the data Ollama would build from the same chat
request. The two prompts must be identical, except for a leading BOS that the tokenizer
adds by itself on the Ollama side (llama.cpp adds BOS when the GGUF says so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from engine.template.conversations import (
    PARITY_CONVERSATIONS,
    Conversation,
    jinja_messages,
    ollama_chat_messages,
    ollama_request_messages,
    ollama_think,
    thinking_style,
)
from engine.template.errors import ChatTemplateError, GoRendererFailed, GoRendererUnavailable
from engine.template.jinja_render import render_chat_template
from engine.template.tokens import TemplateTokens

if TYPE_CHECKING:
    from engine.template.derive import DerivedTemplate
    from engine.template.gorender import GoRenderer

CaseStatus = Literal["identical", "different", "not_applicable", "error"]
ReportStatus = Literal["identical", "different", "not_run"]


@dataclass(frozen=True, kw_only=True)
class CaseResult:
    name: str
    description: str
    status: CaseStatus
    jinja_output: str | None = None
    go_output: str | None = None
    difference: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class ParityReport:
    status: ReportStatus
    cases: tuple[CaseResult, ...]
    first_difference: str | None = None
    reason: str | None = None
    thinking_tags: tuple[str, str] | None = None  # what Ollama's InferTags finds

    @property
    def identical(self) -> bool:
        return self.status == "identical"

    def summary(self) -> str:
        checked = [c for c in self.cases if c.status != "not_applicable"]
        if self.status == "identical":
            return f"identical on {len(checked)} conversations (Go text/template)"
        if self.status == "not_run":
            return f"not run: {self.reason}"
        return f"different: {self.first_difference}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "summary": self.summary(),
            "first_difference": self.first_difference,
            "reason": self.reason,
            "thinking_tags": list(self.thinking_tags) if self.thinking_tags else None,
            "cases": [c.to_dict() for c in self.cases],
        }


def describe_difference(expected: str, actual: str, *, case: str) -> str:
    """Where two prompts first differ, with a little context from both sides."""
    limit = min(len(expected), len(actual))
    pos = next((i for i in range(limit) if expected[i] != actual[i]), limit)
    line = expected.count("\n", 0, pos) + 1
    column = pos - (expected.rfind("\n", 0, pos) + 1) + 1
    start = max(0, pos - 30)
    return (
        f"{case}: first difference at character {pos} (line {line}, column {column}): "
        f"Jinja {expected[start : pos + 30]!r} vs Go {actual[start : pos + 30]!r}"
    )


def _applicable(
    conversation: Conversation, chat_template: str, derived: DerivedTemplate
) -> str | None:
    """Why a case does not apply to this template, or None when it does."""
    if "thinking" in conversation.needs and not derived.thinking:
        return "the Ollama template has no thinking (Ollama refuses `think` for it)"
    if "tools" in conversation.needs:
        if not derived.go_template or ".Tools" not in derived.go_template:
            return "the Ollama template has no tools support (Ollama refuses tool requests)"
        if "tools" not in chat_template:
            return "the chat template has no tools"
    return None


def check_parity(
    chat_template: str,
    derived: DerivedTemplate,
    *,
    tokens: TemplateTokens | None = None,
    special_tokens: Mapping[str, str | None] | None = None,
    conversations: Sequence[Conversation] = PARITY_CONVERSATIONS,
    now: datetime | None = None,
    renderer: GoRenderer | None = None,
) -> ParityReport:
    """Render every conversation both ways and compare (see the module docstring).

    The Jinja side gets ``tokens`` (or plain ``special_tokens`` such as ``bos_token``/
    ``eos_token``); a leading BOS named by ``derived.leading_bos`` is left to the tokenizer.
    """
    if tokens is None:
        extra = {k: v for k, v in (special_tokens or {}).items() if v is not None}
        tokens = TemplateTokens(
            bos_token=extra.pop("bos_token", None),
            eos_token=extra.pop("eos_token", None),
            others=extra,
        )
    if not derived.go_template:
        return ParityReport(
            status="not_run",
            cases=(),
            reason="no Go template was derived; Ollama is left with the GGUF's Jinja template",
        )
    if renderer is None:
        from engine.template.gorender import get_renderer

        try:
            renderer = get_renderer()
        except GoRendererUnavailable as exc:
            return ParityReport(
                status="not_run", cases=(), reason=f"Go renderer unavailable ({exc.message})"
            )
    now = (now or datetime.now()).replace(microsecond=0)
    style = thinking_style(chat_template)

    prepared: list[tuple[Conversation, str | None, str | None]] = []  # (conv, jinja, skip note)
    jobs: list[dict[str, Any]] = []
    for conversation in conversations:
        skip = _applicable(conversation, chat_template, derived)
        if skip is not None:
            prepared.append((conversation, None, skip))
            continue
        think = ollama_think(
            conversation.think if derived.thinking else None, thinking_capable=derived.thinking
        )
        context = {"enable_thinking": think} if think is not None else {}
        try:
            expected = render_chat_template(
                chat_template,
                jinja_messages(conversation, style),
                special_tokens=tokens.special_tokens_map(),
                tools=list(conversation.tools) if conversation.tools else None,
                extra_context=context,
                strftime_now=now.strftime,
            )
        except ChatTemplateError as exc:
            prepared.append((conversation, None, f"the Jinja template rejects it: {exc.message}"))
            continue
        if derived.leading_bos and expected.startswith(derived.leading_bos):
            expected = expected[len(derived.leading_bos) :]
        prepared.append((conversation, expected, None))
        jobs.append(
            {
                "template": derived.go_template,
                "messages": ollama_chat_messages(ollama_request_messages(conversation)),
                "tools": [dict(t) for t in conversation.tools] if conversation.tools else None,
                "think": think,
                "now": now.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        )

    try:
        results = iter(renderer.render(jobs) if jobs else [])
    except GoRendererFailed as exc:
        return ParityReport(status="not_run", cases=(), reason=exc.message)

    cases: list[CaseResult] = []
    tags: tuple[str, str] | None = None
    for conversation, jinja_text, skip_note in prepared:
        if jinja_text is None:
            cases.append(
                CaseResult(
                    name=conversation.name,
                    description=conversation.description,
                    status="not_applicable",
                    note=skip_note,
                )
            )
            continue
        result = next(results)
        tags = (result.thinking_open, result.thinking_close)
        if result.error:
            cases.append(
                CaseResult(
                    name=conversation.name,
                    description=conversation.description,
                    status="error",
                    jinja_output=jinja_text,
                    difference=f"{conversation.name}: Go template error: {result.error}",
                )
            )
            continue
        same = result.output == jinja_text
        cases.append(
            CaseResult(
                name=conversation.name,
                description=conversation.description,
                status="identical" if same else "different",
                jinja_output=jinja_text,
                go_output=result.output,
                difference=None
                if same
                else describe_difference(jinja_text, result.output, case=conversation.name),
            )
        )

    first = next((c.difference for c in cases if c.difference), None)
    if first is None and derived.thinking and not (tags and all(tags)):
        first = "Ollama would not recognise thinking: .Thinking is not between literal tags"
    checked = [c for c in cases if c.status != "not_applicable"]
    if not checked:
        return ParityReport(
            status="not_run", cases=tuple(cases), reason="no conversation applies to this template"
        )
    return ParityReport(
        status="identical" if first is None else "different",
        cases=tuple(cases),
        first_difference=first,
        thinking_tags=tags if tags and all(tags) else None,
    )
