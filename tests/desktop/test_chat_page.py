"""Chat page: thinking shown apart and collapsible, stop, counts, Markdown export."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from desktop.pages.chat_page import conversation_markdown
from engine.jobs import null_context
from engine.modelfile import Modelfile
from engine.ollama import RegisterSpec, register_job

THINKING_TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n"
    '{{- if and (eq .Role "assistant") .Thinking }}<think>{{ .Thinking }}</think>{{ end }}'
    "{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
)


@pytest.fixture
def thinker(ollama_double, tiny_chat_gguf) -> str:
    result = register_job(
        RegisterSpec(
            gguf_path=tiny_chat_gguf[0],
            name="thinker",
            gguf_sha256=tiny_chat_gguf[1],
            modelfile=Modelfile(
                from_path=str(tiny_chat_gguf[0]),
                template=THINKING_TEMPLATE,
                parameters={"stop": ["<|im_end|>"]},
            ),
            host=ollama_double.url,
        ),
        null_context(),
    )
    return result.name


def _send(qtbot, chat, text: str) -> None:
    chat.input.setPlainText(text)
    qtbot.keyClick(chat.input, Qt.Key.Key_Return)  # Enter sends


def test_thinking_is_separate_and_collapses_when_the_answer_starts(
    make_window, qtbot, ollama_double, thinker
):
    window = make_window(host=ollama_double.url)
    window.open_chat(thinker)
    chat = window.chat_page
    qtbot.waitUntil(lambda: chat.current_target() == ("ollama", thinker), timeout=10_000)
    chat.system_edit.setText("Be brief.")
    _send(qtbot, chat, "why is the sky blue")
    assert chat.input.toPlainText() == ""
    qtbot.waitUntil(lambda: chat.job is None, timeout=20_000)

    bubble = chat.view.bubbles[-1]
    assert bubble.thinking.strip() == "Considering: why is the sky blue"
    assert bubble.text.text() == "You said: why is the sky blue"
    assert bubble.thinking_box.isVisibleTo(window) and not bubble.thinking_box.expanded
    bubble.thinking_box.header.click()
    assert bubble.thinking_label.isVisibleTo(window)
    assert "tokens" in bubble.footer.text()

    sent = ollama_double.calls("POST", "/api/chat")[-1].body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert chat.history[-1]["thinking"].strip() == "Considering: why is the sky blue"

    out = window.settings.output_dir() / "对话 chat.md"
    chat.export_to(out, model=thinker)
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# Chat with {thinker}")
    assert "<summary>Thinking</summary>" in text and "You said: why is the sky blue" in text

    qtbot.mouseClick(chat.clear_button, Qt.MouseButton.LeftButton)
    assert chat.history == [] and chat.view.bubbles == []


def test_stop_ends_the_reply_without_an_error(make_window, qtbot, ollama_double, thinker):
    ollama_double.faults.chat_first_chunk_delay = 3.0  # like a model that is still loading
    window = make_window(host=ollama_double.url)
    window.open_chat(thinker)
    chat = window.chat_page
    qtbot.waitUntil(lambda: chat.current_target() == ("ollama", thinker), timeout=10_000)
    _send(qtbot, chat, "hello")
    assert chat.stop_button.isVisibleTo(window) and not chat.send_button.isVisibleTo(window)
    qtbot.mouseClick(chat.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chat.job is None, timeout=10_000)
    assert chat.stats.text() == "Stopped."
    assert chat.send_button.isVisibleTo(window)
    assert [m["role"] for m in chat.history] == ["user"]  # nothing came back before the stop


def test_chat_error_puts_the_message_back(make_window, qtbot, ollama_double, monkeypatch):
    shown: list[object] = []
    monkeypatch.setattr(
        "desktop.pages.chat_page.error_dialog", lambda parent, title, err: shown.append(err)
    )
    window = make_window(host=ollama_double.url)
    window.open_chat("gone:latest")  # not in Ollama
    chat = window.chat_page
    _send(qtbot, chat, "anyone there?")
    qtbot.waitUntil(lambda: chat.job is None, timeout=10_000)
    assert shown and "gone" in shown[0].message
    assert chat.input.toPlainText() == "anyone there?"
    assert chat.history == [] and chat.view.bubbles == []


def test_markdown_export_format():
    text = conversation_markdown(
        model="m:latest",
        system="一句话回答",
        messages=[
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello", "thinking": "greet"},
        ],
        when=datetime(2025, 3, 1, 14, 5),
    )
    assert text == (
        "# Chat with m:latest\n\n_2025-03-01 14:05_\n\n**System prompt:**\n\n> 一句话回答\n\n"
        "### You\n\nhi\n\n### m:latest\n\n<details><summary>Thinking</summary>\n\ngreet\n\n</details>\n\nhello\n"
    )


def test_local_gguf_chats_in_process_and_stays_selected(
    make_window, qtbot, ollama_double, thinker, tiny_chat_gguf
):
    window = make_window(host=ollama_double.url)
    gguf = tiny_chat_gguf[0]
    window.open_local_chat(gguf)
    chat = window.chat_page
    assert chat.current_target() == ("gguf", str(gguf))
    chat.refresh_models()  # the Ollama list arrives: the local GGUF stays chosen
    qtbot.waitUntil(
        lambda: chat._list_job is None and chat.model_combo.count() >= 2, timeout=10_000
    )
    assert chat.current_target() == ("gguf", str(gguf))
    assert chat.model_combo.currentText() == f"{gguf.name} (local GGUF)"

    _send(qtbot, chat, "hello")
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    assert chat.history[-1]["content"] == "Hi!"  # llama.cpp ran the GGUF in this process
    assert not ollama_double.calls("POST", "/api/chat")
