"""The NSIS script compiles with every warning as an error (makensis -WX), against a
stand-in bundle; the real bundle is compiled by installer/build.py in CI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))

import winversion  # noqa: E402

SCRIPT = ROOT / "installer" / "tuneforge.nsi"
MAKENSIS = shutil.which("makensis")
needs_makensis = pytest.mark.skipif(
    MAKENSIS is None, reason="makensis not installed (Debian: apt-get install nsis)"
)


def fake_bundle(folder: Path) -> Path:
    bundle = folder / "Tuneforge"
    (bundle / "_internal" / "资源 data").mkdir(parents=True)
    (bundle / "Tuneforge.exe").write_bytes(b"MZ windowed stand-in")
    (bundle / "tuneforge-cli.exe").write_bytes(b"MZ console stand-in")
    (bundle / "_internal" / "资源 data" / "模型 note.txt").write_text("data", encoding="utf-8")
    return bundle


def makensis(*defines: str, cwd: Path = SCRIPT.parent) -> subprocess.CompletedProcess[str]:
    assert MAKENSIS is not None
    return subprocess.run(
        [MAKENSIS, "-WX", "-V2", "-INPUTCHARSET", "UTF8", *defines, str(SCRIPT)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
    )


@needs_makensis
def test_installer_compiles_without_warnings(tmp_path):
    folder = tmp_path / "构建 build"
    bundle = fake_bundle(folder)
    out = folder / "Tuneforge-1.2.3rc1-setup.exe"
    proc = makensis(
        "-DVERSION=1.2.3rc1",
        f"-DVI_VERSION={winversion.dotted('1.2.3rc1')}",
        f"-DDIST_DIR={bundle}",
        f"-DOUT_FILE={out}",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = out.read_bytes()
    assert data[:2] == b"MZ"
    assert b"NullsoftInst" in data  # the NSIS data block follows the stub


@needs_makensis
def test_installer_refuses_to_build_without_a_version(tmp_path):
    bundle = fake_bundle(tmp_path)
    proc = makensis(f"-DDIST_DIR={bundle}", f"-DOUT_FILE={tmp_path / 'x.exe'}")
    assert proc.returncode != 0
    assert "-DVERSION" in proc.stdout + proc.stderr


@needs_makensis
def test_installer_refuses_a_missing_bundle(tmp_path):
    proc = makensis(
        "-DVERSION=1.0.0", f"-DDIST_DIR={tmp_path / 'missing'}", f"-DOUT_FILE={tmp_path / 'x.exe'}"
    )
    assert proc.returncode != 0


def test_script_is_per_user_and_removes_what_it_installs():
    text = SCRIPT.read_text(encoding="utf-8")
    assert "RequestExecutionLevel user" in text
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in text
    assert "HKLM" not in text  # nothing machine-wide
    # The uninstaller deletes exactly the bundle's top-level entries (build.py checks them).
    for line in (
        'Delete "$INSTDIR\\${APP_EXE}"',
        'Delete "$INSTDIR\\${CLI_EXE}"',
        'RMDir /r "$INSTDIR\\_internal"',
        'RMDir "$INSTDIR"',  # only if empty: never a recursive delete of the folder
    ):
        assert line in text
    assert 'RMDir /r "$INSTDIR"' not in text


def test_windows_version_numbers():
    assert winversion.numeric_version("0.1.0") == (0, 1, 0, 0)
    assert winversion.numeric_version("1.2.3rc1") == (1, 2, 3, 0)
    assert winversion.numeric_version("2") == (2, 0, 0, 0)
    assert winversion.dotted("1.2.3.dev4+g1234") == "1.2.3.0"
    text = winversion.version_file_text("1.2.3")
    assert "filevers=(1, 2, 3, 0)" in text and "StringStruct('ProductVersion', '1.2.3')" in text
