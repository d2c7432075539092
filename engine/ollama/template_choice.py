"""Which chat template Ollama will run: the Go TEMPLATE we send, or the GGUF's own Jinja.

Before 0.30 Ollama always renders the Go ``TEMPLATE`` (its default ``{{ .Prompt }}`` when
none was sent). From 0.30 on, llama.cpp's llama-server runs every GGUF and Ollama
compares the capabilities (tools, thinking) of the Go template with those of the GGUF's
``tokenizer.chat_template``: the richer one wins, and ``/api/show`` then returns the
Jinja text as ``template``. Followed from Ollama v0.32.15, ``server/images.go``
(``shouldPreferChatTemplate``, ``chatTemplateCapabilities``, ``goTemplateCapabilities``,
``chatTemplateHasToolRoundTrip``, ``goTemplateHasToolRoundTrip``) and
``server/routes.go`` (``shouldUseGoTemplate``, ``selectedModelTemplate``).

So on 0.30+ a Go template is sent only where Ollama would use it; what really runs is
read back from ``/api/show`` after the create, never assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.ollama.versions import at_least

# The first release in which llama-server runs GGUF models (and may pick the Jinja).
LLAMA_SERVER_SINCE = "0.30.0"

_ACTION = re.compile(r"{{(.*?)}}", re.S)
_FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")
_TOOL_ROLE = (
    "role'] == 'tool'",
    'role\'] == "tool"',
    "role\"] == 'tool'",
    'role"] == "tool"',
    "message.role == 'tool'",
    'message.role == "tool"',
    "ipython",
)

JINJA = "jinja"  # the GGUF's own chat template, rendered by llama.cpp
GO = "go"  # the Go TEMPLATE we sent
DEFAULT = "default"  # no usable template: Ollama's {{ .Prompt }}


def _go_fields(go_template: str) -> set[str]:
    """Ollama's ``template.Vars``: the lower-cased field names the actions use."""
    return {n.lower() for a in _ACTION.findall(go_template) for n in _FIELD.findall(a)}


def go_capabilities(go_template: str) -> frozenset[str]:
    fields = _go_fields(go_template)
    caps = set()
    if "tools" in fields:
        caps.add("tools")
    if "suffix" in fields:
        caps.add("insert")
    # thinking.InferTags: .Thinking inside the messages loop, between tags
    if "thinking" in fields and "<think>" in go_template and "</think>" in go_template:
        caps.add("thinking")
    return frozenset(caps)


def jinja_capabilities(chat_template: str) -> frozenset[str]:
    caps = set()
    if "tools" in chat_template or "tool_call" in chat_template:
        caps.add("tools")
    if ("<think>" in chat_template and "</think>" in chat_template) or (
        (
            "content.split('</think>')" in chat_template
            or 'content.split("</think>")' in chat_template
        )
        and "reasoning_content" not in chat_template
        and "<SPECIAL_12>" not in chat_template
    ):
        caps.add("thinking")
    return frozenset(caps)


def _go_round_trip(go_template: str) -> bool:
    fields = _go_fields(go_template)
    return (
        "tools" in fields
        and "toolcalls" in fields
        and any(s in go_template for s in ('eq .Role "tool"', "tool_response", "TOOL_RESULTS"))
    )


def _jinja_round_trip(chat_template: str) -> bool:
    if "tools" not in jinja_capabilities(chat_template):
        return False
    calls = "tool_calls" in chat_template or "assistant_tool_call" in chat_template
    return calls and (
        "tool_response" in chat_template
        or "tool_results" in chat_template
        or any(s in chat_template for s in _TOOL_ROLE)
    )


def ollama_prefers_jinja(*, chat_template: str, go_template: str) -> bool:
    """Ollama ≥ 0.30's ``shouldPreferChatTemplate``."""
    if not chat_template:
        return False
    jinja, go = jinja_capabilities(chat_template), go_capabilities(go_template)
    if len(jinja) > len(go):
        return not _go_round_trip(go_template) or _jinja_round_trip(chat_template)
    if jinja != go or "tools" not in jinja:
        return False
    return _jinja_round_trip(chat_template) and not _go_round_trip(go_template)


def renders_jinja(server_version: str) -> bool:
    return at_least(server_version, LLAMA_SERVER_SINCE)


@dataclass(frozen=True, kw_only=True)
class TemplatePlan:
    """Whether to send the Go TEMPLATE at create, and why (one sentence for the log)."""

    send_go_template: bool
    reason: str


def plan_template(
    *, server_version: str, go_template: str | None, chat_template: str | None
) -> TemplatePlan:
    if not go_template:
        return TemplatePlan(send_go_template=False, reason="there is no derived Go template")
    if not renders_jinja(server_version):
        return TemplatePlan(
            send_go_template=True,
            reason=f"Ollama {server_version} renders the Go template we send",
        )
    if not chat_template:
        return TemplatePlan(
            send_go_template=True, reason="the GGUF has no chat template of its own"
        )
    if ollama_prefers_jinja(chat_template=chat_template, go_template=go_template):
        jinja = ", ".join(sorted(jinja_capabilities(chat_template))) or "none"
        go = ", ".join(sorted(go_capabilities(go_template))) or "none"
        return TemplatePlan(
            send_go_template=False,
            reason=(
                f"Ollama {server_version} would render the model's own chat template "
                f"(capabilities: {jinja}; the Go template's: {go}), so none is sent"
            ),
        )
    return TemplatePlan(
        send_go_template=True,
        reason=f"Ollama {server_version} keeps the Go template (same capabilities)",
    )


@dataclass(frozen=True, kw_only=True)
class TemplateInUse:
    """What Ollama really runs, read back from ``/api/show`` after the create.

    ``source``: :data:`JINJA`, :data:`GO` or :data:`DEFAULT`; ``summary``: one sentence."""

    source: str
    summary: str
    server_version: str
    go_template_sent: bool
    proven: bool  # GO: the derived template passed the parity check

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "summary": self.summary,
            "server_version": self.server_version,
            "go_template_sent": self.go_template_sent,
            "proven": self.proven,
        }


def template_in_use(
    *,
    server_version: str,
    shown_template: str,
    sent_go_template: str | None,
    chat_template: str | None,
    proven: bool,
) -> TemplateInUse:
    """``shown_template``: ``/api/show``'s ``template`` for the new model."""
    shown = shown_template.strip()
    if renders_jinja(server_version) and chat_template and shown == chat_template.strip():
        source, summary = JINJA, "Ollama uses the model's own chat template (rendered by llama.cpp)"
        proven = True
    elif sent_go_template and shown == sent_go_template.strip():
        source = GO
        summary = (
            "Ollama uses the derived Go template (proven identical)"
            if proven
            else "Ollama uses the derived Go template (NOT proven identical to the model's own)"
        )
    else:
        source, proven = DEFAULT, False
        summary = (
            "Ollama uses a template Tuneforge did not send "
            f"({shown[:60]!r}): chats may be formatted wrongly"
        )
    return TemplateInUse(
        source=source,
        summary=summary,
        server_version=server_version,
        go_template_sent=bool(sent_go_template),
        proven=proven,
    )
