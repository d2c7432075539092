"""THE job helper of the GUI: run engine work off the GUI thread, report back on it.

Every engine call the GUI makes goes through :func:`start_job` (a job
``(spec, ctx) -> result``) or :func:`call` (a plain function). The work runs in a
background thread (:class:`engine.jobs.JobHandle`, the runner the CLI uses too); its events are queued and handed
to the GUI thread through one queued Qt signal, so widgets are only ever touched there.
Progress is coalesced (only the newest update of each stage per GUI wake-up), items a
job posts with ``ctx.post(item)`` arrive batched as a list, and exactly one of
``finished`` / ``failed`` / ``cancelled`` ends every job. Cancelling is not failing.
A failure nobody listens for is never silent: it is logged and shown in an error box.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QMetaMethod, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget

from engine.errors import JobCancelled, TuneforgeError
from engine.jobs import Cancelled, Failed, Finished, JobContext, JobHandle, Log, Progress
from engine.logfile import log_job_event

Job = Callable[[Any, JobContext], Any]
_running: set[GuiJob] = set()  # keeps jobs alive (and findable at exit) while they run

_log = logging.getLogger("desktop.jobs")


class Posted:
    """An item a job handed to the GUI with ``ctx.post`` (chat deltas, partial results)."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item


class GuiJobContext(JobContext):
    """A :class:`JobContext` that can also post arbitrary items to the GUI."""

    def post(self, item: Any) -> None:
        self.emit(Posted(item))  # type: ignore[arg-type]


