"""Where the app keeps settings and data. ``TUNEFORGE_HOME`` moves both (tests use it)."""

from __future__ import annotations

import os
from pathlib import Path


def config_dir() -> Path:
    home = os.environ.get("TUNEFORGE_HOME")
    if home:
        return Path(home) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("Tuneforge", appauthor=False))


def data_dir() -> Path:
    home = os.environ.get("TUNEFORGE_HOME")
    if home:
        return Path(home) / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("Tuneforge", appauthor=False))
