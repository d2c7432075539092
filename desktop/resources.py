"""Where the app's icons, styles and translations are (source tree or frozen bundle)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller onedir/onefile
    if bundle and (Path(bundle) / "resources").is_dir():
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def icons_dir() -> Path:
    return resources_dir() / "icons"


def styles_dir() -> Path:
    return resources_dir() / "styles"


def translations_dir() -> Path:
    return resources_dir() / "translations"
