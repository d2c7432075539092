"""``tuneforge train --processes N`` / ``--gpus all``: start ``accelerate launch`` and show
rank 0's ``events.jsonl`` as it grows, the same lines as a one-process run."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def run_multi(args: argparse.Namespace, spec: Any) -> int:
    from engine.cli.progress import ProgressPrinter
    from engine.errors import InputError
    from engine.jobs.codec import to_plain
    from engine.jobs.events import Event, Log
    from engine.remote.display import StepTotals
    from engine.runtime.use import has_local_torch, training_python, visible_gpu_count
    from engine.train.launch import count_gpus, launch_command
    from engine.train.rundir import EVENTS_FILE, request_stop

    # the runtime's Python (and its accelerate) when this one has no torch (the frozen app)
    python, env = training_python()
    if args.gpus != "all":
        processes = args.processes
    else:  # ask the driver where this process must not import torch
        processes = count_gpus() if has_local_torch() else visible_gpu_count()
    if processes < 1:
        raise InputError(
            "--gpus all: no CUDA GPU is visible", hint="Use --processes N with --device cpu."
        )
    device = "cpu" if spec.device == "cpu" else "cuda"
    printer = ProgressPrinter()

    def sink(event: Event) -> None:
        if isinstance(event, Log) and event.level == "debug" and not args.verbose:
            return
        printer(event)

    with tempfile.TemporaryDirectory(prefix="tuneforge-launch-") as tmp:
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(to_plain(spec)), encoding="utf-8")
        printer(Log(text=f"starting {processes} training processes (accelerate launch, {device})"))
        # its own process group: Ctrl-C here reaches only this process, which asks the ranks
        # to stop through the stop file (all of them at the same step, after a checkpoint)
        command = launch_command(
            spec_file=spec_file, processes=processes, device=device, python=python
        )
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                **_own_group())  # fmt: skip
        records = StepTotals(sink)
        events, offset, last, stopping = Path(spec.out) / EVENTS_FILE, 0, None, False
        restore = _exit_on_sigterm()
        try:
            while True:
                try:
                    done = proc.poll() is not None
                    if events.is_file():
                        with open(events, "rb") as handle:
                            handle.seek(offset)
                            chunk = handle.read()
                        end = chunk.rfind(b"\n") + 1
                        for line in chunk[:end].splitlines():
                            record = json.loads(line)
                            last = record.get("event")
                            records(record)
                        offset += end
                    if done:
                        break
                    time.sleep(0.5)
                except KeyboardInterrupt:
                    if stopping:
                        raise
                    stopping = True
                    printer(Log(text="stopping: saving a checkpoint…", level="warning"))
                    request_stop(Path(spec.out))
        except KeyboardInterrupt:  # a second Ctrl-C: end the processes now
            pass
        finally:  # this process ends (or fails): the launcher in its own group ends with it
            restore()
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    printer.close()
    if last == "finished":
        print(f"trained with {processes} processes; adapter: {Path(spec.out) / 'adapter'}")
        return 0
    if last == "stopped":
        print(f"stopped. Resume with: tuneforge train --resume {spec.out}", file=sys.stderr)
        return 130
    print(
        f"error: training failed (exit {proc.returncode}):\n{err.strip()[-2000:]}", file=sys.stderr
    )
    return 1


def _own_group() -> dict[str, Any]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _exit_on_sigterm() -> Any:
    """SIGTERM (a GUI or a box ending this process) unwinds through ``finally``."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return lambda: signal.signal(signal.SIGTERM, previous)
