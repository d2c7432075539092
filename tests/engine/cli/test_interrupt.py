"""Ctrl-C on a CLI job: "cancelled", exit 130, no traceback, no ``*.partial`` left.

A real ``tuneforge convert`` subprocess of a fixture model gets SIGINT in the middle of
writing its tensors (a test-only delay on each progress report keeps it running long
enough). Every CLI job goes through ``engine.cli.progress.run_cli_job``; the in-process
test covers the repeated Ctrl-C of an impatient user on any job.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.cli.progress import exit_code, run_cli_job
from engine.jobs.atomic import atomic_file
from engine.jobs.context import TEST_SLOWDOWN_ENV, JobContext

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only")
def test_sigint_during_convert_cancels_cleanly(tiny_models, tmp_path):
    model = tmp_path / "模型 folder"
    shutil.copytree(tiny_models("qwen2"), model)
    out = tmp_path / "输出 out" / "model-Q8_0.gguf"
    env = {
        **os.environ,
        TEST_SLOWDOWN_ENV: "0.2",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "TUNEFORGE_HOME": str(tmp_path / "home"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "convert", str(model), "-o", str(out), "-t", "q8_0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
        encoding="utf-8",
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    # Wait until the tensor data is being written (the .partial exists), then Ctrl-C.
    while not out.with_name(out.name + ".partial").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "convert never started writing"
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "cancelled" in stderr
    assert not out.exists()
    assert list(out.parent.glob("*.partial")) == []


def test_repeated_ctrl_c_waits_for_the_job_and_reports_cancelled(tmp_path, monkeypatch):
    """Two Ctrl-C while the job winds down: still one "cancelled" outcome, file removed.

    The KeyboardInterrupt is raised in the main thread while it waits, as a real SIGINT is."""
    final = tmp_path / "out.bin"
    started = threading.Event()

    def slow_job(spec: object, ctx: JobContext) -> str:
        with atomic_file(final) as tmp:
            tmp.write_bytes(b"half")
            started.set()
            while not ctx.cancelled:
                time.sleep(0.05)
            time.sleep(1.0)  # winding down takes a while: the second Ctrl-C lands here
            ctx.check_cancelled()
        return "not reached"

    main_thread = threading.get_ident()
    import _thread

    def press_ctrl_c_twice() -> None:
        started.wait(10)
        for _ in range(2):
            time.sleep(0.3)
            _thread.interrupt_main()

    assert threading.get_ident() == main_thread
    threading.Thread(target=press_ctrl_c_twice, daemon=True).start()
    outcome = run_cli_job(slow_job, None, quiet=True)
    assert outcome.status == "cancelled"
    assert exit_code(outcome) == 130
    assert not final.exists()
    assert list(tmp_path.glob("*.partial")) == []
