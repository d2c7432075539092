"""Run uv/pip as a child process: its output to the install log (and ``ctx``), cancel kills
the whole process tree (uv and pip start build helpers of their own)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled

# lines worth showing the user; the rest go to the log file only
_NOTABLE = re.compile(r"^\s*(Downloading|Downloaded|Installed|Installing|Successfully|Prepared|"
                      r"Resolved|Using Python|Creating|error|ERROR|warning|WARNING)", re.I)  # fmt: skip


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a child Python or installer: without the variables
    that point Python at another installation, and (in the frozen app) with the library
    path PyInstaller's bootloader replaced restored."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
    }
    if getattr(sys, "frozen", False):
        for name in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
            original = env.pop(f"{name}_ORIG", None)
            env.pop(name, None)
            if original:
                env[name] = original
    env.update(extra or {})
    return env


def popen_tree_kwargs() -> dict[str, Any]:
    """Start the child as the head of its own process group, so the group can be killed."""
    if sys.platform == "win32":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "CREATE_NO_WINDOW", 0)
        return {"creationflags": flags}
    return {"start_new_session": True}


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` and everything it started."""
    if proc.poll() is not None and sys.platform == "win32":
        return
    if sys.platform == "win32":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True,
                       creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))  # fmt: skip
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_logged(cmd: Sequence[str], *, ctx: Any, env: dict[str, str], log_file: Path,
               on_tick: Callable[[], None] | None = None, tick_seconds: float = 1.0) -> tuple[int, str]:  # fmt: skip
    """Run ``cmd``; return (exit code, the last lines of its output). ``ctx.cancelled`` kills
    the process tree and raises :class:`JobCancelled`. ``on_tick`` runs every ``tick_seconds``
    while the command runs (progress by size)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    tail: list[str] = []
    with open(log_file, "a", encoding="utf-8") as log:
        log.write("$ " + subprocess.list2cmdline([str(c) for c in cmd]) + "\n")
        log.flush()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                text=True, encoding="utf-8", errors="replace",
                                **popen_tree_kwargs())  # fmt: skip
        assert proc.stdout is not None

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                log.flush()
                text = line.rstrip()
                tail.append(text)
                del tail[:-40]
                if _NOTABLE.match(text):
                    ctx.log(text.strip())

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        while True:
            try:
                proc.wait(tick_seconds)
                break
            except subprocess.TimeoutExpired:
                pass
            if ctx.cancelled:
                kill_tree(proc)
                reader.join(5)
                log.write("-- cancelled: process tree killed\n")
                raise JobCancelled()
            if on_tick is not None:
                on_tick()
        reader.join(10)
    return int(proc.returncode), "\n".join(tail)
