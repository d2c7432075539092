"""Settings: declared once with defaults, stored as JSON, tolerant of bad files; geometry kept."""

from __future__ import annotations

import json
import os

import pytest

from desktop.settings import Settings, SettingsStore, apply_environment, settings_from_dict


def test_defaults_and_round_trip(config_dir):
    store = SettingsStore()
    assert store.values == Settings()
    assert store.path == config_dir / "settings.json"
    changed: list[str] = []
    store.changed.connect(changed.append)
    store.update(ollama_host="192.168.1.20:11434", language="zh_CN", chat_temperature=1)
    assert changed == ["ollama_host", "language", "chat_temperature"]
    store.update(language="zh_CN")  # no change, no signal
    assert changed == ["ollama_host", "language", "chat_temperature"]

    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data["ollama_host"] == "192.168.1.20:11434" and data["chat_temperature"] == 1.0
    again = SettingsStore()
    assert again.values == store.values
    assert not list(config_dir.glob("*.partial"))


def test_bad_file_and_bad_values_fall_back_to_defaults(config_dir):
    config_dir.mkdir(parents=True)
    (config_dir / "settings.json").write_text("{not json", encoding="utf-8")
    assert SettingsStore().values == Settings()
    (config_dir / "settings.json").write_text(
        json.dumps({"theme": "purple", "language": 7, "output_dir": "D:/模型 输出", "unknown": 1}),
        encoding="utf-8",
    )
    values = SettingsStore().values
    assert values.theme == "system" and values.language == "system"
    assert values.output_dir == "D:/模型 输出"


def test_update_rejects_unknown_keys_and_bad_values(config_dir):
    store = SettingsStore()
    with pytest.raises(KeyError):
        store.update(colour="red")
    with pytest.raises(ValueError):
        store.update(theme="purple")
    assert store.values == Settings()


def test_settings_from_dict_keeps_types():
    assert (
        settings_from_dict({"chat_temperature": True}).chat_temperature == 0.7
    )  # bool is not a number


def test_hf_settings_reach_the_environment(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    apply_environment(Settings(hf_endpoint="https://hf-mirror.com", hf_cache_dir="D:/hf 缓存"))
    assert os.environ["HF_ENDPOINT"] == "https://hf-mirror.com"
    assert os.environ["HF_HUB_CACHE"] == "D:/hf 缓存"
    apply_environment(Settings())
    assert "HF_ENDPOINT" not in os.environ


def test_window_geometry_is_restored(make_window, qtbot, settings):
    window = make_window(start=False)
    window.resize(1010, 700)
    window.move(40, 30)
    window.close()
    assert settings.values.window_geometry
    again = make_window(start=False)
    assert (again.width(), again.height()) == (1010, 700)


def test_settings_page_saves_as_you_type(make_window, qtbot, settings, tmp_path):
    window = make_window(start=False)
    window.go("settings")
    page = window.settings_page
    page.endpoint_edit.setText("https://hf-mirror.com/")
    page.endpoint_edit.editingFinished.emit()
    assert settings.values.hf_endpoint == "https://hf-mirror.com"
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("dark"))
    assert settings.values.theme == "dark"
    from desktop import theme

    assert theme.current_mode() == "dark"
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("light"))
    assert theme.current_mode() == "light"


def test_settings_page_shows_the_log_file(make_window, tmp_path, monkeypatch):
    logs = tmp_path / "日志 logs"
    monkeypatch.setenv("TUNEFORGE_LOG_DIR", str(logs))
    window = make_window(start=False)
    page = window.settings_page
    page.retranslate()
    assert str(logs / "app.log") in page.log_note.text()


def test_tuneforge_home_holds_settings(monkeypatch, tmp_path):
    from desktop.settings import config_dir, default_output_dir

    monkeypatch.delenv("TUNEFORGE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("TUNEFORGE_HOME", str(tmp_path / "家 home"))
    assert config_dir() == tmp_path / "家 home" / "config"
    assert default_output_dir() == tmp_path / "家 home" / "models"


def test_selftest_report_names_the_log_file(tmp_path, monkeypatch):
    from desktop.selftest import environment

    monkeypatch.setenv("TUNEFORGE_LOG_DIR", str(tmp_path / "日志 logs"))
    assert environment()["log_file"] == str(tmp_path / "日志 logs" / "app.log")
