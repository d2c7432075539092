"""The window: drops anywhere route to Package, navigation, themes, reveal-in-folder commands."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt

from desktop import system, theme
from tests.desktop.helpers import drop_path


def test_drop_anywhere_goes_to_package(make_window, qtbot, tiny_chat_gguf, ollama_double):
    window = make_window(host=ollama_double.url)
    window.go("settings")
    assert drop_path(window.settings_page.host_edit, tiny_chat_gguf[0])  # a text field takes it too
    assert window.current_page() == "package"
    qtbot.waitUntil(lambda: window.package_page.mode == "ready", timeout=60_000)
    assert window.package_page.prepared.report.kind == "gguf"
    assert window.settings_page.host_edit.text() == window.settings.values.ollama_host  # not pasted

    window.go("models")
    assert drop_path(window, tiny_chat_gguf[0])  # the window itself
    assert window.current_page() == "package"


def test_a_bad_drop_says_what_to_drop(make_window, qtbot, tmp_path, monkeypatch):
    shown: list[object] = []
    monkeypatch.setattr(
        "desktop.pages.package_page.error_dialog", lambda parent, title, err: shown.append(err)
    )
    window = make_window(start=False)
    folder = tmp_path / "随便 一个文件夹"
    folder.mkdir()
    (folder / "notes.txt").write_text("hi", encoding="utf-8")
    assert drop_path(window.package_page.drop_zone, folder)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown[0].message == "not a model folder"
    assert "config.json" in shown[0].hint
    assert window.package_page.mode == "empty"


def test_sidebar_navigation(make_window, qtbot):
    window = make_window(start=False)
    for key in ("models", "chat", "settings", "package"):
        qtbot.mouseClick(window.nav[key], Qt.MouseButton.LeftButton)
        assert window.current_page() == key
        assert window.nav[key].isChecked()


def test_dark_theme_recolours(make_window, qtbot, settings):
    window = make_window(start=False)
    light = window.palette().window().color().name()
    settings.update(theme="dark")
    assert theme.current_mode() == "dark"
    dark = window.palette().window().color().name()
    assert light != dark and dark == theme.tokens("dark")["window"].lower()


def test_reveal_command_per_os(monkeypatch, tmp_path):
    target = tmp_path / "模型 out" / "m.gguf"
    monkeypatch.setattr(sys, "platform", "win32")
    command = system.reveal_command(target)
    assert command[0] == "explorer" and command[1].startswith("/select,")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert system.reveal_command(target) == ["open", "-R", str(target)]
    monkeypatch.setattr(sys, "platform", "linux")
    assert system.reveal_command(target) == ["xdg-open", str(Path(target).parent)]
