"""Chat page: llama.cpp crashing in its child process shows a message and a restart button;
the window lives on and the restarted model answers."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt

from desktop import backend as desktop_backend

pytestmark = pytest.mark.slow


def _send(qtbot, chat, text: str) -> None:
    chat.input.setPlainText(text)
    qtbot.keyClick(chat.input, Qt.Key.Key_Return)


def test_crash_shows_message_and_restart_works(
    make_window, qtbot, ollama_double, tiny_chat_gguf, monkeypatch
):
    pytest.importorskip("llama_cpp")
    dialogs: list[object] = []
    monkeypatch.setattr(
        "desktop.pages.chat_page.error_dialog", lambda parent, title, err: dialogs.append(err)
    )
    monkeypatch.setenv("TUNEFORGE_TEST_CRASH", "abort")
    monkeypatch.setenv("TUNEFORGE_TEST_CRASH_AT", "generate")
    window = make_window(host=ollama_double.url)
    gguf = tiny_chat_gguf[0]
    window.open_local_chat(gguf)
    chat = window.chat_page
    _send(qtbot, chat, "hello")
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    assert not chat.crash_box.isHidden() and not dialogs
    text = chat.crash_label.text()
    assert "llama.cpp crashed" in text and gguf.name in text and "F16" in text
    assert "test crash requested: abort" in text  # the tail of the child's stderr
    if sys.platform != "win32":
        assert "SIGABRT" in text
    assert chat.input.toPlainText() == "hello" and chat.history == []
    assert chat.restart_button.isEnabled()

    monkeypatch.delenv("TUNEFORGE_TEST_CRASH")
    qtbot.mouseClick(chat.restart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    assert chat.crash_box.isHidden() and not dialogs
    loaded = list(desktop_backend._backends.values())  # the model runs again in a new child
    assert len(loaded) == 1 and loaded[0].alive and loaded[0].path == gguf
    _send(qtbot, chat, "hello")
    qtbot.waitUntil(lambda: chat.job is None, timeout=60_000)
    assert chat.history[-1]["content"] == "Hi!"
    assert not ollama_double.calls("POST", "/api/chat")
