"""uv/pip command lines for each source setting, and the bundle's zipped uv."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.runtime import commands
from engine.runtime.commands import Installer, PackageSources, install_commands, pack_uv
from engine.runtime.lock import load_lock


def _steps(kind: str, sources: PackageSources, *, repair: bool = False, tag: str = "cu128"):
    lock = load_lock()
    installer = Installer(
        kind=kind, uv="/opt/uv" if kind == "uv" else None, base_python="/py/python3"
    )
    return install_commands(installer=installer, lock=lock, build=lock.build(tag), sources=sources,
                            venv=Path("/rt/venv"), python=Path("/rt/venv/bin/python"),
                            wheel=Path("/w/tuneforge.whl"), repair=repair).steps  # fmt: skip


def test_uv_takes_torch_from_the_torch_index_first_and_the_rest_from_the_mirror():
    mirror = PackageSources(index_url="https://mirror/simple", torch_index_url="https://torch-mirror/cu128",
                            find_links=("/wheels",))  # fmt: skip
    steps = _steps("uv", mirror)
    (torch,) = steps["torch"]
    assert torch[:4] == ["/opt/uv", "pip", "install", "--python"] and "torch==2.13.0" in torch
    assert torch.index("--index") < torch.index("--index-url")
    assert torch[torch.index("--index") + 1] == "https://torch-mirror/cu128"
    (packages,) = steps["packages"]
    assert "https://torch-mirror/cu128" not in packages and "--index-url" in packages
    assert any(r.startswith("bitsandbytes==") for r in packages)  # a CUDA build
    assert "--reinstall-package" not in packages
    (engine,) = steps["engine"]
    assert engine[-1] == "/w/tuneforge.whl" and "--no-deps" in engine and "--no-index" in engine


def test_default_torch_index_is_the_locks_and_repair_reinstalls_named_packages_only():
    steps = _steps("uv", PackageSources(), repair=True)
    (torch,) = steps["torch"]
    assert "https://download.pytorch.org/whl/cu128" in torch and torch[-2:] == [
        "--reinstall-package",
        "torch",
    ]
    (mirrored,) = _steps(
        "uv", PackageSources(torch_index_url="https://m.example/whl/{tag}"), tag="cpu"
    )["torch"]
    assert "https://m.example/whl/cpu" in mirrored
    (packages,) = steps["packages"]
    named = [packages[i + 1] for i, a in enumerate(packages) if a == "--reinstall-package"]
    assert "transformers" in named and "peft" in named and "torch" not in named
    assert "--reinstall" not in packages  # never a blanket reinstall: torch would come from PyPI


def test_pip_is_isolated_from_pip_conf_and_offline_means_find_links_only():
    offline = PackageSources(no_index=True, find_links=("/my wheels",), index_url="https://ignored")
    steps = _steps("pip", offline, tag="cpu")
    (venv,) = steps["venv"]
    assert venv == ["/py/python3", "-m", "venv", "/rt/venv"]
    (torch,) = steps["torch"]
    assert "--isolated" in torch and "--no-index" in torch and "https://ignored" not in torch
    assert torch[torch.index("--find-links") + 1] == "/my wheels"
    (packages,) = steps["packages"]
    assert not any(r.startswith("bitsandbytes") for r in packages)  # CPU: no bitsandbytes


def test_sources_from_the_environment(monkeypatch):
    monkeypatch.setenv(commands.ENV_INDEX, "file:///idx")
    monkeypatch.setenv(commands.ENV_EXTRA_INDEX, "file:///a file:///b")
    monkeypatch.setenv(commands.ENV_NO_INDEX, "1")
    sources = PackageSources(index_url="https://given").with_env()
    assert sources.index_url == "https://given" and sources.extra_index_urls == (
        "file:///a",
        "file:///b",
    )
    assert sources.no_index


def test_the_frozen_app_unpacks_its_zipped_uv_once(tmp_path, monkeypatch):
    monkeypatch.delenv(commands.ENV_UV, raising=False)
    bundle = tmp_path / "_internal"
    exe = "uv.exe" if sys.platform == "win32" else "uv"
    fake = tmp_path / "src" / exe
    fake.parent.mkdir()
    fake.write_bytes(b"#!/bin/sh\necho uv 0.13\n")
    pack_uv(fake, bundle / "tools" / commands.UV_ARCHIVE)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    tools = tmp_path / "运行时" / "tools"
    found = Path(commands.find_uv(tools) or "")
    assert found == tools / exe and found.read_bytes() == fake.read_bytes()
    stamp = found.stat().st_mtime_ns
    assert commands.find_uv(tools) == str(found) and found.stat().st_mtime_ns == stamp  # not again
