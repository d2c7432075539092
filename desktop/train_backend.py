"""Where a training run happens, behind one small interface the Fine-tune page talks to.

A backend is a job ``run(spec, ctx)``: it trains (or watches a training), posts every
``events.jsonl`` record to the GUI with ``ctx.post(record)``, raises ``JobCancelled`` when
stopped (after the checkpoint is written) and returns the run folder. A remote backend
(``engine.remote``) plugs in by providing the same method.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol

from engine.errors import JobCancelled
from engine.jobs import JobContext, Log, Progress


class TrainBackend(Protocol):
    kind: str

    def run(self, spec: Any, ctx: Any) -> Path: ...


class EventTail:
    """New complete lines of a growing ``events.jsonl`` (a cut last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0

    def read_new(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except OSError:
            return []
        end = chunk.rfind(b"\n") + 1
        self._offset += end
        out = []
        for line in chunk[:end].splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


class LocalBackend:
    """Train on this computer, in a child process (the GUI never imports torch)."""

    kind = "local"

    def __init__(self, *, poll_seconds: float = 0.25) -> None:
        self.poll_seconds = poll_seconds

    def run(self, spec: Any, ctx: Any) -> Path:
        from engine.jobs import JobHandle
        from engine.jobs.runners import child_job
        from engine.runtime.use import train_child
        from engine.train import TRAIN_JOB
        from engine.train.rundir import EVENTS_FILE

        command, env = train_child()  # the runtime's Python when this app has no torch

        def forward(event: Any) -> None:
            if isinstance(event, (Progress, Log)):
                ctx.emit(event)

        # The child shares this job's cancel flag: Stop asks it to save a checkpoint.
        inner = JobContext(forward, cancel_event=ctx.cancel_event, min_interval=0)
        job = child_job(TRAIN_JOB, grace_seconds=300, command=command, env=env)
        handle = JobHandle(job, spec, ctx=inner, name="tuneforge-train").start()
        tail = EventTail(Path(spec.out) / EVENTS_FILE)
        while (outcome := handle.wait(self.poll_seconds)) is None:
            for record in tail.read_new():
                ctx.post(record)
        for record in tail.read_new():
            ctx.post(record)
        if outcome.status == "cancelled":
            raise JobCancelled()
        if not outcome.ok:
            raise outcome.error or RuntimeError("training failed")
        return Path(spec.out)


class ReplayBackend:
    """Plays a recorded event stream (tests, screenshots): the same records a run writes,
    ``delay`` seconds apart. Stop ends with a ``stopped`` record at the last step; a resumed
    spec continues after it."""

    kind = "replay"

    def __init__(self, records: list[dict[str, Any]], *, delay: float = 0.0) -> None:
        self.records = records
        self.delay = delay
        self._next = 0

    def run(self, spec: Any, ctx: JobContext) -> Path:
        post = getattr(ctx, "post")  # noqa: B009 - GuiJobContext
        step = 0
        if not getattr(spec, "resume", False):
            self._next = 0
        else:  # like tailing events.jsonl from its start: the history, then what follows
            for record in self.records[: self._next]:
                post(record)
                step = int(record.get("step", step))
            post({"event": "resumed", "step": step, "time": time.time()})
        while self._next < len(self.records):
            if ctx.cancelled:
                post({"event": "checkpoint", "step": step, "time": time.time()})
                post({"event": "stopped", "step": step, "reason": "cancelled", "time": time.time()})
                raise JobCancelled()
            record = self.records[self._next]
            self._next += 1
            step = int(record.get("step", step))
            post(record)
            if record.get("event") == "step":
                ctx.progress("train", step, int(record.get("total", step) or step), unit="steps")
            if self.delay:
                time.sleep(self.delay)
        return Path(spec.out)