class GuiJob(QObject):
    """One running job. Connect to the signals, then :meth:`start`."""

    progress = Signal(str, float, float, str)  # stage, done, total, unit
    log = Signal(str, str)  # text, level
    posted = Signal(list)  # items from ctx.post, in order, batched
    finished = Signal(object)  # the job's result
    failed = Signal(object)  # a TuneforgeError (the original one when raised in-process)
    cancelled = Signal()
    ended = Signal(str)  # "finished" | "failed" | "cancelled", after the signal above

    _wake = Signal()

    def __init__(self, job: Job, spec: Any = None, *, owner: QObject | None = None) -> None:
        super().__init__()
        self._job = job
        self._spec = spec
        self._owner = owner
        self._lock = threading.Lock()
        self._queue: list[Any] = []
        self._wake_pending = False
        self._result: Any = None
        self._error: BaseException | None = None
        self.status = "pending"  # → "running" → "finished" | "failed" | "cancelled"
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self.ctx = GuiJobContext(self._sink)
        self._handle = JobHandle(self._wrapped, spec, ctx=self.ctx)
        if owner is not None:
            owner.destroyed.connect(self.cancel)

    # -- GUI thread API ----------------------------------------------------------------
    def start(self) -> GuiJob:
        self.status = "running"
        _running.add(self)
        self._handle.start()
        return self

    def cancel(self) -> None:
        """Ask the job to stop; ``cancelled`` follows once it has cleaned up."""
        self.ctx.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self.ctx.cancelled

    @property
    def running(self) -> bool:
        return self.status == "running"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker thread ends (tests, shutdown). True if it ended."""
        self._handle.wait(timeout)
        return self._handle.done

    # -- worker thread -----------------------------------------------------------------
    def _wrapped(self, spec: Any, ctx: JobContext) -> Any:
        try:
            self._result = self._job(spec, ctx)
        except JobCancelled:
            raise
        except BaseException as exc:
            if ctx.cancelled:
                # Stopping often breaks what the job was doing (a closed connection, a
                # removed file): an error after a cancel is the cancel, not a failure.
                raise JobCancelled() from exc
            self._error = exc
            raise
        if ctx.cancelled:
            # The job returned although it was asked to stop: treat it as stopped.
            raise JobCancelled()
        return self._result

    def _sink(self, event: Any) -> None:
        log_job_event(_log, event)
        with self._lock:
            self._queue.append(event)
            if self._wake_pending:
                return
            self._wake_pending = True
        try:
            self._wake.emit()
        except RuntimeError:
            pass  # the QObject is gone (app closing); nothing left to tell

    # -- GUI thread: deliver -----------------------------------------------------------
    def _drain(self) -> None:
        with self._lock:
            events, self._queue = self._queue, []
            self._wake_pending = False
        if self._owner is not None and not shiboken6.isValid(self._owner):
            # The widget that asked is gone: say nothing, but still end the job.
            for event in events:
                if isinstance(event, (Finished, Failed, Cancelled)):
                    _running.discard(self)
                    self.status = event.kind
            return
        last_progress = {e.stage: i for i, e in enumerate(events) if isinstance(e, Progress)}
        batch: list[Any] = []
        for i, event in enumerate(events):
            if isinstance(event, Posted):
                batch.append(event.item)
                continue
            if batch:
                self.posted.emit(batch)
                batch = []
            if isinstance(event, Progress):
                if last_progress[event.stage] == i:
                    self.progress.emit(
                        event.stage, float(event.done), float(event.total), event.unit
                    )
            elif isinstance(event, Log):
                self.log.emit(event.text, event.level)
            elif isinstance(event, (Finished, Failed, Cancelled)):
                self._end(event)
        if batch:
            self.posted.emit(batch)

    def _end(self, event: Finished | Failed | Cancelled) -> None:
        _running.discard(self)
        self.status = event.kind
        if isinstance(event, Finished):
            self.finished.emit(self._result)
        elif isinstance(event, Failed):
            err = self._error
            if not isinstance(err, TuneforgeError):
                err = TuneforgeError.from_dict(event.error)
                if self._error is not None:
                    err.__cause__ = self._error
            if not self.isSignalConnected(QMetaMethod.fromSignal(self.failed)):
                show_unhandled_error(err, self._owner)
            self.failed.emit(err)
        else:
            self.cancelled.emit()
        self.ended.emit(self.status)


def show_unhandled_error(error: TuneforgeError, owner: QObject | None = None) -> None:
    """The default error handler of GUI jobs: a failure that no one handles is logged and
    shown in an error box (over ``owner`` when it is a widget), never silently dropped."""
    _log.error("a background job failed: %s", error, exc_info=error)
    if QApplication.instance() is None:
        return
    from desktop.widgets.dialogs import error_dialog

    parent = owner if isinstance(owner, QWidget) else QApplication.activeWindow()
    title = QCoreApplication.translate("jobs", "Something went wrong")
    _unhandled.append(error_dialog(parent, title, error))
    del _unhandled[:-5]


_unhandled: list[QObject] = []  # the latest boxes, kept alive while they are shown


def log_error(error: TuneforgeError) -> None:
    """An ``on_error`` for background work whose failure the page shows otherwise (or that
    is only a convenience, like a list refresh): logged, no box."""
    _log.warning("a background job failed: %s", error)


def start_job(
    job: Job,
    spec: Any = None,
    *,
    owner: QObject | None = None,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[TuneforgeError], None] | None = None,
    on_progress: Callable[[str, float, float, str], None] | None = None,
    on_log: Callable[[str, str], None] | None = None,
    on_posted: Callable[[list], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_ended: Callable[[str], None] | None = None,
) -> GuiJob:
    """Run ``job(spec, ctx)`` in the background; the callbacks run on the GUI thread.

    With ``owner`` (a widget), the job is cancelled and goes quiet when the owner is
    destroyed, so callbacks never reach a deleted widget.
    """
    gui_job = GuiJob(job, spec, owner=owner)
    for signal, slot in (
        (gui_job.finished, on_result),
        (gui_job.failed, on_error),
        (gui_job.progress, on_progress),
        (gui_job.log, on_log),
        (gui_job.posted, on_posted),
        (gui_job.cancelled, on_cancelled),
        (gui_job.ended, on_ended),
    ):
        if slot is not None:
            signal.connect(slot)
    return gui_job.start()


def call(
    fn: Callable[..., Any],
    *args: Any,
    owner: QObject | None = None,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[TuneforgeError], None] | None = None,
    on_ended: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> GuiJob:
    """Run a plain function ``fn(*args, **kwargs)`` off the GUI thread, as a job."""

    def job(_spec: Any, _ctx: JobContext) -> Any:
        return fn(*args, **kwargs)

    return start_job(job, owner=owner, on_result=on_result, on_error=on_error, on_ended=on_ended)


def running_jobs() -> list[GuiJob]:
    return list(_running)


def cancel_all(wait_seconds: float = 3.0) -> None:
    """At exit: ask every job to stop and give them a moment to clean up their files."""
    jobs = list(_running)
    for job in jobs:
        job.cancel()
    for job in jobs:
        job.wait(wait_seconds / max(1, len(jobs)))
