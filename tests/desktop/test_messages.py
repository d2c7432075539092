"""What the user is told: invalid names, Ollama down (three ways), language switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.desktop.helpers import drop_path, visible_texts


def _open_error_dialogs() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def _close_dialogs() -> None:
    for box in _open_error_dialogs():
        box.done(0)


def _load(qtbot, window, path: Path) -> None:
    assert drop_path(window, path)
    qtbot.waitUntil(lambda: window.package_page.mode == "ready", timeout=60_000)


@pytest.fixture
def no_ollama_installed(monkeypatch):
    import engine.ollama
    import engine.ollama.client

    monkeypatch.setattr(engine.ollama, "find_ollama", lambda **_: None)
    monkeypatch.setattr(engine.ollama.client, "is_installed", lambda **_: False)


@pytest.fixture
def ollama_installed(monkeypatch, tmp_path):
    import engine.ollama
    import engine.ollama.client

    program = tmp_path / "ollama"
    monkeypatch.setattr(engine.ollama, "find_ollama", lambda **_: program)
    monkeypatch.setattr(engine.ollama.client, "is_installed", lambda **_: True)
    return program


def test_invalid_name_is_explained_and_blocks_create(
    make_window, qtbot, tiny_chat_gguf, ollama_double
):
    window = make_window(host=ollama_double.url)
    _load(qtbot, window, tiny_chat_gguf[0])
    page = window.package_page
    assert page.options.quant_combo.currentText().startswith("Keep as it is")

    page.options.name_edit.setText("我的模型")
    assert not page.create_button.isEnabled()
    assert page.options.name_edit.property("invalid") is True
    message = page.options.name_status.text()
    assert "'我'" in message and "ASCII" in message

    page.options.name_edit.setText("my model")
    assert "' '" in page.options.name_status.text()
    assert not page.create_button.isEnabled()

    page.options.name_edit.setText("my-model")
    page.options.tag_edit.setText("v1")
    assert page.create_button.isEnabled()
    assert page.options.name_edit.property("invalid") is False
    assert page.options.name_status.text() == "✓ Will be created in Ollama as my-model:v1"


def test_ollama_not_installed(make_window, qtbot, no_ollama_installed, tiny_chat_gguf, settings):
    window = make_window()  # nothing listens on the port
    status = window.ollama_status
    assert status.text.text() == "Ollama is not installed"
    assert status.action.text() == "Download Ollama" and status.action.isVisibleTo(window)

    _load(qtbot, window, tiny_chat_gguf[0])
    page = window.package_page
    assert "Ollama is not installed" in page.notice.text.text()
    page.options.name_edit.setText("down-test")
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    box = page.ask_box
    assert box is not None and box.isVisible()
    assert box.text().startswith("Ollama is not installed")
    assert "ollama.com/download" in box.informativeText()
    assert page.mode == "ready"  # nothing started yet

    # "Create files only": the GGUF and Modelfile are made, and the card says how to register.
    files_only = next(b for b in box.buttons() if b.text() == "Create files only")
    files_only.click()
    qtbot.waitUntil(lambda: page.mode not in ("ready", "running"), timeout=60_000)
    assert page.mode == "done", page.progress.log_line.text()
    outcome = page.outcome
    assert outcome.registered is False
    assert outcome.gguf_path.is_file() and outcome.modelfile_path.is_file()
    assert outcome.gguf_path.parent == settings.output_dir() / "down-test"
    assert page.result.title.text() == "down-test:latest was saved, but not registered in Ollama"
    assert "ollama create" in page.result.note.text()
    assert "--no-register" not in page.result.note.text()
    # nothing was uploaded or created: those steps say so, and are not green
    for key in ("upload", "create"):
        assert page.stages.state_of(key) == "skipped"
    row = next(s for s in page.stages._stages if s.key == "upload")
    assert page.stages.detail_text(row) == "skipped (files only)"
    assert page.stages.state_of("smoke") == ("done" if outcome.smoke_ok else "failed")
    assert page.result.command().startswith("ollama create down-test:latest -f ")
    qtbot.mouseClick(page.result.chat_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "chat"
    assert window.chat_page.current_target() == ("gguf", str(outcome.gguf_path))


def test_ollama_installed_but_stopped_offers_start(
    make_window, qtbot, ollama_installed, monkeypatch
):
    started: list[Path] = []
    monkeypatch.setattr("desktop.system.start_ollama", started.append)
    window = make_window()
    status = window.ollama_status
    assert status.text.text() == "Ollama is installed but not running"
    assert status.action.text() == "Start Ollama"
    qtbot.mouseClick(status.action, Qt.MouseButton.LeftButton)
    assert started == [ollama_installed]
    assert status.text.text() == "Starting Ollama…"

    window.go("models")
    notice = window.models_page.notice
    qtbot.waitUntil(lambda: notice.isVisibleTo(window), timeout=5000)
    assert "Ollama is not running" in notice.text.text()


def test_status_follows_ollama_coming_up(make_window, qtbot, make_ollama_double, settings):
    window = make_window()
    assert window.ollama_status.text.text() != "" and not window.monitor.running
    double = make_ollama_double()
    settings.update(ollama_host=double.url)  # the monitor polls the new address at once
    qtbot.waitUntil(lambda: window.monitor.running, timeout=10_000)
    assert (
        window.ollama_status.text.text()
        == f"Ollama 0.12.6 is running at {double.url.split('://')[1]}"
    )
    assert not window.ollama_status.action.isVisibleTo(window)


def test_language_switch_changes_visible_text(make_window, qtbot, settings, no_ollama_installed):
    window = make_window()
    english = visible_texts(window)
    assert "Fine-tune" in english and "Models" in english  # Fine-tune is the first page

    settings.update(language="zh_CN")
    qtbot.waitUntil(lambda: window.nav["package"].text() != "Package", timeout=5000)
    chinese = visible_texts(window)
    assert window.nav["package"].text() == "打包"
    assert window.nav["settings"].text() == "设置"
    assert window.package_page.title.text() == "打包模型"
    assert window.package_page.drop_zone.title.text() == "拖入模型文件夹、LoRA 适配器或 .gguf 文件"
    assert window.ollama_status.text.text() == "未安装 Ollama"
    untranslated = [
        t for t in chinese if t in english and t.isascii() and any(c.isalpha() for c in t)
    ]
    assert set(untranslated) <= {"Tuneforge", "v0.1.0"}, untranslated

    settings.update(language="en")
    qtbot.waitUntil(lambda: window.nav["package"].text() == "Package", timeout=5000)
    assert window.package_page.title.text() == "Package a model"
