"""The job protocol: events round-trip NDJSON; runners report finished/failed/cancelled;
cancel leaves no partial output, in a thread and in a child process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.errors import InputError, JobCancelled
from engine.jobs import (
    Cancelled,
    Failed,
    Finished,
    JobContext,
    JobHandle,
    Log,
    Progress,
    atomic_dir,
    atomic_file,
    codec,
    event_from_json,
    event_to_json,
    partial_path,
    run_in_child,
    run_job,
)
from engine.jobs.diagnostics import TickResult, TickSpec, tick_job


@pytest.mark.parametrize(
    "event",
    [
        Progress(stage="convert", done=3, total=10, unit="tensors"),
        Log(text="模型 loaded ✓", level="warning"),
        Finished(result={"path": "C:/Users/DK/投喂的 资料/m.gguf", "n": 3}),
        Failed(error={"code": "input", "message": "bad", "path": "x"}),
        Cancelled(reason="stop"),
    ],
)
def test_events_round_trip_ndjson(event):
    line = event_to_json(event)
    assert "\n" not in line
    assert event_from_json(line) == event


def test_event_from_json_rejects_garbage():
    with pytest.raises(ValueError):
        event_from_json('{"kind": "nope"}')


def test_spec_codec_round_trip_with_paths(tmp_path):
    spec = TickSpec(steps=3, output=tmp_path / "投喂的 资料" / "out.txt", fail_at=None)
    plain = codec.to_plain(spec)
    again = codec.from_plain(plain)
    assert again == spec
    assert isinstance(again.output, Path)


def test_codec_refuses_non_engine_types():
    with pytest.raises(ValueError, match="only engine"):
        codec.from_plain({"__type__": "os:system"})


def test_run_job_finished_with_progress_and_output(tmp_path):
    events = []
    out = tmp_path / "资料 dir" / "ticks.txt"
    outcome = run_job(tick_job, TickSpec(steps=5, delay_s=0, output=out), on_event=events.append)
    assert outcome.ok and outcome.result == TickResult(steps_done=5, output=out)
    assert out.read_text(encoding="utf-8").count("step") == 5
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == 5 and progress[-1].total == 5
    assert isinstance(events[-1], Finished)


def test_run_job_failure_is_reported_with_fields(tmp_path):
    out = tmp_path / "out.txt"
    events = []
    outcome = run_job(
        tick_job, TickSpec(steps=5, delay_s=0, fail_at=2, output=out), on_event=events.append
    )
    assert outcome.status == "failed"
    assert isinstance(outcome.error, InputError)
    assert outcome.error.field == "fail_at"
    assert isinstance(events[-1], Failed) and events[-1].error["code"] == "input"
    assert not out.exists() and not partial_path(out).exists()


def test_unexpected_exception_becomes_internal_error():
    def broken(spec, ctx):
        raise ZeroDivisionError("boom")

    outcome = run_job(broken, None)
    assert outcome.status == "failed"
    assert "ZeroDivisionError" in outcome.error.message


def test_cancel_in_thread_leaves_no_partial(tmp_path):
    out = tmp_path / "out.txt"
    events = []
    handle = JobHandle(
        tick_job, TickSpec(steps=500, delay_s=0.01, output=out), events.append
    ).start()
    time.sleep(0.15)
    handle.cancel()
    outcome = handle.wait(5)
    assert outcome is not None and outcome.status == "cancelled"
    assert isinstance(events[-1], Cancelled)
    assert not any(isinstance(e, Failed) for e in events)
    assert not out.exists() and not partial_path(out).exists()


def test_progress_is_coalesced_but_keeps_the_final_update():
    seen = []
    ctx = JobContext(seen.append, min_interval=10)
    for i in range(1, 1001):
        ctx.progress("x", i, 1000)
    assert len(seen) == 2  # the first and the final one
    assert seen[-1].done == 1000


def test_check_cancelled_raises():
    ctx = JobContext()
    ctx.check_cancelled()
    ctx.cancel()
    with pytest.raises(JobCancelled):
        ctx.check_cancelled()


def test_atomic_file_keeps_old_file_on_failure(tmp_path):
    final = tmp_path / "model.gguf"
    final.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_file(final) as tmp:
        tmp.write_text("new half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert final.read_text(encoding="utf-8") == "old"
    assert not partial_path(final).exists()


def test_atomic_dir_replaces_whole_folder(tmp_path):
    final = tmp_path / "merged 模型"
    with atomic_dir(final) as tmp:
        (tmp / "a.txt").write_text("1", encoding="utf-8")
    with atomic_dir(final) as tmp:
        (tmp / "b.txt").write_text("2", encoding="utf-8")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]
    with pytest.raises(JobCancelled), atomic_dir(final) as tmp:
        (tmp / "c.txt").write_text("3", encoding="utf-8")
        raise JobCancelled()
    assert sorted(p.name for p in final.iterdir()) == ["b.txt"]
    assert not partial_path(final).exists()


# -- child process ------------------------------------------------------------------
def test_child_process_streams_events_and_result(tmp_path):
    out = tmp_path / "投喂的 资料" / "child.txt"
    events = []
    outcome = run_in_child(
        "engine.jobs.diagnostics:tick_job",
        TickSpec(steps=4, delay_s=0, output=out),
        on_event=events.append,
    )
    assert outcome.ok, outcome.error
    assert outcome.result == TickResult(steps_done=4, output=out)
    assert any(isinstance(e, Log) and "ticking" in e.text for e in events)
    assert [e.done for e in events if isinstance(e, Progress)][-1] == 4
    assert out.read_text(encoding="utf-8").count("step") == 4


def test_child_process_failure_keeps_structured_error():
    outcome = run_in_child(
        "engine.jobs.diagnostics:tick_job", TickSpec(steps=3, delay_s=0, fail_at=1)
    )
    assert outcome.status == "failed"
    assert outcome.error.code == "input" and outcome.error.field == "fail_at"


@pytest.mark.parametrize("ignore_cancel", [False, True], ids=["graceful", "killed"])
def test_child_process_cancel(tmp_path, ignore_cancel):
    out = tmp_path / "child.txt"
    cancel = threading.Event()
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, Progress) and event.done >= 3:
            cancel.set()

    started = time.monotonic()
    outcome = run_in_child(
        "engine.jobs.diagnostics:tick_job",
        TickSpec(steps=100_000, delay_s=0.01, output=out, ignore_cancel=ignore_cancel),
        on_event=on_event,
        cancel_event=cancel,
        grace_seconds=1.0,
        outputs=[out],
    )
    assert outcome.status == "cancelled"
    assert time.monotonic() - started < 30
    assert isinstance(events[-1], Cancelled)
    # a graceful stop cleans up itself; after a kill the runner removes the partial
    assert not out.exists() and not partial_path(out).exists()


def test_child_refuses_non_engine_job():
    # builtins:print accepts (spec, ctx) and would "finish": only the guard refuses it
    outcome = run_in_child("builtins:print", TickSpec())
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "only engine.* objects may be named" in outcome.error.details["stderr"]


# -- the one thread runner, over a child process -------------------------------------
def test_child_job_in_the_thread_runner_reports_like_an_in_process_job(tmp_path):
    from engine.jobs.runners import child_job

    out = tmp_path / "子 job.txt"
    events = []
    job = child_job("engine.jobs.diagnostics:tick_job", grace_seconds=1.0, outputs=[out])
    handle = JobHandle(job, TickSpec(steps=3, delay_s=0, output=out), events.append).start()
    outcome = handle.wait(60)
    assert handle.done and outcome is not None and outcome.ok, outcome
    assert outcome.result == TickResult(steps_done=3, output=out)
    assert [type(e) for e in events].count(Finished) == 1  # the child's own end is not repeated
    assert isinstance(events[-1], Finished) and any(isinstance(e, Progress) for e in events)

    failed = JobHandle(job, TickSpec(steps=3, delay_s=0, fail_at=1)).start().wait(60)
    assert failed is not None and failed.status == "failed" and failed.error.field == "fail_at"

    seen = []

    def cancel_at_three(event):
        seen.append(event)
        if isinstance(event, Progress) and event.done >= 3:
            stopping.cancel()

    never = tmp_path / "never.txt"
    spec = TickSpec(steps=100_000, delay_s=0.01, output=never)
    stopping = JobHandle(job, spec, cancel_at_three).start()
    stopped = stopping.wait(60)
    assert stopped is not None and stopped.status == "cancelled"
    assert isinstance(seen[-1], Cancelled)
    assert not never.exists() and not partial_path(never).exists()


def test_wait_with_a_timeout_says_not_yet():
    handle = JobHandle(tick_job, TickSpec(steps=200, delay_s=0.01)).start()
    assert handle.wait(0.01) is None and not handle.done
    handle.cancel()
    assert handle.wait(10) is not None and handle.done
