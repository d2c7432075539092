"""Run a job ``(spec, ctx) -> result``: in this thread, in a background thread, or in a
child process that streams NDJSON events over its stdout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled, TuneforgeError
from engine.jobs import codec
from engine.jobs.atomic import partial_path
from engine.jobs.context import EventSink, JobContext
from engine.jobs.events import (
    Cancelled,
    Event,
    Failed,
    Finished,
    Log,
    Progress,
    event_from_json,
    event_to_json,
)

Job = Callable[[Any, JobContext], Any]


@dataclass(frozen=True)
class JobOutcome:
    status: str  # "finished" | "cancelled" | "failed"
    result: Any = None
    error: TuneforgeError | None = None

    @property
    def ok(self) -> bool:
        return self.status == "finished"


def error_payload(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, TuneforgeError):
        return exc.to_dict()
    return {
        "code": "internal",
        "message": f"{type(exc).__name__}: {exc}",
        "hint": "This is a bug in Tuneforge; please report it with the log.",
        "details": {"traceback": traceback.format_exc(limit=20)},
    }


def run_job(
    job: Job,
    spec: Any,
    *,
    on_event: EventSink | None = None,
    ctx: JobContext | None = None,
) -> JobOutcome:
    """Run in the calling thread. Never raises for job errors: see the outcome."""
    sink = on_event or (lambda event: None)
    ctx = ctx or JobContext(sink)
    try:
        result = job(spec, ctx)
    except JobCancelled as exc:
        sink(Cancelled(reason=exc.message))
        return JobOutcome("cancelled")
    except Exception as exc:
        payload = error_payload(exc)
        sink(Failed(error=payload))
        err = exc if isinstance(exc, TuneforgeError) else TuneforgeError.from_dict(payload)
        return JobOutcome("failed", error=err)
    sink(Finished(result=codec.to_plain(result)))
    return JobOutcome("finished", result=result)


class JobHandle:
    """A job running in a background thread: THE thread runner, which the CLI (a progress bar,
    Ctrl-C cancels), the GUI (:mod:`desktop.jobs`) and in-process callers build on.

    ``ctx``: the context to run with (default ``JobContext(on_event)``); its events are the
    job's. :meth:`wait` waits on an Event, not ``Thread.join``: a join interrupted by Ctrl-C
    marks a still-running thread as finished (Python < 3.13).
    """

    def __init__(
        self,
        job: Job,
        spec: Any,
        on_event: EventSink | None = None,
        *,
        ctx: JobContext | None = None,
        name: str = "tuneforge-job",
    ) -> None:
        self.ctx = ctx or JobContext(on_event)
        self.outcome: JobOutcome | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(job, spec), name=name, daemon=True)

    def _run(self, job: Job, spec: Any) -> None:
        try:
            self.outcome = run_job(job, spec, on_event=self.ctx.emit, ctx=self.ctx)
        except BaseException as exc:  # an event sink that raised: still an outcome
            error = TuneforgeError(f"{type(exc).__name__}: {exc}")
            self.outcome = JobOutcome("failed", error=error)
        finally:
            self._done.set()

    def start(self) -> JobHandle:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.ctx.cancel()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> JobOutcome | None:
        """The outcome once the job has ended; None if ``timeout`` passed first."""
        self._done.wait(timeout)
        return self.outcome if self._done.is_set() else None


def child_job(
    job_ref: str,
    *,
    grace_seconds: float = 5.0,
    outputs: Sequence[Path] = (),
    command: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
) -> Job:
    """A job ``(spec, ctx)`` that runs ``job_ref`` in a child process (:func:`run_in_child`):
    the child's progress and log become the context's, a cancel of the context stops the
    child, and the child's outcome is returned or raised like an in-process job's."""

    def job(spec: Any, ctx: JobContext) -> Any:
        def forward(event: Event) -> None:
            if isinstance(event, Progress):
                ctx.progress(event.stage, event.done, event.total, unit=event.unit)
            elif isinstance(event, Log):
                ctx.log(event.text, level=event.level)

        outcome = run_in_child(
            job_ref,
            spec,
            on_event=forward,
            cancel_event=ctx.cancel_event,
            grace_seconds=grace_seconds,
            outputs=outputs,
            command=command,
            env=env,
        )
        if outcome.status == "cancelled":
            raise JobCancelled()
        if not outcome.ok:
            raise outcome.error or TuneforgeError(f"{job_ref} failed")
        return outcome.result

    return job


def child_command() -> list[str]:
    """How to start a job child: the module normally, the frozen app with a flag."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--job-child"]
    return [sys.executable, "-m", "engine.jobs.child"]


