"""Jobs: ``(spec, ctx) -> result`` with progress, log and cancel through ``ctx``."""

from engine.jobs.atomic import atomic_dir, atomic_file, partial_path
from engine.jobs.context import JobContext, null_context
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
from engine.jobs.runners import JobHandle, JobOutcome, run_in_child, run_job
from engine.jobs.vocabulary import SourceKind, Stage

__all__ = [
    "Cancelled",
    "Event",
    "Failed",
    "Finished",
    "JobContext",
    "JobHandle",
    "JobOutcome",
    "Log",
    "Progress",
    "SourceKind",
    "Stage",
    "atomic_dir",
    "atomic_file",
    "event_from_json",
    "event_to_json",
    "null_context",
    "partial_path",
    "run_in_child",
    "run_job",
]
