"""Where the app's icons, styles and translations are.

One lookup for every way the app is installed:

1. the PyInstaller bundle (``<bundle>/resources``);
2. a wheel install (pip, pipx): the package's own ``desktop/_resources``, which
   ``setup.py`` copies from ``resources/`` when the wheel is built;
3. the source tree (a checkout or an editable install): ``resources/`` at the top.
"""

from __future__ import annotations

import functools
import sys
from importlib import resources as importlib_resources
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parent.parent / "resources"


@functools.cache
def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller onedir/onefile
    if bundle and (Path(bundle) / "resources").is_dir():
        return Path(bundle) / "resources"
    packaged = importlib_resources.files("desktop") / "_resources"
    if packaged.is_dir():
        return Path(str(packaged))
    return _SOURCE_TREE


def icons_dir() -> Path:
    return resources_dir() / "icons"


def styles_dir() -> Path:
    return resources_dir() / "styles"


def translations_dir() -> Path:
    return resources_dir() / "translations"