def spawn_child(
    command: Sequence[str] | None = None, *, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """A child process (default: the job child, :func:`child_command`) talking UTF-8 lines
    over its pipes (a native library's odd bytes are replaced, never an error); ``env``
    replaces the environment when given."""
    return subprocess.Popen(
        list(command or child_command()),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
    )


def run_in_child(
    job_ref: str,
    spec: Any,
    *,
    on_event: EventSink | None = None,
    cancel_event: threading.Event | None = None,
    grace_seconds: float = 5.0,
    outputs: Sequence[Path] = (),
    command: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
) -> JobOutcome:
    """Run ``job_ref`` (``engine.module:function``) in a child Python process.

    Events stream back as NDJSON on the child's stdout. Cancel: ``cancel_event`` is
    set → the child is asked to stop (its ``ctx.check_cancelled()`` raises), and is
    killed if it has not exited ``grace_seconds`` later (native code that never
    checks). A killed or crashed child cannot clean up, so the ``*.partial`` files of
    ``outputs`` (the job's final output paths) are removed here. ``command`` (and ``env``)
    start another Python's child instead, e.g. the local training runtime's
    (:func:`engine.runtime.use.train_child`).
    """
    sink = on_event or (lambda event: None)
    cancel_event = cancel_event or threading.Event()
    request = {"job": job_ref, "spec": codec.to_plain(spec)}
    proc = spawn_child(command, env=env)
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write(codec_dumps(request) + "\n")
    proc.stdin.flush()

    stderr_lines: list[str] = []

    def pump_stderr() -> None:
        assert proc.stderr
        for line in proc.stderr:
            stderr_lines.append(line)
            del stderr_lines[:-200]

    def watch_cancel() -> None:
        cancel_event.wait()
        if proc.poll() is not None:
            return
        try:
            assert proc.stdin
            proc.stdin.write("cancel\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass
        try:
            proc.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            proc.kill()

    threading.Thread(target=pump_stderr, daemon=True).start()
    watcher = threading.Thread(target=watch_cancel, daemon=True)
    watcher.start()

    terminal: Event | None = None
    for line in proc.stdout:
        line = line.strip()
        if not line:
            continue
        try:
            event = event_from_json(line)
        except ValueError:
            continue  # a stray line from native code; not an event
        if isinstance(event, (Finished, Failed, Cancelled)):
            terminal = event
        sink(event)
    proc.wait()
    try:
        proc.stdin.close()
    except OSError:
        pass

    if isinstance(terminal, Finished):
        return JobOutcome("finished", result=codec.from_plain(terminal.result))
    for output in outputs:
        _remove_partial(Path(output))
    if isinstance(terminal, Cancelled) or cancel_event.is_set():
        if terminal is None:
            sink(Cancelled(reason="stopped"))
        return JobOutcome("cancelled")
    if isinstance(terminal, Failed):
        return JobOutcome("failed", error=TuneforgeError.from_dict(terminal.error))
    tail = "".join(stderr_lines[-20:]).strip()
    payload = {
        "code": "crashed",
        "message": f"the worker process exited with code {proc.returncode} without a result",
        "hint": "See the log for the native error output.",
        "details": {"stderr": tail},
    }
    sink(Failed(error=payload))
    return JobOutcome("failed", error=TuneforgeError.from_dict(payload))


def codec_dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _remove_partial(output: Path) -> None:
    partial = partial_path(output)
    if partial.is_dir():
        shutil.rmtree(partial, ignore_errors=True)
    else:
        partial.unlink(missing_ok=True)


__all__ = [
    "JobHandle",
    "JobOutcome",
    "child_command",
    "child_job",
    "error_payload",
    "event_to_json",
    "run_in_child",
    "run_job",
    "spawn_child",
]
