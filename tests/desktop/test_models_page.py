"""Models page: the list, the details Ollama stored, delete with confirmation."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.jobs import null_context
from engine.modelfile import Modelfile
from engine.ollama import RegisterSpec, register_job


@pytest.fixture
def two_models(ollama_double, tiny_chat_gguf) -> list[str]:
    names = []
    for name in ("alpha:latest", "beta:v2"):
        result = register_job(
            RegisterSpec(
                gguf_path=tiny_chat_gguf[0],
                name=name,
                gguf_sha256=tiny_chat_gguf[1],
                modelfile=Modelfile(
                    from_path=str(tiny_chat_gguf[0]),
                    system="你是一个乐于助人的助手。",
                    parameters={"temperature": 0.3, "stop": ["<|im_end|>"]},
                ),
                host=ollama_double.url,
            ),
            null_context(),
        )
        names.append(result.name)
    return names


def test_list_details_and_delete(make_window, qtbot, ollama_double, two_models, monkeypatch):
    window = make_window(host=ollama_double.url)
    window.go("models")
    page = window.models_page
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    names = {page.table.item(r, 0).text() for r in range(2)}
    assert names == set(two_models)
    assert page.subtitle.text() == f"The models in Ollama at {ollama_double.url.split('://')[1]}."

    page.select("beta:v2")
    qtbot.waitUntil(
        lambda: page.details is not None and page.details.name == "beta:v2", timeout=10_000
    )
    assert "temperature" in page.views["parameters"].toPlainText()
    assert "你是一个乐于助人的助手。" in page.views["modelfile"].toPlainText()
    assert page.delete_button.isEnabled() and page.chat_button.isEnabled()

    asked: list[str] = []
    monkeypatch.setattr("desktop.widgets.dialogs.confirm", lambda *a: asked.append(a[2]) or False)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert asked == ["Delete beta:v2 from Ollama?"]
    assert not ollama_double.calls("DELETE", "/api/delete")  # said no

    monkeypatch.setattr("desktop.widgets.dialogs.confirm", lambda *a: True)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    assert page.table.item(0, 0).text() == "alpha:latest"
    assert [m.name for m in ollama_double.store.models.values()] == ["alpha:latest"]

    page.select("alpha:latest")
    qtbot.mouseClick(page.chat_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "chat"
    assert window.chat_page.current_target() == ("ollama", "alpha:latest")
