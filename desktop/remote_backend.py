"""Train on a saved remote box (engine.remote) behind the :mod:`desktop.train_backend` interface.

Everything here runs in worker jobs (never on the GUI thread) and only calls
``engine.remote``: submit, follow, stop, resume and fetch. The local run folder holds

* ``.tuneforge-remote.json``: the box, the run id and the byte offset followed so far (the
  same state file ``tuneforge remote attach`` keeps, so either can continue the other);
* ``events.jsonl``: a copy of every record followed so far (the chart after a restart);
* ``run.json``: base, data and box, so the run shows in the history before it is fetched;

and, once the run finished, the fetched adapter, run.json, events.jsonl and loss.png.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled
from engine.jobs.atomic import atomic_file
from engine.jobs.events import Log
from engine.remote.display import load_state, record_to_events, save_state
from engine.train.rundir import EVENTS_FILE, read_events

RUN_FILE = "run.json"
TERMINAL = ("finished", "failed", "stopped")

# TrainSpec field → ``tuneforge train`` flag (the box runs the CLI). Fields the CLI has no
# flag for (save_total_limit, weight_decay, attn) keep the engine default on a box.
_FLAGS = {"dataset": "--dataset", "device": "--device", "compute": "--compute",
          "epochs": "--epochs", "max_steps": "--max-steps", "max_samples": "--max-samples",
          "lr": "--lr", "scheduler": "--scheduler", "warmup_steps": "--warmup-steps",
          "batch_size": "--batch-size", "grad_accum": "--grad-accum", "cutoff": "--cutoff",
          "lora_rank": "--lora-rank", "lora_alpha": "--lora-alpha",
          "lora_dropout": "--lora-dropout", "lora_targets": "--lora-targets",
          "val_size": "--val-size", "eval_steps": "--eval-steps", "save_steps": "--save-steps",
          "seed": "--seed", "max_grad_norm": "--max-grad-norm"}  # fmt: skip
_SWITCHES = {"qlora": "--qlora", "rslora": "--rslora", "packing": "--packing",
             "last_turn_only": "--last-turn-only", "train_on_prompt": "--train-on-prompt",
             "skip_invalid": "--skip-invalid"}  # fmt: skip


def train_args(spec: Any) -> list[str]:
    """The training options of a ``TrainSpec`` as ``tuneforge train`` arguments for the box."""
    out: list[str] = []
    for field, flag in _FLAGS.items():
        value = getattr(spec, field, None)
        if value is not None:
            out += [flag, str(value)]
    for field, flag in _SWITCHES.items():
        if getattr(spec, field, False):
            out.append(flag)
    if not getattr(spec, "gradient_checkpointing", True):
        out.append("--no-gradient-checkpointing")
    if getattr(spec, "liger", "off") == "auto":
        out.append("--liger")
    return out


@dataclass(frozen=True, kw_only=True)
class RemoteAttach:
    """Follow a run already going on a box (after a restart): its local folder."""

    out: Path
    resume: bool = False


def remote_of(run_dir: Path) -> dict[str, Any]:
    """``{"box", "run_id", "offset", …}`` of a local folder that follows a remote run, else {}."""
    state = load_state(Path(run_dir))
    return state if state.get("box") and state.get("run_id") else {}


def _write_run_record(out: Path, *, spec: Any, box: str, base: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    record = {"spec": {"base": base, "data": str(spec.data), "dataset": spec.dataset},
              "total_steps": 0, "remote": {"box": box}}  # fmt: skip
    with atomic_file(out / RUN_FILE) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


def list_runs_with_place(root: Path) -> tuple[list[Any], dict[str, str]]:
    """The run history under ``root`` and, for each run on a box, the box's name."""
    from engine.train.overview import list_runs

    runs = list_runs([root])
    places = {str(r.path): str(remote_of(r.path)["box"]) for r in runs if remote_of(r.path)}
    return runs, places


def _local_spec(out: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((out / RUN_FILE).read_text(encoding="utf-8")).get("spec", {}))
    except (OSError, ValueError, AttributeError):
        return {}


def _keep_local_names(out: Path, *, base: str, data: str, box: str) -> None:
    """The fetched run.json names the box's paths; the history shows the user's own."""
    path = out / RUN_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not base:
        return
    spec = record.setdefault("spec", {})
    record["remote"] = {"box": box, "base": spec.get("base"), "data": spec.get("data")}
    spec["base"], spec["data"] = base, data
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")


class _UploadContext:
    """The job's context for the uploads before a run starts: Stop, and quitting the app
    (``detach``: nothing runs on the box yet to leave going), both end them."""

    def __init__(self, ctx: Any, detached: threading.Event) -> None:
        self._ctx, self._detached = ctx, detached

    @property
    def cancelled(self) -> bool:
        return bool(self._ctx.cancelled) or self._detached.is_set()

    def __getattr__(self, name: str) -> Any:  # progress, log …
        return getattr(self._ctx, name)


