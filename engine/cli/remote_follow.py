"""Follow a remote run in the terminal exactly like a local one, then download it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def attach_and_fetch(**kwargs: Any) -> int:
    from engine.remote.ssh import guard_connection

    return int(guard_connection(_attach_and_fetch)(**kwargs))


def _attach_and_fetch(*, box_name: str, run_id: str, out: Path, verbose: bool = False) -> int:
    from engine.cli.progress import ProgressPrinter
    from engine.jobs.events import Event, Log
    from engine.remote import connect, fetch, follow, resume, status
    from engine.remote.display import StepTotals, load_state, save_state

    state = load_state(out)
    offset = int(state.get("offset", 0)) if state.get("run_id") == run_id else 0
    printer = ProgressPrinter()

    def sink(event: Event) -> None:
        if isinstance(event, Log) and event.level == "debug" and not verbose:
            return
        printer(event)

    totals = StepTotals(sink)
    totals.total = int(state.get("total", 0)) if state.get("run_id") == run_id else 0
    with connect(box_name) as conn:
        was = status(conn, run_id).status
        if was in ("interrupted", "stopped"):
            why = "was interrupted (box rebooted?)" if was == "interrupted" else "was stopped"
            printer(Log(text=f"the run {why}; resuming from its last checkpoint", level="warning"))
            resume(conn, run_id)

        def remember(pos: int) -> None:
            save_state(out, box=box_name, run_id=run_id, offset=pos, total=totals.total)

        try:
            final, _ = follow(conn, run_id, offset=offset, on_record=totals, on_offset=remember)
        except KeyboardInterrupt:
            printer.close()
            print(f"detached; the run goes on. Follow again with: tuneforge remote attach {box_name} "
                  f"{run_id} --out \"{out}\"", file=sys.stderr)  # fmt: skip
            return 130
        printer.close()
        files = fetch(conn, run_id, out)
    print(f"run {run_id} {final}; downloaded {len(files)} files into {out}")
    if final == "finished":
        print(f'next: tuneforge package "{out / "adapter"}" --name my-model')
        return 0
    if final == "stopped":
        print(
            f'resume with: tuneforge remote attach {box_name} {run_id} --out "{out}"',
            file=sys.stderr,
        )
        return 130
    return 1


def train_on_box(**kwargs: Any) -> int:
    from engine.remote.ssh import guard_connection

    return int(guard_connection(_train_on_box)(**kwargs))


def _train_on_box(*, box_name: str, train_args: list[str], data: Path, base: str,
                 upload_base: Path | None, out: Path, verbose: bool) -> int:  # fmt: skip
    from engine.remote import check_box, connect, runtime_env, submit
    from engine.remote.box import require_trainable
    from engine.remote.ssh import guard_connection

    with connect(box_name) as conn:
        need_gpu = (
            "--device" not in train_args or train_args[train_args.index("--device") + 1] != "cpu"
        )
        require_trainable(check_box(conn), box=box_name, need_gpu=need_gpu)
        print(f"uploading {data.name} to {box_name}…", file=sys.stderr)
        env = runtime_env(conn)

        def upload(_spec: Any, ctx: Any) -> str:  # a job: Ctrl-C cancels it through ctx
            return str(guard_connection(submit)(conn, train_args=train_args, data=data, base=base,
                                                upload_base=upload_base, env=env, ctx=ctx))  # fmt: skip

        outcome = _run_upload(upload)
        if outcome.status == "cancelled":
            print("upload cancelled, no run started; run the same command again and the upload "
                  "resumes where it stopped", file=sys.stderr)  # fmt: skip
            return 130
        if outcome.error is not None:
            raise outcome.error
        run_id = str(outcome.result)
    print(f"run {run_id} started on {box_name}", file=sys.stderr)
    return _attach_and_fetch(box_name=box_name, run_id=run_id, out=out, verbose=verbose)


def _run_upload(job: Any) -> Any:
    """Run the upload job in a worker thread with the progress bar; Ctrl-C cancels it (the
    ``.partial`` on the box stays for the next try)."""
    from engine.cli.progress import ProgressPrinter, follow
    from engine.jobs import JobContext, JobHandle
    from engine.jobs.events import Cancelled, Event

    printer = ProgressPrinter()

    def sink(event: Event) -> None:
        if not isinstance(event, Cancelled):  # the caller says it in one line
            printer(event)

    return follow(
        JobHandle(job, None, ctx=JobContext(sink)), printer, stopping="stopping the upload…"
    )
