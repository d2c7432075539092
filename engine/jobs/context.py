"""The ``ctx`` handed to every job: progress, log and cancel."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

from engine.errors import JobCancelled
from engine.jobs.events import Event, Log, Progress
from engine.jobs.vocabulary import wire_name

EventSink = Callable[[Event], None]

# Tests only: seconds to sleep on every progress report, so a subprocess test can press
# Ctrl-C in the middle of a job that would otherwise finish before the signal arrives.
TEST_SLOWDOWN_ENV = "TUNEFORGE_TEST_PROGRESS_DELAY"


def _test_slowdown() -> float:
    try:
        return max(0.0, float(os.environ.get(TEST_SLOWDOWN_ENV, "") or 0.0))
    except ValueError:
        return 0.0


class JobContext:
    """What a job talks through. Thread-safe; cheap to call often.

    ``progress`` calls are coalesced: the same stage is forwarded at most every
    ``min_interval`` seconds, except its first and last update, so a job may report
    every tensor or every megabyte without flooding a GUI or a pipe.
    """

    def __init__(
        self,
        sink: EventSink | None = None,
        *,
        cancel_event: threading.Event | None = None,
        min_interval: float = 0.05,
    ) -> None:
        self._sink = sink or (lambda event: None)
        self.cancel_event = cancel_event or threading.Event()
        self._min_interval = min_interval
        self._last_sent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._slowdown = _test_slowdown()

    # -- what jobs call -------------------------------------------------------------
    def progress(self, stage: str, done: float, total: float, *, unit: str = "") -> None:
        stage = wire_name(stage)  # a Stage member travels as its plain name
        if self._slowdown:
            time.sleep(self._slowdown)
        now = time.monotonic()
        with self._lock:
            last = self._last_sent.get(stage)
            final = total > 0 and done >= total
            if last is not None and not final and now - last < self._min_interval:
                return
            self._last_sent[stage] = now
        self._sink(Progress(stage=stage, done=done, total=total, unit=unit))

    def log(self, text: str, *, level: str = "info") -> None:
        self._sink(Log(text=text, level=level))

    def warn(self, text: str) -> None:
        self.log(text, level="warning")

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the user asked to stop."""
        if self.cancel_event.is_set():
            raise JobCancelled()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def stage(
        self,
        stage: str,
        *,
        renames: Mapping[str, str] | None = None,
        log_other_stages: bool = False,
    ) -> JobContext:
        """A child context for an inner job whose progress shows under ``stage`` of this one.

        The inner job's progress is reported as ``stage`` — or as ``renames[inner_stage]``
        for the inner stages named there —, its log lines pass through, and it shares this
        context's cancel flag. With ``log_other_stages`` the inner stage names that are not
        renamed (e.g. Ollama's own statuses) are also logged at debug level.
        """
        target = wire_name(stage)
        names = {inner: wire_name(outer) for inner, outer in (renames or {}).items()}

        def sink(event: Event) -> None:
            if isinstance(event, Progress):
                if log_other_stages and event.stage not in names:
                    self.log(event.stage, level="debug")
                self.progress(
                    names.get(event.stage, target), event.done, event.total, unit=event.unit
                )
            elif isinstance(event, Log):
                self.log(event.text, level=event.level)

        # The parent coalesces; the child forwards every update to it.
        return JobContext(sink, cancel_event=self.cancel_event, min_interval=0)

    # -- what runners call ----------------------------------------------------------
    def cancel(self) -> None:
        self.cancel_event.set()

    def emit(self, event: Event) -> None:
        self._sink(event)


def null_context() -> JobContext:
    """A context for library use and tests: ignores events, never cancelled."""
    return JobContext()
