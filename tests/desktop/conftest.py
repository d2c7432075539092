"""Desktop tests: pytest-qt on the offscreen platform, each test with its own settings file."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Before any Qt import: no display, and a 1920×1080 screen (the default offscreen screen is
# 800×600, smaller than the window). Qt reads the configfile path as Latin-1 and splits the
# option at ":", so a clone under "Tuneforge 测试" or "C:\\" cannot be named there: the
# config is copied to a plain-ASCII temp path first (no config file if none is available).
_SCREEN = Path(__file__).with_name("offscreen_screen.json")


def _ascii_copy(source: Path) -> Path | None:
    for folder in (tempfile.gettempdir(), "/tmp"):
        if not folder.isascii() or ":" in folder or " " in folder:
            continue
        target = Path(folder) / f"tuneforge-offscreen-{os.getpid()}.json"
        try:
            shutil.copyfile(source, target)
        except OSError:
            continue
        atexit.register(target.unlink, missing_ok=True)
        return target
    return None


def _offscreen_platform() -> str:
    config = _SCREEN if str(_SCREEN).isascii() and ":" not in str(_SCREEN) else None
    config = config or _ascii_copy(_SCREEN)
    if config is None or ":" in str(config):
        return "offscreen"
    return f"offscreen:configfile={config}"


if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = _offscreen_platform()

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests.ollama_double.fixtures import *  # noqa: E402, F403

CLOSED_PORT_HOST = "127.0.0.1:9"  # discard port: nothing listens there


@pytest.fixture
def config_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "配置 folder"
    monkeypatch.setenv("TUNEFORGE_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def settings(config_dir, tmp_path):
    from desktop.settings import SettingsStore

    store = SettingsStore()
    store.update(output_dir=str(tmp_path / "输出 out"), language="en", theme="light")
    return store


@pytest.fixture
def make_window(qtbot, settings, monkeypatch) -> Iterator:
    """Factory: ``make_window(host=...)`` → a shown MainWindow polling that Ollama host.

    Closing a window while a model is being created asks first; at teardown the answer
    is "stop and quit" (a modal box would block the offscreen test forever)."""
    from desktop import i18n, jobs, theme
    from desktop.main_window import MainWindow

    monkeypatch.setattr("desktop.main_window.confirm", lambda *args: True)

    windows = []

    def make(*, host: str = CLOSED_PORT_HOST, start: bool = True) -> MainWindow:
        settings.update(ollama_host=host)
        i18n.set_language(settings.values.language)
        theme.apply_theme(settings.values.theme)
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.show()
        if start:
            window.start_background()
            qtbot.waitUntil(lambda: window.monitor.state is not None, timeout=10_000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.monitor.stop()
    jobs.cancel_all(wait_seconds=5.0)
    i18n.set_language("en")
