"""``desktop.launcher``: the installed entry points route --selftest, --job-child and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_importing_the_launcher_loads_neither_qt_nor_the_engine():
    proc = _python("import json, sys, desktop.launcher; print(json.dumps(sorted(sys.modules)))")
    loaded = {m.split(".")[0] for m in json.loads(proc.stdout)}
    assert not loaded & {"PySide6", "shiboken6", "engine", "numpy", "llama_cpp", "torch"}


def test_cli_runs_the_engine_cli():
    proc = _python("import sys; from desktop.launcher import cli; sys.exit(cli())", "--version")
    assert proc.returncode == 0
    from engine import __version__

    assert proc.stdout.strip() == f"tuneforge {__version__}"


def test_cli_and_gui_become_a_job_child(tmp_path):
    """What the frozen app does for run_in_child: a request on stdin, NDJSON events out
    (stdin stays open while the job runs: closing it means "the parent is gone")."""
    from engine.jobs import codec
    from engine.jobs.diagnostics import TickSpec

    for entry in ("cli", "gui"):
        out = tmp_path / f"输出 {entry}.txt"
        spec = TickSpec(steps=3, delay_s=0, output=out)
        request = {"job": "engine.jobs.diagnostics:tick_job", "spec": codec.to_plain(spec)}
        code = f"import sys; from desktop.launcher import {entry}; sys.exit({entry}())"
        with subprocess.Popen(
            [sys.executable, "-c", code, "--job-child"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        ) as proc:
            assert proc.stdin and proc.stdout
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            events = []
            for line in proc.stdout:
                events.append(json.loads(line))
                if events[-1]["kind"] in ("finished", "failed", "cancelled"):
                    break
            proc.stdin.close()
            assert proc.wait(timeout=60) == 0
        assert events[-1]["kind"] == "finished", events
        assert out.read_text(encoding="utf-8").count("step") == 3
