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
    from engine.train.launch import count_gpus, launch_command
    from engine.train.rundir import EVENTS_FILE

    processes = count_gpus() if args.gpus == "all" else args.processes
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
        proc = subprocess.Popen(launch_command(spec_file=spec_file, processes=processes, device=device),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        records = StepTotals(sink)
        events, offset, last = Path(spec.out) / EVENTS_FILE, 0, None
        try:
            while True:
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
            printer(Log(text="stopping: saving a checkpoint…", level="warning"))
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
