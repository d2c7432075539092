"""The X-library check before Qt starts: names the missing Debian/Ubuntu packages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from desktop.xlibs import XCB_LIBRARIES, missing_message, missing_packages, uses_xcb


def test_missing_libraries_are_named_by_package():
    present = {"xcb", "xcb-cursor", "EGL"}
    packages = missing_packages(lambda name: f"lib{name}.so" if name in present else None)
    assert "libxcb-icccm4" in packages and "libxcb-keysyms1" in packages
    assert "libxcb-cursor0" not in packages and "libxcb1" not in packages
    text = missing_message(["libxcb-icccm4", "libxcb-keysyms1"])
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in text
    assert missing_packages(lambda name: "found") == []


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "offscreen:configfile=/tmp/x.json"}, "linux", False),
        ({}, "win32", False),
        ({}, "darwin", False),
    ],
)
def test_only_xcb_on_linux_is_checked(env, platform, expected):
    assert uses_xcb(env, platform) is expected


def test_the_table_covers_what_qts_xcb_plugin_links():
    """Every libxcb*/xkbcommon/X11-xcb library PySide6's libqxcb.so needs is in the table
    (ldd here in the test only; the app itself never runs ldd)."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file() or not shutil.which("ldd"):
        pytest.skip("needs PySide6's libqxcb.so and ldd (Linux)")
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
    needed = set(re.findall(r"^\s*lib((?:xcb|xkbcommon|X11-xcb)[\w-]*)\.so", out, re.M))
    assert needed, out
    assert needed <= set(XCB_LIBRARIES), sorted(needed - set(XCB_LIBRARIES))
