"""Show a remote run's ``events.jsonl`` records as the same job events a local run prints,
and keep the follow state (box, run id, byte offset) in the local ``--out`` folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.jobs.atomic import atomic_file
from engine.jobs.events import Event, Log, Progress

STATE_FILE = ".tuneforge-remote.json"


def record_to_events(record: dict[str, Any]) -> list[Event]:
    kind = record.get("event")
    if kind == "step":
        return [Progress(stage="train", done=int(record["step"]), total=int(record.get("total", 0) or 0), unit="steps"),
                Log(text=f"step {record['step']} loss {float(record['loss']):.4f} lr {float(record['lr']):.2e} "
                    f"grad_norm {float(record['grad_norm']):.3f} {float(record.get('tokens_per_s', 0)):.0f} tok/s",
                    level="debug")]  # fmt: skip
    if kind == "started":
        return [Log(text=f"training {record.get('examples')} examples for {record.get('total_steps')} steps "
                    f"on {record.get('device')} ({record.get('compute')})")]  # fmt: skip
    if kind == "eval":
        return [Log(text=f"step {record['step']}: eval loss {float(record['eval_loss']):.4f}")]
    if kind == "checkpoint":
        return [Log(text=f"checkpoint saved at step {record['step']}", level="debug")]
    if kind == "advice":
        return [Log(text=f"advice: {record.get('message', record)}", level="warning")]
    if kind == "stopped":
        return [
            Log(
                text=f"stopped at step {record.get('step')}; a checkpoint is saved", level="warning"
            )
        ]
    if kind == "failed":
        return [Log(text=f"failed: {record.get('message')}", level="warning")]
    if kind == "finished":
        return [Log(text=f"finished: loss {record.get('loss')}")]
    if kind == "resumed":
        return [Log(text=f"resumed from step {record.get('step')}")]
    return []


class StepTotals:
    """``step`` records lack the total; the ``started`` record has it."""

    def __init__(self, sink: Callable[[Event], None]) -> None:
        self.sink = sink
        self.total = 0

    def __call__(self, record: dict[str, Any]) -> None:
        if record.get("event") == "started":
            self.total = int(record.get("total_steps") or 0)
        if record.get("event") == "step" and self.total:
            record = {**record, "total": self.total}
        for event in record_to_events(record):
            self.sink(event)


def load_state(out: Path) -> dict[str, Any]:
    path = out / STATE_FILE
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except ValueError:
        return {}


def save_state(out: Path, **state: Any) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with atomic_file(out / STATE_FILE) as tmp:
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
