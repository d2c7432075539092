"""The job protocol's words: Stage/SourceKind on the wire, and ``ctx.stage`` child contexts."""

from __future__ import annotations

import json

import pytest

from engine.errors import JobCancelled
from engine.jobs import JobContext, SourceKind, Stage, event_to_json
from engine.jobs.events import Log, Progress


def test_members_are_their_wire_strings():
    assert (
        Stage.UPLOAD == "upload" and f"{Stage.UPLOAD}" == "upload" and str(Stage.SMOKE) == "smoke"
    )
    assert {Stage.MERGE: 1.0}["merge"] == 1.0  # stage_seconds keys read as plain names
    assert SourceKind("lora_adapter") is SourceKind.LORA_ADAPTER
    assert json.dumps({Stage.CREATE: SourceKind.GGUF}) == '{"create": "gguf"}'


def test_progress_events_carry_plain_stage_names():
    events = []
    JobContext(events.append).progress(Stage.CONVERT, 1, 2)
    (event,) = events
    assert type(event.stage) is str and event.stage == "convert"
    assert json.loads(event_to_json(event))["stage"] == "convert"


def test_stage_child_context_renames_logs_and_shares_cancel():
    events = []
    parent = JobContext(events.append, min_interval=0)
    child = parent.stage(Stage.CREATE, renames={"uploading": Stage.UPLOAD}, log_other_stages=True)
    child.progress("uploading", 5, 10, unit="B")
    child.progress("parsing GGUF", 1, 0)
    child.log("hello", level="warning")
    assert events == [
        Progress(stage="upload", done=5, total=10, unit="B"),
        Log(text="parsing GGUF", level="debug"),
        Progress(stage="create", done=1, total=0),
        Log(text="hello", level="warning"),
    ]
    plain = parent.stage("merge")
    plain.progress("download", 1, 3)
    assert events[-1] == Progress(stage="merge", done=1, total=3)
    parent.cancel()
    with pytest.raises(JobCancelled):
        child.check_cancelled()