class RemoteBackend:
    """Train on the box ``box_name``: the run goes on when the app closes (``detach``)."""

    kind = "remote"

    def __init__(
        self, box_name: str, *, base: str | None = None, poll_seconds: float = 1.0
    ) -> None:
        self.box_name = box_name
        self.base = base  # a Hugging Face id the box downloads; None: upload the local base
        self.poll_seconds = poll_seconds
        self._detached = threading.Event()

    def detach(self) -> None:
        """Stop following but leave the run going on the box (the app is closing)."""
        self._detached.set()

    def run(self, spec: Any, ctx: Any) -> Path:
        from engine.remote import connect, resume, runtime_env, status, submit
        from engine.remote.box import check_box, require_trainable

        out = Path(spec.out)
        state = remote_of(out)
        with connect(state.get("box", self.box_name)) as conn:
            if state:  # attach (after a restart) or resume a stopped run
                run_id, offset = str(state["run_id"]), int(state.get("offset", 0))
                history = read_events(out)
                for record in history:
                    ctx.post(record)
                state_now = status(conn, run_id).status  # never a second process on a live run
                if state_now == "interrupted" or (spec.resume and state_now == "stopped"):
                    ctx.log(f"resuming {run_id} on {conn.box.name}")
                    resume(conn, run_id)
                    step = max((int(r.get("step", 0)) for r in history), default=0)
                    ctx.post({"event": "resumed", "step": step})
                total = next((int(r.get("total_steps", 0)) for r in reversed(history)
                              if r.get("event") == "started"), 0)  # fmt: skip
            else:
                ctx.progress("connect", 0, 1)
                need_gpu = getattr(spec, "device", "auto") != "cpu"
                require_trainable(check_box(conn), box=conn.box.name, need_gpu=need_gpu)
                base = self.base or str(spec.base)
                upload = None if self.base else Path(spec.base)
                ctx.log(f"uploading {Path(spec.data).name} to {conn.box.name}…")
                run_id = submit(conn, train_args=train_args(spec), data=Path(spec.data),
                                base=self.base or "", upload_base=upload, env=runtime_env(conn),
                                ctx=_UploadContext(ctx, self._detached))  # fmt: skip
                _write_run_record(out, spec=spec, box=conn.box.name, base=base)
                (out / EVENTS_FILE).write_bytes(b"")
                offset, total = 0, 0
                save_state(out, box=conn.box.name, run_id=run_id, offset=0, total=0)
                ctx.post({"event": "remote_started", "box": conn.box.name, "run_id": run_id})
                ctx.progress("connect", 1, 1)
            final = self._follow(conn, run_id, out, offset, total, ctx)
            if final == "detached":
                raise JobCancelled()
            if final == "finished":
                ctx.log(f"downloading the adapter from {conn.box.name}…")
                from engine.remote import fetch

                mine = _local_spec(out)
                fetch(conn, run_id, out)
                _keep_local_names(out, base=str(mine.get("base", "")),
                                  data=str(mine.get("data", "")), box=conn.box.name)  # fmt: skip
                return out
        if final in ("stopped", "interrupted") or ctx.cancelled:
            raise JobCancelled()
        from engine.remote.errors import RemoteError

        raise RemoteError(f"the run {run_id} on {conn.box.name} {final}", box=conn.box.name,
                          hint="Its log is in the run's folder on the box.", run_ended=True)  # fmt: skip

    def _follow(self, conn: Any, run_id: str, out: Path, offset: int, total: int, ctx: Any) -> str:
        from engine.remote import follow, stop

        stopping = False
        totals = {"total": total}

        def on_record(record: dict[str, Any]) -> None:
            if record.get("event") == "started":
                totals["total"] = int(record.get("total_steps") or 0)
            with open(out / EVENTS_FILE, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            ctx.post(record)
            if record.get("event") == "step" and totals["total"]:
                ctx.progress("train", int(record["step"]), totals["total"], unit="steps")
            for event in record_to_events(record):
                if isinstance(event, Log) and event.level != "debug":
                    ctx.emit(event)

        def on_offset(pos: int) -> None:
            save_state(out, box=conn.box.name, run_id=run_id, offset=pos, total=totals["total"])

        while True:
            if self._detached.is_set():
                return "detached"
            if ctx.cancelled and not stopping:
                stopping = True
                ctx.log(f"stopping {run_id}: the box saves a checkpoint…")
                stop(conn, run_id)
            final, offset = follow(conn, run_id, offset=offset, on_record=on_record,
                                   on_offset=on_offset, poll=min(self.poll_seconds, 1.0),
                                   timeout=self.poll_seconds)  # fmt: skip
            if final != "running":
                return str(final)
