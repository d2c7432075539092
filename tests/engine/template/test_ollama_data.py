"""What Ollama does to a chat request before the template sees it (server/routes.go)."""

from __future__ import annotations

from engine.template import derive_ollama_template, render_chat_template
from engine.template.conversations import (
    Conversation,
    Turn,
    jinja_messages,
    ollama_chat_messages,
    ollama_request_messages,
    ollama_think,
)
from tests.engine.template.conftest import read_template

NOW = "2025-03-01T12:00:00"


def test_modelfile_system_only_when_the_request_has_none():
    user = [{"role": "user", "content": "hi"}]
    assert ollama_chat_messages(user, modelfile_system="S") == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "hi"},
    ]
    own = [{"role": "system", "content": "mine"}, {"role": "user", "content": "hi"}]
    assert ollama_chat_messages(own, modelfile_system="S") == own
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "ok"}]
    assert ollama_chat_messages(user, modelfile_system="S", modelfile_messages=history) == [
        {"role": "system", "content": "S"},
        *history,
        {"role": "user", "content": "hi"},
    ]


def test_think_defaults_on_for_thinking_models():
    assert ollama_think(None, thinking_capable=True) is True
    assert ollama_think(False, thinking_capable=True) is False
    assert ollama_think(None, thinking_capable=False) is None


def test_thinking_travels_as_its_own_field():
    conversation = Conversation(
        name="x",
        description="x",
        turns=(Turn(role="user", content="q"), Turn(role="assistant", content="a", thinking="t")),
    )
    assert ollama_request_messages(conversation)[1] == {
        "role": "assistant",
        "content": "a",
        "thinking": "t",
    }
    assert jinja_messages(conversation, "inline")[1]["content"] == "<think>t</think>a"
    assert jinja_messages(conversation, "reasoning_content")[1]["reasoning_content"] == "t"


def test_modelfile_system_renders_like_a_system_message(go_renderer):
    """A SYSTEM line reaches the template as a system message: same prompt as Jinja's."""
    template = read_template("Qwen-Qwen2.5-7B-Instruct.jinja")
    derived = derive_ollama_template(template, eos_token="<|im_end|>", renderer=go_renderer)
    request = [{"role": "user", "content": "你好"}]
    result = go_renderer.render(
        [
            {
                "template": derived.go_template,
                "messages": ollama_chat_messages(request, modelfile_system="你是助手。"),
                "now": NOW,
            }
        ]
    )[0]
    expected = render_chat_template(
        template, [{"role": "system", "content": "你是助手。"}, *request]
    )
    assert result.error is None and result.output == expected
