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
    return _app_dir("config", "user_config_dir", override_env=CONFIG_DIR_ENV)


def data_dir() -> Path:
    return _app_dir("data", "user_data_dir")


def log_dir() -> Path:
    return _app_dir("logs", "user_log_dir", override_env=LOG_DIR_ENV)


def _app_dir(subfolder: str, platform_dir: str, *, override_env: str | None = None) -> Path:
    """``override_env``'s folder, else ``TUNEFORGE_HOME/subfolder``, else the OS's folder for
    the app (``platformdirs.<platform_dir>``)."""
    override = os.environ.get(override_env) if override_env else None
    if override:
        return Path(override)
    home = tuneforge_home()
    if home is not None:
        return home / subfolder
    import platformdirs

    return Path(getattr(platformdirs, platform_dir)(APP_NAME, appauthor=False))
