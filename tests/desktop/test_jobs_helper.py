"""desktop.jobs: engine work off the GUI thread, events back on it, cancel is not failure."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop import jobs
from engine.errors import InputError, TuneforgeError


def _gui_thread() -> QThread:
    return QApplication.instance().thread()


def test_result_progress_and_log_arrive_on_the_gui_thread(qtbot):
    worker_threads: list[str] = []
    seen: dict[str, list] = {"progress": [], "log": [], "result": [], "threads": []}

    def job(spec, ctx):
        worker_threads.append(threading.current_thread().name)
        for i in range(1, 201):
            ctx.progress("work", i, 200, unit="B")
        ctx.log("half way")
        return {"answer": spec * 2}

    def on_progress(stage, done, total, unit):
        seen["progress"].append((stage, done, total, unit))
        seen["threads"].append(QThread.currentThread() is _gui_thread())

    gui_job = jobs.GuiJob(job, 21)
    gui_job.progress.connect(on_progress)
    gui_job.log.connect(lambda text, level: seen["log"].append((text, level)))
    gui_job.finished.connect(
        lambda r: seen["result"].append((r, QThread.currentThread() is _gui_thread()))
    )
    with qtbot.waitSignal(gui_job.ended, timeout=5000) as ended:
        gui_job.start()
    assert ended.args == ["finished"]
    assert worker_threads and worker_threads[0] != threading.main_thread().name
    assert seen["result"] == [({"answer": 42}, True)]
    assert all(seen["threads"])
    assert seen["progress"][-1] == ("work", 200.0, 200.0, "B")  # the last update always arrives
    assert len(seen["progress"]) < 200  # coalesced, not one signal per update
    assert seen["log"] == [("half way", "info")]


def test_posted_items_arrive_in_order_and_batched(qtbot):
    def job(_spec, ctx):
        for i in range(500):
            ctx.post(i)
        return "done"

    batches: list[list[int]] = []
    gui_job = jobs.GuiJob(job)
    gui_job.posted.connect(batches.append)
    with qtbot.waitSignal(gui_job.finished, timeout=5000):
        gui_job.start()
    assert [i for batch in batches for i in batch] == list(range(500))
    assert len(batches) < 500


def test_errors_keep_message_and_hint(qtbot):
    def job(_spec, _ctx):
        raise InputError(
            "the folder has no config.json", hint="Drop the model folder.", path="C:/模型"
        )

    errors: list[TuneforgeError] = []
    gui_job = jobs.start_job(job, on_error=errors.append)
    qtbot.waitUntil(lambda: gui_job.status == "failed", timeout=5000)
    assert isinstance(errors[0], InputError)
    assert errors[0].hint == "Drop the model folder."


def test_unexpected_exceptions_become_readable_errors(qtbot):
    errors: list[TuneforgeError] = []
    gui_job = jobs.call(lambda: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: gui_job.status == "failed", timeout=5000)
    assert "ZeroDivisionError" in errors[0].message
    assert errors[0].hint  # says it is a bug and what to report


def test_cancel_is_not_a_failure(qtbot):
    started = threading.Event()

    def job(_spec, ctx):
        started.set()
        while True:
            ctx.check_cancelled()
            time.sleep(0.01)

    outcomes: list[str] = []
    failures: list[object] = []
    gui_job = jobs.start_job(job, on_error=failures.append, on_ended=outcomes.append)
    assert started.wait(5)
    assert gui_job in jobs.running_jobs()
    gui_job.cancel()
    qtbot.waitUntil(lambda: outcomes == ["cancelled"], timeout=5000)
    assert failures == []
    assert gui_job not in jobs.running_jobs()


def test_a_job_that_ignores_cancel_still_ends_cancelled(qtbot):
    gate = threading.Event()

    def job(_spec, _ctx):
        gate.wait(5)
        return "finished anyway"

    outcomes: list[str] = []
    gui_job = jobs.start_job(job, on_ended=outcomes.append)
    gui_job.cancel()
    gate.set()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=5000)
    assert outcomes == ["cancelled"]


def test_owner_destroyed_cancels_and_silences(qtbot):
    owner = QWidget()
    release = threading.Event()
    heard: list[object] = []

    def job(_spec, ctx):
        release.wait(5)
        ctx.log("late news")
        ctx.check_cancelled()
        return "late"

    gui_job = jobs.start_job(
        job,
        owner=owner,
        on_result=lambda r: heard.append(("result", r)),
        on_log=lambda text, level: heard.append(("log", text)),
        on_cancelled=lambda: heard.append("cancelled"),
        on_ended=lambda status: heard.append(("ended", status)),
    )
    owner.deleteLater()
    qtbot.waitUntil(lambda: gui_job.cancel_requested, timeout=5000)
    release.set()
    assert gui_job.wait(5)
    qtbot.waitUntil(lambda: gui_job.status == "cancelled", timeout=5000)
    qtbot.wait(50)
    # cancelled, ended and no longer listed as running, but not one callback was called
    assert heard == []
    assert gui_job not in jobs.running_jobs()


@pytest.mark.parametrize("count", [3])
def test_cancel_all_waits_for_jobs(qtbot, count):
    def job(_spec, ctx):
        while not ctx.cancelled:
            time.sleep(0.01)
        ctx.check_cancelled()

    running = [jobs.start_job(job) for _ in range(count)]
    jobs.cancel_all(wait_seconds=5)
    assert all(j.wait(0) for j in running)  # every worker thread has ended


def test_an_error_caused_by_the_cancel_is_still_a_cancel(qtbot):
    started = threading.Event()

    def job(_spec, ctx):
        started.set()
        ctx.cancel_event.wait(5)
        raise ConnectionResetError("the connection was closed by the cancel")

    outcomes: list[str] = []
    failures: list[object] = []
    gui_job = jobs.start_job(job, on_error=failures.append, on_ended=outcomes.append)
    assert started.wait(5)
    gui_job.cancel()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=5000)
    assert outcomes == ["cancelled"] and failures == []


def _error_boxes(owner):
    return [box for box in owner.findChildren(QMessageBox) if box.objectName() == "ErrorDialog"]


def test_a_failure_nobody_handles_is_logged_and_shown(qtbot, caplog):
    owner = QWidget()
    qtbot.addWidget(owner)

    def job(_spec, _ctx):
        raise InputError("the file is broken", hint="Pick another file.")

    with caplog.at_level(logging.ERROR, logger="desktop.jobs"):
        gui_job = jobs.start_job(job, owner=owner)
        qtbot.waitUntil(lambda: gui_job.status == "failed", timeout=5000)
    assert "the file is broken" in caplog.text
    (box,) = _error_boxes(owner)
    assert box.text() == "The file is broken" and box.informativeText() == "Pick another file."


def test_a_handled_failure_shows_no_box(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    errors = []

    def job(_spec, _ctx):
        raise InputError("the file is broken")

    gui_job = jobs.start_job(job, owner=owner, on_error=errors.append)
    qtbot.waitUntil(lambda: gui_job.status == "failed", timeout=5000)
    assert [e.message for e in errors] == ["the file is broken"] and _error_boxes(owner) == []
