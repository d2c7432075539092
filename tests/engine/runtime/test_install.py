"""Install a runtime offline from a wheelhouse of stand-in wheels (real uv / pip, a real
venv, the real engine wheel), then: status, a deleted package found and repaired, cancel
and resume, a failing installer, remove, and a job child started in the runtime."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import JobCancelled
from engine.jobs import JobContext, Log, run_in_child, run_job
from engine.runtime import use
from engine.runtime.errors import InstallerFailed, RuntimeMissing
from engine.runtime.install import RuntimeInstallSpec, install_runtime, remove_runtime
from engine.runtime.layout import RuntimeLayout
from engine.runtime.status import runtime_status

ROOT = Path(__file__).resolve().parents[3]


def _spec(wheelhouse: Path, wheel: Path, **kw) -> RuntimeInstallSpec:
    return RuntimeInstallSpec(cuda="cpu", no_index=True, find_links=(str(wheelhouse),), wheel=wheel,
                              check_disk=False, **kw)  # fmt: skip


def _site_packages(layout: RuntimeLayout) -> Path:
    found = list(layout.venv.glob("lib/python*/site-packages")) + list(
        layout.venv.glob("Lib/site-packages")
    )
    assert found, list(layout.venv.iterdir())
    return found[0]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "engine", "runtime", *args], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=300)  # fmt: skip


def test_install_status_broken_repair_remove(runtime_home, cpu_wheelhouse, engine_wheel, uv_bin):
    layout = RuntimeLayout.default()
    assert layout.root.is_relative_to(runtime_home)
    assert runtime_status().state == "missing"

    events: list = []
    outcome = run_job(install_runtime, _spec(cpu_wheelhouse, engine_wheel), on_event=events.append)
    assert outcome.ok, outcome.error
    assert any(getattr(e, "unit", "") == "B" and e.total > 0 for e in events)  # progress by size
    status = runtime_status()
    assert status.installed and status.torch == "2.13.0" and status.cuda is None and status.engine
    assert layout.marker.is_file() and status.size_bytes > 0

    shown = _cli("status", "--json")
    data = json.loads(shown.stdout)
    assert shown.returncode == 0 and data["installed"] is True
    assert data["path"] == str(layout.root) and data["torch"] == "2.13.0" and data["cuda"] is None

    shutil.rmtree(_site_packages(layout) / "peft")  # a deleted package
    broken = runtime_status()
    assert broken.state == "broken" and not broken.installed
    assert any(p.startswith("peft:") for p in broken.problems), broken.problems
    shown = _cli("status", "--json")
    assert shown.returncode == 1 and json.loads(shown.stdout)["installed"] is False
    with pytest.raises(RuntimeMissing, match="broken"):
        _with_forced_runtime(use.train_child)

    repaired = _cli("install", "--repair", "--cuda", "cpu", "--no-index", "--find-links", str(cpu_wheelhouse),
                    "--wheel", str(engine_wheel), "--skip-disk-check")  # fmt: skip
    assert repaired.returncode == 0, repaired.stderr + repaired.stdout
    assert (
        runtime_status().installed and (_site_packages(layout) / "peft" / "__init__.py").is_file()
    )

    shutil.rmtree(_site_packages(layout) / "transformers")  # a plain install repairs too
    logs: list[str] = []
    again = run_job(install_runtime, _spec(cpu_wheelhouse, engine_wheel),
                    on_event=lambda e: logs.append(getattr(e, "text", "")))  # fmt: skip
    assert again.ok, again.error
    assert any("broken" in t and "transformers" in t for t in logs) and runtime_status().installed

    assert remove_runtime() > 0
    assert not layout.root.exists() and runtime_status().state == "missing"


def _with_forced_runtime(func):
    old = os.environ.get(use.FORCE_ENV)
    os.environ[use.FORCE_ENV] = "1"
    try:
        return func()
    finally:
        if old is None:
            os.environ.pop(use.FORCE_ENV)
        else:
            os.environ[use.FORCE_ENV] = old


def test_cancel_then_resume_continues_at_the_unfinished_step(
    runtime_home, cpu_wheelhouse, engine_wheel, uv_bin
):
    layout = RuntimeLayout.default()
    ctx_box: dict = {}

    def sink(event) -> None:
        if isinstance(event, Log) and event.text.startswith("step 3/4"):
            ctx_box["ctx"].cancel()  # the user presses Cancel while packages install

    ctx = JobContext(sink)
    ctx_box["ctx"] = ctx
    first = run_job(install_runtime, _spec(cpu_wheelhouse, engine_wheel), on_event=sink, ctx=ctx)
    assert first.status == "cancelled"
    assert not layout.marker.exists()
    status = runtime_status()
    assert status.state == "incomplete" and not status.installed
    assert "venv" in status.steps_done and "engine" not in status.steps_done
    sentinel = layout.venv / "kept-by-resume"
    sentinel.write_text("the environment is not made again", encoding="utf-8")

    logs: list[str] = []
    second = run_job(install_runtime, _spec(cpu_wheelhouse, engine_wheel),
                     on_event=lambda e: logs.append(getattr(e, "text", "")))  # fmt: skip
    assert second.ok, second.error
    assert "step 1/4 venv: already done" in logs and "step 2/4 torch: already done" in logs
    assert sentinel.is_file() and runtime_status().installed


def test_an_installer_error_names_the_step_and_nothing_claims_installed(
    runtime_home, tmp_path, engine_wheel, uv_bin
):
    empty = tmp_path / "empty wheelhouse"
    empty.mkdir()
    outcome = run_job(install_runtime, _spec(empty, engine_wheel))
    assert outcome.status == "failed" and isinstance(outcome.error, InstallerFailed)
    assert "'torch'" in outcome.error.message and outcome.error.details["step"] == "torch"
    assert "torch" in outcome.error.details["output"]  # uv's own words are kept
    status = runtime_status()
    assert status.state == "incomplete" and status.steps_done == ("venv",)


def test_the_training_child_runs_in_the_runtime_python(
    runtime_home, cpu_wheelhouse, engine_wheel, uv_bin, monkeypatch
):
    assert run_job(install_runtime, _spec(cpu_wheelhouse, engine_wheel)).ok
    monkeypatch.setenv(use.FORCE_ENV, "1")
    command, env = use.train_child()
    layout = RuntimeLayout.default()
    assert command is not None and command[0] == str(layout.python)
    assert env is not None and "PYTHONPATH" not in env
    outcome = run_in_child(use.CHECK_JOB, None, command=command, env=env)
    assert outcome.ok, outcome.error
    info = outcome.result
    assert Path(info["python"]).parent == layout.python.parent
    assert info["torch"] == "2.13.0"  # the runtime's (stand-in) torch, not this venv's 2.13.0+cpu
    monkeypatch.delenv(use.FORCE_ENV)
    assert use.train_child() == (None, None)  # torch here: the usual child


@pytest.mark.slow
def test_pip_fallback_installs_the_same_runtime(runtime_home, cpu_wheelhouse, engine_wheel):
    outcome = run_job(install_runtime, _spec(cpu_wheelhouse, engine_wheel, installer="pip"))
    assert outcome.ok, outcome.error
    status = runtime_status()
    assert status.installed and status.torch == "2.13.0"
    assert (
        json.loads(RuntimeLayout.default().marker.read_text(encoding="utf-8"))["installer"] == "pip"
    )


def test_cancel_kills_the_whole_process_tree(tmp_path):
    psutil = pytest.importorskip("psutil")
    from engine.runtime.process import clean_env, run_logged

    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('Downloading torch (1.0 GiB)', flush=True)\n"
        "time.sleep(120)\n"
    )
    ctx = JobContext()

    def tick() -> None:
        if pid_file.is_file() and pid_file.read_text():
            ctx.cancel()

    with pytest.raises(JobCancelled):
        run_logged([sys.executable, "-c", script], ctx=ctx, env=clean_env(), log_file=tmp_path / "install.log",
                   on_tick=tick, tick_seconds=0.2)  # fmt: skip
    grandchild = int(pid_file.read_text())
    try:
        proc = psutil.Process(grandchild)
        proc.wait(10)
    except psutil.NoSuchProcess:
        pass
    assert (
        not psutil.pid_exists(grandchild)
        or psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE
    )
    assert "Downloading torch" in (tmp_path / "install.log").read_text(encoding="utf-8")
