"""``pip install`` / ``pipx install`` gives the same app as the installer.

The sdist is built from a copy of the source tree, the wheel from that sdist (so both
carry what the app needs), and the wheel is installed into a fresh virtual environment.
The app is then run from there, away from the source tree: it must find its
translations, style sheet and icons through the package, answer ``--version`` and
``--help``, refuse an unknown option, and start offscreen. Everything is offline: the
wheel is installed without dependencies, which the new environment borrows from the one
running the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".mypy_cache", ".ruff_cache", "tests", "docs", "bench", ".devrun",
)  # fmt: skip


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without PYTHONPATH: the source tree must not be importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **extra}


def _run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None, check=True):
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env or _clean_env(), capture_output=True, text=True,
        encoding="utf-8", timeout=600,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("wheel install 测试")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_IGNORED)
    dist = work / "dist"
    dist.mkdir()
    _run(
        [sys.executable, "-c",
         "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))",
         dist],
        cwd=source,
    )  # fmt: skip
    (sdist,) = dist.glob("tuneforge-*.tar.gz")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", dist, sdist],
        cwd=work,
    )  # fmt: skip
    (wheel,) = dist.glob("tuneforge-*.whl")

    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=work).stdout.strip()
    )  # fmt: skip
    # The dependencies (Qt, numpy, llama.cpp …) come from the environment running the tests.
    borrowed = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (purelib / "_tuneforge_test_deps.pth").write_text("\n".join(borrowed) + "\n", "utf-8")
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         wheel],
        cwd=work,
    )  # fmt: skip
    scripts = python.parent
    return {"work": work, "sdist": sdist, "wheel": wheel, "python": python,
            "purelib": purelib, "scripts": scripts}  # fmt: skip


def test_sdist_and_wheel_carry_the_resources(installed):
    with tarfile.open(installed["sdist"]) as tar:
        in_sdist = {Path(*Path(n).parts[1:]).as_posix() for n in tar.getnames()}
    with zipfile.ZipFile(installed["wheel"]) as whl:
        in_wheel = set(whl.namelist())
    for name in ("translations/tuneforge_zh_CN.qm", "styles/app.qss", "styles/themes.json",
                 "icons/app.svg", "icons/tuneforge.ico"):  # fmt: skip
        assert f"resources/{name}" in in_sdist
        assert f"desktop/_resources/{name}" in in_wheel
    assert "engine/quant/filetypes.json" in in_wheel
    assert "engine/template/gorender/main.go" in in_wheel


def test_installed_app_finds_its_resources_through_the_package(installed):
    code = (
        "import json; from desktop import resources as r; "
        "print(json.dumps({'dir': str(r.resources_dir()), "
        "'qm': (r.translations_dir() / 'tuneforge_zh_CN.qm').is_file(), "
        "'qss': (r.styles_dir() / 'app.qss').is_file(), "
        "'icon': (r.icons_dir() / 'app.svg').is_file()}))"
    )
    found = json.loads(_run([installed["python"], "-c", code], cwd=installed["work"]).stdout)
    assert Path(found["dir"]).resolve().is_relative_to(installed["purelib"].resolve())
    assert found["qm"] and found["qss"] and found["icon"], found


def test_installed_app_speaks_chinese_and_applies_its_theme(installed):
    code = (
        "from PySide6.QtCore import QCoreApplication\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop import i18n, theme\n"
        "app = QApplication(['tuneforge-gui'])\n"
        "assert i18n.set_language('zh_CN') == 'zh_CN'\n"
        "print(QCoreApplication.translate('MainWindow', 'Package'))\n"
        "theme.apply_theme('dark')\n"
        "print(len(app.styleSheet()))\n"
    )
    env = _clean_env(QT_QPA_PLATFORM="offscreen")
    out = _run([installed["python"], "-c", code], cwd=installed["work"], env=env).stdout.split()
    assert out[0] == "打包"
    assert int(out[1]) > 1000  # the style sheet was found and loaded


def _gui_command(installed) -> list[str | Path]:
    if os.name == "nt":  # the windowed .exe wrapper has no console to print to
        return [installed["python"], "-m", "desktop"]
    return [installed["scripts"] / "tuneforge-gui"]


def test_gui_entry_prints_version_and_help_and_refuses_unknown_options(installed):
    from engine import __version__

    gui = _gui_command(installed)
    version = _run([*gui, "--version"], cwd=installed["work"])
    assert version.stdout.strip() == f"tuneforge {__version__}"
    helped = _run([*gui, "--help"], cwd=installed["work"])
    assert helped.stdout.startswith("usage: tuneforge-gui")
    assert "adapter" in helped.stdout
    bad = _run([*gui, "--no-such-option"], cwd=installed["work"], check=False)
    assert bad.returncode == 2
    assert "usage: tuneforge-gui" in bad.stderr and "--no-such-option" in bad.stderr


def test_installed_gui_starts_offscreen_and_cli_reads_its_data(installed, tmp_path):
    env = _clean_env(
        QT_QPA_PLATFORM="offscreen",
        TUNEFORGE_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    _run([*_gui_command(installed), "--exit-after-show"], cwd=installed["work"], env=env)
    cli = installed["scripts"] / ("tuneforge.exe" if os.name == "nt" else "tuneforge")
    listed = _run([cli, "quantize", "--list-types"], cwd=installed["work"]).stdout
    assert "Q4_K_M" in listed
