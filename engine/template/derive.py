"""Derive an Ollama Go TEMPLATE from a model's own Jinja chat template, and prove it.

Order: known families (detected from the template's text), then a generic template built
from probe renders (placeholders per role and turn), each checked with
:func:`engine.template.parity.check_parity`. When no candidate is shown identical the
result has no Go template (``go_template=None``): the Modelfile then leaves TEMPLATE out
and Ollama ≥ 0.30 runs the GGUF's embedded Jinja template; a warning says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.template.errors import ChatTemplateError, GoRendererUnavailable, TemplateDerivationError
from engine.template.families import (
    PLACEHOLDERS,
    Family,
    Variant,
    build_family_template,
    detect_families,
    go_string_action,
    render_probe,
    text_to_go,
)
from engine.template.jinja_render import compile_chat_template
from engine.template.parity import ParityReport, check_parity
from engine.template.tokens import TemplateTokens

if TYPE_CHECKING:
    from engine.template.gorender import GoRenderer
    from engine.template.source import ChatTemplateSource

JINJA_FALLBACK = "jinja"
GENERIC = "generic"


@dataclass(frozen=True, kw_only=True)
class DerivedTemplate:
    """An Ollama template for a chat template, with what is known about it.

    ``go_template`` is None when no template could be shown equal (fallback to the
    GGUF's embedded Jinja template). ``leading_bos`` is the BOS text the Jinja template
    prints and the tokenizer adds by itself, so the Go template leaves it out.
    """

    go_template: str | None
    family: str
    variant: str
    stops: tuple[str, ...]
    thinking: bool
    warnings: tuple[str, ...] = ()
    thinking_tags: tuple[str, str] | None = None
    leading_bos: str | None = None
    parity: ParityReport | None = field(default=None, compare=False)

    @property
    def fallback(self) -> bool:
        return self.go_template is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "variant": self.variant,
            "go_template": self.go_template,
            "stops": list(self.stops),
            "thinking": self.thinking,
            "thinking_tags": list(self.thinking_tags) if self.thinking_tags else None,
            "leading_bos": self.leading_bos,
            "warnings": list(self.warnings),
            "parity": self.parity.to_dict() if self.parity else None,
        }


def _leading_bos(chat_template: str, tokens: TemplateTokens) -> tuple[str | None, str]:
    """(BOS left to the tokenizer, BOS the Go template must print itself)."""
    from engine.template.jinja_render import render_chat_template

    try:
        sample = render_chat_template(
            chat_template,
            [{"role": "user", "content": PLACEHOLDERS["$U1"]}],
            special_tokens=tokens.special_tokens_map(),
        )
    except ChatTemplateError:
        return None, ""
    if not tokens.bos_token or not sample.startswith(tokens.bos_token):
        return None, ""
    if tokens.tokenizer_adds_bos(sample):
        return tokens.bos_token, ""
    return None, tokens.bos_token


def _stops(markers: tuple[str, ...], tokens: TemplateTokens) -> tuple[str, ...]:
    out: list[str] = []
    for stop in (*markers, tokens.eos_token or "", *tokens.end_of_turn):
        if stop and stop not in out:
            out.append(stop)
    return tuple(out)


# ------------------------------------------------------------------ generic derivation

_PROBES: dict[str, list[tuple[str, str]]] = {
    "u": [("user", "$U1")],
    "uau": [("user", "$U1"), ("assistant", "$A1"), ("user", "$U2")],
    "su": [("system", "$S1"), ("user", "$U1")],
    "suau": [("system", "$S1"), ("user", "$U1"), ("assistant", "$A1"), ("user", "$U2")],
    "uauau": [
        ("user", "$U1"),
        ("assistant", "$A1"),
        ("user", "$U2"),
        ("assistant", "$A2"),
        ("user", "$U3"),
    ],
}


def _segments(text: str, turns: list[tuple[str, str]]) -> list[str]:
    """Split ``text`` around the placeholders of ``turns`` (which must appear in order)."""
    pieces = []
    pos = 0
    for _, content in turns:
        marker = PLACEHOLDERS[content]
        found = text.find(marker, pos)
        if found < 0:
            raise TemplateDerivationError(f"a probe message ({content}) is not printed in order")
        pieces.append(text[pos:found])
        pos = found + len(marker)
    pieces.append(text[pos:])
    return pieces


def _same(values: list[str], what: str) -> str:
    if len(set(values)) != 1:
        raise TemplateDerivationError(f"the text {what} changes from turn to turn")
    return values[0]


def generic_go_template(chat_template: str, tokens: TemplateTokens) -> tuple[str, tuple[str, ...]]:
    """A Go template from role prefixes/suffixes seen in probe renders; also its stop markers."""
    if "</think>" in chat_template or "reasoning_content" in chat_template:
        raise TemplateDerivationError("thinking templates need a known family")
    seg = {key: _segments(render_probe(chat_template, tokens, t), t) for key, t in _PROBES.items()}
    start_user = _same([seg["u"][0], seg["uau"][0], seg["uauau"][0]], "before the first user turn")
    end_user = _same(
        [seg["u"][1], seg["uau"][3], seg["su"][2], seg["suau"][4], seg["uauau"][5]],
        "after the last user turn",
    )
    user_to_assistant = _same(
        [seg["uau"][1], seg["suau"][2], seg["uauau"][1], seg["uauau"][3]],
        "between a user turn and the answer",
    )
    assistant_to_user = _same(
        [seg["uau"][2], seg["suau"][3], seg["uauau"][2], seg["uauau"][4]],
        "between an answer and the next user turn",
    )
    start_system = _same([seg["su"][0], seg["suau"][0]], "before the system prompt")
    system_to_user = _same([seg["su"][1], seg["suau"][1]], "after the system prompt")
    empty = render_probe(chat_template, tokens, [("system", ""), ("user", "$U1")])
    if empty == start_system + system_to_user + PLACEHOLDERS["$U1"] + end_user:
        skip_empty_system = False
    elif empty == start_user + PLACEHOLDERS["$U1"] + end_user:
        skip_empty_system = True
    else:
        raise TemplateDerivationError("an empty system message is printed in an unexpected way")

    body = (
        '{{- if eq $prev "" }}{{ if eq .Role "system" }}'
        + text_to_go(start_system)
        + "{{ else }}"
        + text_to_go(start_user)
        + '{{ end }}{{ else if eq $prev "system" }}'
        + text_to_go(system_to_user)
        + '{{ else if eq $prev "user" }}'
        + text_to_go(user_to_assistant)
        + "{{ else }}"
        + text_to_go(assistant_to_user)
        + "{{ end }}{{ .Content }}{{ $prev = .Role }}"
    )
    if skip_empty_system:
        body = '{{- if and (eq .Role "system") (not .Content) }}{{ else }}' + body + "{{ end }}"
    source = (
        '{{- $prev := "" }}{{- range .Messages }}'
        + body
        + "{{- end }}"
        + '{{- if and (ne $prev "assistant") (ne $prev "") }}'
        + text_to_go(end_user)
        + "{{ end }}"
    )
    markers = tuple(
        piece
        for piece in re.split(r"\s+", assistant_to_user.strip())
        if piece and re.search(r"[<>\[\]|]", piece)
    )
    return source, markers


# ------------------------------------------------------------------ the entry point


def derive_ollama_template(
    chat_template: str,
    *,
    bos_token: str | None = None,
    eos_token: str | None = None,
    add_bos_token: bool | None = None,
    special_tokens: Mapping[str, str] | None = None,
    end_of_turn: tuple[str, ...] = (),
    verify: bool = True,
    renderer: GoRenderer | None = None,
    now: datetime | None = None,
) -> DerivedTemplate:
    """Derive, verify and return the Ollama Go template for ``chat_template``.

    ``special_tokens`` may add ``pad_token``/``unk_token``…; ``end_of_turn`` adds stop
    tokens (e.g. generation_config's extra eos ids). With ``verify`` (the default) every
    candidate is checked with Go's text/template; without a Go renderer a known family is
    still returned (with a warning that parity was not run) but a generic one is not.
    """
    if not chat_template or not chat_template.strip():
        raise ChatTemplateError(
            "the model has no chat template",
            field="chat_template",
            hint="Add a chat_template to tokenizer_config.json (or the GGUF) — Tuneforge "
            "derives the Ollama template from it.",
        )
    compile_chat_template(chat_template)  # syntax errors surface here, clearly
    tokens = TemplateTokens(
        bos_token=bos_token,
        eos_token=eos_token,
        add_bos_token=add_bos_token,
        others={k: v for k, v in (special_tokens or {}).items() if v is not None},
        end_of_turn=end_of_turn,
    )
    leading_bos, printed_bos = _leading_bos(chat_template, tokens)
    warnings: list[str] = []
    unverified: ParityReport | None = None  # the report of a candidate shipped unchecked
    if verify and renderer is None:
        from engine.template.gorender import get_renderer

        try:
            renderer = get_renderer()
        except GoRendererUnavailable as exc:
            reason = f"Go renderer unavailable ({exc.message})"
            if exc.hint:
                reason = f"{reason}. To check: {exc.hint}"
            warnings.append(f"parity not checked: {reason}")
            unverified = ParityReport(status="not_run", cases=(), reason=reason)
            verify = False

    candidates: list[DerivedTemplate] = []
    for family, variant in detect_families(chat_template):
        try:
            candidates.append(
                _family_candidate(chat_template, tokens, family, variant, leading_bos, printed_bos)
            )
        except (TemplateDerivationError, ChatTemplateError) as exc:
            warnings.append(f"{variant.name}: {exc.message}")
    try:
        source, markers = generic_go_template(chat_template, tokens)
        candidates.append(
            DerivedTemplate(
                go_template=go_string_action(printed_bos) + source,
                family=GENERIC,
                variant=GENERIC,
                stops=_stops(markers, tokens),
                thinking=False,
                leading_bos=leading_bos,
            )
        )
    except (TemplateDerivationError, ChatTemplateError) as exc:
        warnings.append(f"generic derivation: {exc.message}")

    last_report: ParityReport | None = None
    for candidate in candidates:
        if not verify:
            if candidate.family == GENERIC:  # never shipped without proof
                continue
            return replace(candidate, warnings=tuple(warnings), parity=unverified)
        report = check_parity(chat_template, candidate, tokens=tokens, renderer=renderer, now=now)
        if report.status == "identical":
            return replace(candidate, parity=report, warnings=tuple(_kept(warnings, candidate)))
        last_report = report
        warnings.append(f"{candidate.variant}: {report.summary()}")

    warnings.append(
        "no Ollama template could be shown to match the chat template; the Modelfile has no "
        "TEMPLATE and Ollama (0.30 or newer) will use the Jinja template embedded in the GGUF "
        "(older Ollama versions cannot format this model's chats correctly)"
    )
    return DerivedTemplate(
        go_template=None,
        family=JINJA_FALLBACK,
        variant=JINJA_FALLBACK,
        stops=_stops((), tokens),
        thinking=False,
        warnings=tuple(warnings),
        leading_bos=leading_bos,
        parity=last_report
        or unverified
        or ParityReport(status="not_run", cases=(), reason="no candidate Go template"),
    )


def _kept(warnings: list[str], chosen: DerivedTemplate) -> list[str]:
    """Warnings worth keeping once a candidate passed: not the other candidates' failures."""
    notes = [w for w in warnings if w.startswith("parity not checked")]
    notes += chosen.warnings  # the family's caveats
    if chosen.family == GENERIC:
        notes.append(
            "the chat template is not one of the known families; the Ollama template was "
            "derived from probe renders and shown identical on the parity conversations"
        )
    return notes


def _family_candidate(
    chat_template: str,
    tokens: TemplateTokens,
    family: Family,
    variant: Variant,
    leading_bos: str | None,
    printed_bos: str,
) -> DerivedTemplate:
    source = build_family_template(chat_template, tokens, family, variant)
    return DerivedTemplate(
        go_template=go_string_action(printed_bos) + source,
        family=family.name,
        variant=variant.name,
        stops=_stops(family.stops, tokens),
        thinking=family.thinking_tags is not None,
        thinking_tags=family.thinking_tags,
        leading_bos=leading_bos,
        warnings=family.caveats,
    )


def derive_from_source(
    source: ChatTemplateSource, *, verify: bool = True, renderer: GoRenderer | None = None
) -> DerivedTemplate:
    """:func:`derive_ollama_template` for a template read by ``engine.template.source``."""
    return derive_ollama_template(
        source.chat_template,
        bos_token=source.tokens.bos_token,
        eos_token=source.tokens.eos_token,
        add_bos_token=source.tokens.add_bos_token,
        special_tokens=source.tokens.others,
        end_of_turn=source.tokens.end_of_turn,
        verify=verify,
        renderer=renderer,
    )
