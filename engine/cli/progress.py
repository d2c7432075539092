"""Run a job from the command line with a live progress bar on stderr; Ctrl-C cancels."""

from __future__ import annotations

import logging
import shutil
import sys
import threading
import time
from typing import Any, TextIO

from engine.jobs import JobContext, JobHandle, JobOutcome
from engine.jobs.events import Cancelled, Event, Failed, Log, Progress
from engine.jobs.runners import Job
from engine.logfile import log_job_event
from engine.sizes import format_size

log = logging.getLogger(__name__)


class ProgressPrinter:
    """Turns job events into a one-line bar (TTY) or sparse lines (pipes, CI logs)."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stage: str | None = None
        self._stage_start = time.monotonic()
        self._last_pct = -1
        self._line_open = False
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        log_job_event(log, event)
        with self._lock:
            if isinstance(event, Progress):
                self._progress(event)
            elif isinstance(event, Log):
                if self.quiet and event.level != "warning":
                    return
                self._close_line()
                prefix = "warning: " if event.level == "warning" else ""
                print(f"{prefix}{event.text}", file=self.stream, flush=True)
            elif isinstance(event, Cancelled):
                self._close_line()
                print(f"cancelled: {event.reason}", file=self.stream, flush=True)
            elif isinstance(event, Failed):
                self._close_line()

    def _progress(self, event: Progress) -> None:
        if self.quiet:
            return
        if event.stage != self._stage:
            self._close_line()
            self._stage = event.stage
            self._stage_start = time.monotonic()
            self._last_pct = -1
        frac = event.fraction
        elapsed = time.monotonic() - self._stage_start
        if self.tty:
            width = max(10, min(40, shutil.get_terminal_size((80, 20)).columns - 50))
            filled = int(width * (frac or 0))
            bar = "█" * filled + "·" * (width - filled)
            pct = f"{100 * frac:5.1f}%" if frac is not None else "  …  "
            eta = ""
            if frac and 0 < frac < 1 and elapsed > 1:
                eta = f" ETA {_fmt_secs(elapsed * (1 - frac) / frac)}"
            text = f"\r{event.stage:<18.18} {bar} {pct} {_fmt_amount(event)}{eta}"
            self.stream.write(text.ljust(78))
            self.stream.flush()
            self._line_open = True
        else:
            pct_i = int(100 * frac) if frac is not None else -1
            if pct_i >= self._last_pct + 25 or (
                frac is not None and frac >= 1 and self._last_pct < 100
            ):
                self._last_pct = pct_i
                print(f"{event.stage}: {pct_i}% {_fmt_amount(event)}", file=self.stream, flush=True)

    def _close_line(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False

    def close(self) -> None:
        with self._lock:
            self._close_line()


def _fmt_amount(event: Progress) -> str:
    if event.unit == "B":
        return f"{format_size(event.done)}/{format_size(event.total)}"
    if event.total:
        unit = f" {event.unit}" if event.unit else ""
        return f"{event.done:g}/{event.total:g}{unit}"
    return ""


def _fmt_secs(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def run_cli_job(job: Job, spec: Any, *, quiet: bool = False) -> JobOutcome:
    """Run ``job`` in a worker thread (:class:`engine.jobs.JobHandle`) so Ctrl-C can cancel
    it cleanly.

    Ctrl-C sets the job's cancel flag; the job stops at its next check, removes its
    ``*.partial`` files and the outcome is "cancelled" (exit 130). A second Ctrl-C while
    it stops only repeats the message.
    """
    printer = ProgressPrinter(quiet=quiet)
    return follow(JobHandle(job, spec, ctx=JobContext(printer)), printer)


def follow(
    handle: JobHandle, printer: ProgressPrinter, *, stopping: str = "stopping…"
) -> JobOutcome:
    """Start ``handle`` (whose events go to ``printer``) and wait for its outcome; Ctrl-C
    cancels it (``stopping`` is said), a second one only says it again."""
    handle.start()
    while True:
        try:
            outcome = handle.wait(0.2)
            if outcome is not None:
                break
        except KeyboardInterrupt:
            first = not handle.ctx.cancelled
            handle.cancel()
            log.info("Ctrl-C: cancelling the job")
            printer(Log(text=stopping if first else "still " + stopping, level="warning"))
    printer.close()
    return outcome


def exit_code(outcome: JobOutcome) -> int:
    """0 finished, 1 failed (message printed), 130 cancelled."""
    if outcome.ok:
        return 0
    if outcome.status == "cancelled":
        return 130
    print(f"error: {outcome.error}", file=sys.stderr)
    return 1
