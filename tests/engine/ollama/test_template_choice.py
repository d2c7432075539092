"""Which template Ollama runs (engine.ollama.template_choice), on Ollama's own rules
(server/images.go shouldPreferChatTemplate at v0.32.15), checked against the double."""

from __future__ import annotations

import pytest

from engine.ollama.template_choice import (
    DEFAULT,
    GO,
    JINJA,
    go_capabilities,
    jinja_capabilities,
    ollama_prefers_jinja,
    plan_template,
    template_in_use,
)
from tests.ollama_double import selection
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE, CHATML_TEMPLATE

TOOLS_JINJA = "{% if tools %}{{ tools }}{% endif %}" + CHATML_TEMPLATE
ROUND_TRIP_JINJA = (
    TOOLS_JINJA
    + "{% for m in messages %}{{ m.tool_calls }}{% if m.role == 'tool' %}<tool_response>{% endif %}{% endfor %}"
)
THINK_JINJA = CHATML_TEMPLATE + "<think></think>"
GO_TOOLS = "{{ if .Tools }}{{ .Tools }}{{ end }}" + CHATML_GO_TEMPLATE
GO_ROUND_TRIP = (
    GO_TOOLS + '{{ range .Messages }}{{ .ToolCalls }}{{ if eq .Role "tool" }}x{{ end }}{{ end }}'
)
GO_THINK = "{{ range .Messages }}<think>{{ .Thinking }}</think>{{ end }}"


def test_capabilities():
    assert jinja_capabilities(TOOLS_JINJA) == {"tools"}
    assert jinja_capabilities(THINK_JINJA) == {"thinking"}
    assert jinja_capabilities("{{ content.split('</think>')[-1] }}") == {"thinking"}
    assert go_capabilities(GO_TOOLS) == {"tools"}
    assert go_capabilities(GO_THINK) == {"thinking"}
    assert go_capabilities("{{ .Prompt }}{{ .Suffix }}") == {"insert"}


CASES = [
    (CHATML_TEMPLATE, CHATML_GO_TEMPLATE, False),  # equal (none)
    (TOOLS_JINJA, CHATML_GO_TEMPLATE, True),  # the Jinja has more
    (TOOLS_JINJA, GO_TOOLS, False),  # equal, neither round-trips
    (ROUND_TRIP_JINJA, GO_TOOLS, True),  # equal, only the Jinja takes tool results back
    (ROUND_TRIP_JINJA, GO_ROUND_TRIP, False),  # equal, both do
    # more (tools + thinking), but only the Go template takes tool results back: Go stays
    (THINK_JINJA + TOOLS_JINJA, GO_ROUND_TRIP, False),
    (THINK_JINJA + ROUND_TRIP_JINJA, GO_ROUND_TRIP, True),  # more, and both round-trip
    (CHATML_TEMPLATE, GO_TOOLS, False),  # the Go template has more
]


@pytest.mark.parametrize(("jinja", "go", "prefers_jinja"), CASES)
def test_same_rule_as_the_double(jinja, go, prefers_jinja):
    assert ollama_prefers_jinja(chat_template=jinja, go_template=go) is prefers_jinja
    assert selection.prefer_chat_template(jinja, go) is prefers_jinja


def test_plan():
    old = plan_template(server_version="0.12.6", go_template=GO_TOOLS, chat_template=TOOLS_JINJA)
    assert old.send_go_template
    new = plan_template(
        server_version="0.32.15", go_template=CHATML_GO_TEMPLATE, chat_template=TOOLS_JINJA
    )
    assert not new.send_go_template and "capabilities: tools" in new.reason
    same = plan_template(
        server_version="0.30.0", go_template=CHATML_GO_TEMPLATE, chat_template=CHATML_TEMPLATE
    )
    assert same.send_go_template
    none = plan_template(server_version="0.32.15", go_template=None, chat_template=TOOLS_JINJA)
    assert not none.send_go_template


def test_in_use_from_the_read_back():
    jinja = template_in_use(
        server_version="0.32.15",
        shown_template=TOOLS_JINJA,
        sent_go_template=None,
        chat_template=TOOLS_JINJA,
        proven=False,
    )
    assert jinja.source == JINJA and "model's own chat template" in jinja.summary
    go = template_in_use(
        server_version="0.12.6",
        shown_template=CHATML_GO_TEMPLATE,
        sent_go_template=CHATML_GO_TEMPLATE,
        chat_template=CHATML_TEMPLATE,
        proven=True,
    )
    assert go.source == GO and go.summary.endswith("(proven identical)")
    unproven = template_in_use(
        server_version="0.12.6",
        shown_template=CHATML_GO_TEMPLATE,
        sent_go_template=CHATML_GO_TEMPLATE,
        chat_template=CHATML_TEMPLATE,
        proven=False,
    )
    assert "NOT proven" in unproven.summary
    # an old server shows its default when no template was sent: chats will be wrong
    default = template_in_use(
        server_version="0.12.6",
        shown_template="{{ .Prompt }}",
        sent_go_template=None,
        chat_template=CHATML_TEMPLATE,
        proven=False,
    )
    assert default.source == DEFAULT and "did not send" in default.summary
