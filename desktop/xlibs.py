"""Before Qt starts on Linux/X11: are the system libraries of Qt's xcb plugin there?

Without them Qt prints "could not load the Qt platform plugin xcb" and aborts, naming at
most one library. We look each one up (``ctypes.util.find_library``: the linker cache, no
``ldd``) and name the Debian/Ubuntu packages to install. Data, not logic: the table below
is what PySide6's ``libqxcb.so`` and the Qt libraries it loads need beyond glibc.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable
from typing import TextIO

# library name for find_library → Debian/Ubuntu package
XCB_LIBRARIES: dict[str, str] = {
    "xcb": "libxcb1",
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render": "libxcb-render0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-util": "libxcb-util1",
    "xcb-randr": "libxcb-randr0",
    "xcb-shape": "libxcb-shape0",
    "xcb-shm": "libxcb-shm0",
    "xcb-sync": "libxcb-sync1",
    "xcb-xfixes": "libxcb-xfixes0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon": "libxkbcommon0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "X11-xcb": "libx11-xcb1",
    "EGL": "libegl1",
    "GL": "libgl1",
    "fontconfig": "libfontconfig1",
    "dbus-1": "libdbus-1-3",
}


def uses_xcb(environ: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    """Will Qt pick its xcb (X11) plugin? Linux only; an explicit QT_QPA_PLATFORM wins,
    else Wayland sessions use the wayland plugin."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].split(";", 1)[0].strip()
    if chosen:
        return chosen == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def missing_packages(find: Callable[[str], str | None] = ctypes.util.find_library) -> list[str]:
    """The Debian/Ubuntu packages whose library ``find`` cannot locate."""
    return [package for name, package in XCB_LIBRARIES.items() if not find(name)]


def missing_message(packages: list[str]) -> str:
    return (
        "Tuneforge's window needs system libraries that are not installed: "
        + ", ".join(packages)
        + ".\nOn Debian/Ubuntu install them with:\n    sudo apt install "
        + " ".join(packages)
        + "\n(other distributions: the packages providing the same libxcb/xkbcommon libraries)."
    )


def check_xcb_libraries(stream: TextIO | None = None) -> list[str]:
    """Print what is missing (to stderr) when Qt is about to use xcb; returns the packages."""
    if not uses_xcb():
        return []
    packages = missing_packages()
    if packages:
        print(missing_message(packages), file=stream or sys.stderr, flush=True)
    return packages
