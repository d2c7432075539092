"""Where the app keeps its settings, data and logs: the one home for these folders.

``TUNEFORGE_HOME`` moves all of them (tests and portable installs use it):
``$TUNEFORGE_HOME/config``, ``/data`` and ``/logs``. Without it they are platformdirs'
per-user folders for "Tuneforge". ``TUNEFORGE_CONFIG_DIR`` and ``TUNEFORGE_LOG_DIR`` move
one folder alone.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "TUNEFORGE_HOME"
CONFIG_DIR_ENV = "TUNEFORGE_CONFIG_DIR"
LOG_DIR_ENV = "TUNEFORGE_LOG_DIR"
APP_NAME = "Tuneforge"


def tuneforge_home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value) if value else None


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    home = tuneforge_home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = tuneforge_home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    home = tuneforge_home()
    if home is not None:
        return home / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
