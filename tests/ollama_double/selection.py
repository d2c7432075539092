"""Which template a model runs with, and its capabilities: Ollama before and after 0.30.

**Before 0.30** (0.12-like): Ollama's own runner renders the Go ``TEMPLATE`` (the default
``{{ .Prompt }}`` when none was sent); capabilities come from that template only
(``server/images.go`` Capabilities at v0.12.6).

**From 0.30 on** (llama.cpp's llama-server runs every GGUF): the Go template's
capabilities are compared with those of the GGUF's embedded Jinja
``tokenizer.chat_template`` and the richer one wins. Followed from
``server/images.go`` (GetModel → ``shouldPreferChatTemplate``, ``chatTemplateCapabilities``,
``chatTemplateHasToolSupport``, ``chatTemplateHasToolRoundTrip``,
``chatTemplateHasThinkingSupport``, ``goTemplateCapabilities``,
``goTemplateHasToolRoundTrip``, ``selectedTemplateSource``) and ``server/routes.go``
(``shouldUseGoTemplate``, ``chatModeForModel``, ``selectedModelTemplate``: in "native"
mode ``/api/show`` answers the Jinja text as ``template``), read at Ollama v0.32.15
(commit fb30760). ``OLLAMA_GO_TEMPLATE`` (``envconfig/config.go``): set to true it forces
the Go template, set to false it forbids it; unset, the comparison decides.

Guess: Go's ``template.Vars`` walks the parsed template (``template/template.go``); here a
field reference ``.Name`` anywhere in an action counts, and thinking is "``.Thinking``
inside ``range .Messages`` with tags around it" (``thinking/template.go`` InferTags)
reduced to "the template has ``.Thinking`` and ``<think>``".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LLAMA_SERVER_SINCE = (0, 30, 0)
GO_TEMPLATE = "go_template"
GGUF_CHAT_TEMPLATE = "gguf_chat_template"
NONE = "none"

_ACTION = re.compile(r"{{(.*?)}}", re.S)
_FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")
_THINKING_SPLIT = ("content.split('</think>')", 'content.split("</think>")')
_TOOL_ROLE = (
    "role'] == 'tool'",
    'role\'] == "tool"',
    "role\"] == 'tool'",
    'role"] == "tool"',
    "message.role == 'tool'",
    'message.role == "tool"',
    "ipython",
)


def go_vars(template: str) -> set[str]:
    """template.Vars: lower-cased field names used in actions."""
    return {name.lower() for action in _ACTION.findall(template) for name in _FIELD.findall(action)}


def go_capabilities(template: str) -> list[str]:
    """goTemplateCapabilities (no "completion": the GGUF adds that)."""
    caps: list[str] = []
    names = go_vars(template)
    if "tools" in names:
        caps.append("tools")
    if "suffix" in names:
        caps.append("insert")
    if "thinking" in names and "<think>" in template and "</think>" in template:
        caps.append("thinking")
    return caps


def go_has_tool_round_trip(template: str) -> bool:
    names = go_vars(template)
    if "tools" not in names or "toolcalls" not in names:
        return False
    return any(s in template for s in ('eq .Role "tool"', "tool_response", "TOOL_RESULTS"))


def jinja_has_tools(chat_template: str) -> bool:
    return "tools" in chat_template or "tool_call" in chat_template


def jinja_has_tool_round_trip(chat_template: str) -> bool:
    if not jinja_has_tools(chat_template):
        return False
    calls = "tool_calls" in chat_template or "assistant_tool_call" in chat_template
    return calls and (
        "tool_response" in chat_template
        or "tool_results" in chat_template
        or any(s in chat_template for s in _TOOL_ROLE)
    )


def jinja_has_thinking(chat_template: str) -> bool:
    if "<think>" in chat_template and "</think>" in chat_template:
        return True
    return (
        any(s in chat_template for s in _THINKING_SPLIT)
        and "reasoning_content" not in chat_template
        and "<SPECIAL_12>" not in chat_template
    )


def jinja_capabilities(chat_template: str) -> list[str]:
    """chatTemplateCapabilities."""
    if not chat_template:
        return []
    caps: list[str] = []
    if jinja_has_tools(chat_template):
        caps.append("tools")
    if jinja_has_thinking(chat_template):
        caps.append("thinking")
    return caps


def prefer_chat_template(chat_template: str, go_template: str) -> bool:
    """shouldPreferChatTemplate: more capabilities win (unless only the Go template can
    round-trip tool results); with equal tool-capable sets the round-tripping one wins."""
    jinja_caps = jinja_capabilities(chat_template)
    go_caps = go_capabilities(go_template)
    if len(jinja_caps) > len(go_caps):
        return not go_has_tool_round_trip(go_template) or jinja_has_tool_round_trip(chat_template)
    if set(jinja_caps) != set(go_caps) or "tools" not in jinja_caps:
        return False
    return jinja_has_tool_round_trip(chat_template) and not go_has_tool_round_trip(go_template)


@dataclass(frozen=True)
class Selection:
    source: str  # GO_TEMPLATE, GGUF_CHAT_TEMPLATE or NONE (selectedTemplateSource)
    shown_template: str  # what /api/show answers as "template"
    capabilities: list[str]  # what /api/show answers as "capabilities"


def select(
    *,
    version: tuple[int, ...],
    go_template: str,
    chat_template: str,
    default_template: str,
    go_template_env: bool | None,
) -> Selection:
    """``go_template``: the TEMPLATE sent at create ("" = none); ``chat_template``: the
    GGUF's ``tokenizer.chat_template`` ("" = none)."""
    if version < LLAMA_SERVER_SINCE:
        shown = go_template or default_template
        return Selection(GO_TEMPLATE, shown, ["completion", *go_capabilities(shown)])
    has_go = bool(go_template)
    if not has_go:
        use_go = False
    elif go_template_env is not None:
        use_go = go_template_env
    else:
        use_go = not (chat_template and prefer_chat_template(chat_template, go_template))
    if use_go:
        return Selection(GO_TEMPLATE, go_template, ["completion", *go_capabilities(go_template)])
    if chat_template:
        # ggufCapabilities: the Jinja's capabilities, then "completion"
        caps = [*jinja_capabilities(chat_template), "completion"]
        return Selection(GGUF_CHAT_TEMPLATE, chat_template, caps)
    # ModelPath with no chat template and no (usable) Go template: the default template
    shown = go_template or default_template
    return Selection(NONE, shown, ["completion"])
