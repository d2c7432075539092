"""A tiny job that exercises the job protocol end to end (runners, cancel, errors).

Used by the test-suite and by ``--selftest`` to prove that a child process or a worker
streams events and stops on cancel.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.jobs.atomic import atomic_file
from engine.jobs.context import JobContext


@dataclass(frozen=True, kw_only=True)
class TickSpec:
    steps: int = 10
    delay_s: float = 0.01
    fail_at: int | None = None  # raise an InputError at this step
    output: Path | None = None  # written atomically, one line per step
    ignore_cancel: bool = False  # behave like native code that never checks


@dataclass(frozen=True, kw_only=True)
class TickResult:
    steps_done: int
    output: Path | None


def tick_job(spec: TickSpec, ctx: JobContext) -> TickResult:
    ctx.log(f"ticking {spec.steps} steps")
    if spec.output is None:
        _tick(spec, ctx, None)
    else:
        with atomic_file(spec.output) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            _tick(spec, ctx, fh)
    return TickResult(steps_done=spec.steps, output=spec.output)


def _tick(spec: TickSpec, ctx: JobContext, fh: object) -> None:
    for step in range(spec.steps):
        if not spec.ignore_cancel:
            ctx.check_cancelled()
        if spec.fail_at == step:
            raise InputError(f"failing on purpose at step {step}", field="fail_at")
        if fh is not None:
            fh.write(f"step {step}\n")  # type: ignore[attr-defined]
        time.sleep(spec.delay_s)
        ctx.progress("ticking", step + 1, spec.steps, unit="steps")
