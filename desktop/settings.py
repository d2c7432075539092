"""User settings: declared once (with defaults) in :class:`Settings`, stored as JSON.

The file lives in ``platformdirs.user_config_dir("Tuneforge")`` (``TUNEFORGE_CONFIG_DIR``
overrides it; else ``$TUNEFORGE_HOME/config``: tests, portable installs). Unknown keys are ignored and a value of the
wrong type falls back to its default, so an old or hand-edited file never stops the
app from starting. Writes are atomic (``settings.json.partial`` → rename).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.appdirs import config_dir, tuneforge_home

SETTINGS_FILE = "settings.json"
LANGUAGES = ("system", "en", "zh_CN")
THEMES = ("system", "light", "dark")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting the app has, with its default. Add new ones here and nowhere else."""

    ollama_host: str = ""  # empty: OLLAMA_HOST, else http://127.0.0.1:11434
    output_dir: str = ""  # empty: <Documents>/Tuneforge
    hf_endpoint: str = ""  # empty: huggingface.co (a mirror such as https://hf-mirror.com)
    hf_cache_dir: str = ""  # empty: huggingface_hub's own default
    language: str = "system"  # one of LANGUAGES
    theme: str = "system"  # one of THEMES
    window_geometry: str = ""  # QWidget.saveGeometry() as base64
    quant_type: str = ""  # last quant type picked on the Package page (empty: recommended)
    chat_temperature: float = 0.7
    chat_system_prompt: str = ""
    runtime_index_url: str = ""  # empty: PyPI (a mirror for the training runtime's packages)
    runtime_torch_index_url: str = ""  # empty: download.pytorch.org (a mirror of its wheels)
    # local run folders of runs going on a remote box: re-attached when the app starts
    remote_runs: list[str] = field(default_factory=list)


_CHOICES: dict[str, tuple[str, ...]] = {"language": LANGUAGES, "theme": THEMES}


def default_output_dir() -> Path:
    home = tuneforge_home()
    if home is not None:
        return home / "models"
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "Tuneforge"


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Keep known keys whose value has the default's type (ints are accepted for floats)."""
    values: dict[str, Any] = {}
    defaults = Settings()
    for f in fields(Settings):
        if f.name not in data:
            continue
        value, default = data[f.name], getattr(defaults, f.name)
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not type(default):
            continue
        if f.name in _CHOICES and value not in _CHOICES[f.name]:
            continue
        values[f.name] = value
    return Settings(**values)


class SettingsStore(QObject):
    """The one live copy of the settings. ``changed`` names each key that changed."""

    changed = Signal(str)

    def __init__(self, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path) if path else config_dir() / SETTINGS_FILE
        self._settings = self._load()

    @property
    def values(self) -> Settings:
        return self._settings

    def get(self, key: str) -> Any:
        return getattr(self._settings, key)

    def update(self, **changes: Any) -> None:
        """Validate, apply, save, then announce each key whose value really changed."""
        unknown = set(changes) - {f.name for f in fields(Settings)}
        if unknown:
            raise KeyError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        new = settings_from_dict({**dataclasses.asdict(self._settings), **changes})
        rejected = [k for k, v in changes.items() if getattr(new, k) != v]
        if rejected:
            raise ValueError(f"invalid value for setting(s): {', '.join(sorted(rejected))}")
        old, self._settings = self._settings, new
        self._save()
        for f in fields(Settings):
            if getattr(old, f.name) != getattr(new, f.name):
                self.changed.emit(f.name)

    def output_dir(self) -> Path:
        return (
            Path(self._settings.output_dir) if self._settings.output_dir else default_output_dir()
        )

    # -- file --------------------------------------------------------------------------
    def _load(self) -> Settings:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Settings()
        return settings_from_dict(data) if isinstance(data, dict) else Settings()

    def _save(self) -> None:
        from engine.jobs import atomic_file

        text = json.dumps(dataclasses.asdict(self._settings), ensure_ascii=False, indent=2)
        try:
            with atomic_file(self.path) as tmp:
                tmp.write_text(text + "\n", encoding="utf-8", newline="\n")
        except OSError:
            pass  # a read-only profile must not crash the app; the values still apply


_ENV_KEYS = (
    "HF_ENDPOINT",
    "HF_HUB_CACHE",
    "TUNEFORGE_RUNTIME_INDEX_URL",
    "TUNEFORGE_RUNTIME_TORCH_INDEX_URL",
)
_ORIGINAL_ENV = {key: os.environ.get(key) for key in _ENV_KEYS}


def apply_environment(settings: Settings) -> None:
    """Hand the Hugging Face endpoint and cache to huggingface_hub (it reads the env), and
    the training runtime's package mirrors to its installer (engine.runtime.commands).

    An empty setting restores what the environment had when the app started.
    """
    chosen_values = (settings.hf_endpoint, settings.hf_cache_dir, settings.runtime_index_url,
                     settings.runtime_torch_index_url)  # fmt: skip
    for key, value in zip(_ENV_KEYS, chosen_values, strict=True):
        chosen = value or _ORIGINAL_ENV[key]
        if chosen:
            os.environ[key] = chosen
        else:
            os.environ.pop(key, None)
