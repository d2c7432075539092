"""Chat "Compare": the base and the fine-tuned model answer the same prompt side by side,
each in its own column with its own conversation (through the Ollama double)."""

from __future__ import annotations

import pytest

from engine.jobs import null_context
from engine.modelfile import Modelfile
from engine.ollama import RegisterSpec, register_job
from tests.desktop.test_chat_page import THINKING_TEMPLATE, _send


@pytest.fixture
def two_models(ollama_double, tiny_chat_gguf) -> tuple[str, str]:
    names = []
    for name in ("my-tuned", "qwen-base"):
        modelfile = Modelfile(from_path=str(tiny_chat_gguf[0]), template=THINKING_TEMPLATE,
                              parameters={"stop": ["<|im_end|>"]})  # fmt: skip
        result = register_job(RegisterSpec(gguf_path=tiny_chat_gguf[0], name=name,
                                           gguf_sha256=tiny_chat_gguf[1], modelfile=modelfile,
                                           host=ollama_double.url), null_context())  # fmt: skip
        names.append(result.name)
    return names[0], names[1]


def test_compare_asks_both_models_the_same_prompt(make_window, qtbot, ollama_double, two_models):
    tuned, base = two_models
    window = make_window(host=ollama_double.url)
    window.open_chat(tuned)
    chat = window.chat_page
    qtbot.waitUntil(lambda: chat.current_target() == ("ollama", tuned), timeout=10_000)
    assert not chat.compare.view.isVisibleTo(window) and not chat.comparing
    chat.compare_button.click()
    assert chat.comparing and chat.compare.view.isVisibleTo(window)
    assert chat.compare.picker.isVisibleTo(window)
    qtbot.waitUntil(lambda: chat.compare.picker.count() >= 2, timeout=10_000)
    chat.compare.picker.select_ollama(base)
    assert chat.compare_title.text() == "Compare with:" and chat.view_title.text() == tuned

    _send(qtbot, chat, "name a colour")
    assert not chat.send_button.isVisible() or chat.compare.job is None
    qtbot.waitUntil(lambda: chat.job is None and chat.compare.job is None, timeout=30_000)
    assert chat.view.bubbles[-1].text.text() == "You said: name a colour"
    answer = chat.compare.view.bubbles[-1]
    assert answer.text.text() == "You said: name a colour" and answer.author.text() == base
    assert "tokens" in answer.footer.text()
    calls = [c.body for c in ollama_double.calls("POST", "/api/chat")]
    assert sorted(c["model"] for c in calls) == sorted([tuned, base])
    assert all(c["messages"][-1] == {"role": "user", "content": "name a colour"} for c in calls)

    _send(qtbot, chat, "and another")
    qtbot.waitUntil(lambda: chat.job is None and chat.compare.job is None, timeout=30_000)
    base_calls = [
        c.body for c in ollama_double.calls("POST", "/api/chat") if c.body["model"] == base
    ]
    # each side keeps its own conversation: the base sees its own earlier answer
    assert [m["content"] for m in base_calls[-1]["messages"]] == [
        "name a colour", "You said: name a colour", "and another"]  # fmt: skip
    assert len(chat.compare.history) == 4

    chat.compare_button.click()  # off: only the chosen model answers again
    _send(qtbot, chat, "third")
    qtbot.waitUntil(lambda: chat.job is None, timeout=30_000)
    assert (
        len([c for c in ollama_double.calls("POST", "/api/chat") if c.body["model"] == base]) == 2
    )
    chat.clear()
    assert chat.compare.view.bubbles == [] and chat.compare.history == []
