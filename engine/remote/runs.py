"""Detached training runs on a box: submit, status, follow, stop, fetch.

Layout under the box's work dir ``W``: ``W/data/<sha>/FILE`` (uploaded datasets, by content),
``W/models/NAME`` (``--upload-base``), ``W/runs/ID/`` (the run folder), ``W/runs/ID.meta.json``
(base, dataset, start time, the train arguments), ``W/runs/ID.pid`` and ``W/runs/ID.log``.
A run is started with ``setsid nohup`` so a dropped SSH connection does not stop it; the
client reads ``events.jsonl`` from a byte offset, so following again continues exactly where
it stopped.
"""

from __future__ import annotations

import itertools
import json
import posixpath
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.remote.errors import RunNotFound
from engine.remote.ssh import Connection, quote_command
from engine.remote.transfer import (
    check_cancel,
    download_file,
    makedirs,
    remote_walk,
    sha256_file,
    upload_file,
)

TERMINAL = {"finished": "finished", "failed": "failed", "stopped": "stopped"}
FETCHED = ("run.json", "events.jsonl", "loss.png")
# = engine.train.rundir.STOP_FILE (train is a layer above this package; a test ties the two)
STOP_FILE = "stop.request"


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    id: str
    status: str  # running | finished | failed | stopped | interrupted | starting
    step: int
    base: str
    dataset: str
    started: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "step": self.step, "base": self.base,
                "dataset": self.dataset, "started": self.started}  # fmt: skip


def work_dir(conn: Connection) -> str:
    return conn.resolve(conn.box.work_dir)


def runtime_python(conn: Connection) -> str:
    if conn.box.python:
        return conn.resolve(conn.box.python)
    return posixpath.join(work_dir(conn), "runtime", "bin", "python")


def _runs(conn: Connection) -> str:
    return posixpath.join(work_dir(conn), "runs")


def upload_tree(conn: Connection, local: Path, remote_root: str, *, ctx: Any = None) -> str:
    """Upload a file or folder under ``remote_root``; returns the remote path of ``local``."""
    target = posixpath.join(remote_root, local.name)
    if local.is_file():
        upload_file(conn, local, target, ctx=ctx)
        return target
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        upload_file(conn, path, posixpath.join(target, *path.relative_to(local).parts), ctx=ctx)
    return target


def upload_dataset(conn: Connection, data: Path, *, ctx: Any = None) -> str:
    if data.is_file():
        key = sha256_file(data, ctx=ctx)[:16]
    else:
        import hashlib

        digest = hashlib.sha256()
        for path in sorted(p for p in data.rglob("*") if p.is_file()):
            digest.update(
                str(path.relative_to(data)).encode() + b"\0" + sha256_file(path, ctx=ctx).encode()
            )
        key = digest.hexdigest()[:16]
    return upload_tree(conn, data, posixpath.join(work_dir(conn), "data", key), ctx=ctx)


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def submit(conn: Connection, *, train_args: list[str], data: Path, base: str,
           upload_base: Path | None = None, env: dict[str, str] | None = None,
           ctx: Any = None) -> str:  # fmt: skip
    """Upload the data (and base), start the run detached; returns the run id. A cancel of
    ``ctx`` during the uploads raises :class:`~engine.errors.JobCancelled` and starts no run
    (the partial upload resumes next time)."""
    remote_data = upload_dataset(conn, data, ctx=ctx)
    if upload_base is not None:
        base = upload_tree(conn, upload_base, posixpath.join(work_dir(conn), "models"), ctx=ctx)
    check_cancel(ctx)
    run_id = new_run_id()
    runs = _runs(conn)
    makedirs(conn, runs)
    run_dir = posixpath.join(runs, run_id)
    meta = {"id": run_id, "base": base, "dataset": data.name, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "train_args": train_args, "env": env or {}}  # fmt: skip
    with conn.sftp.open(posixpath.join(runs, run_id + ".meta.json"), "w") as handle:
        handle.write(json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
    base_args = ["--base", base] if _is_box_path(base) else []
    hf = [] if base_args else ["--hf-base", base]
    argv = [*hf, "train", *base_args, "--data", remote_data, "--out", run_dir, *train_args]
    _launch(conn, run_id, argv, env or {})
    return run_id


def resume(conn: Connection, run_id: str) -> None:
    """Start an interrupted (or stopped) run again from its last checkpoint."""
    meta = _meta(conn, run_id)
    argv = ["train", "--resume", posixpath.join(_runs(conn), run_id)]
    _launch(conn, run_id, [*argv, *_launcher_args(meta.get("train_args", []))], meta.get("env", {}))


def _launcher_args(train_args: list[str]) -> list[str]:
    """``--processes N`` / ``--gpus all`` of the first start: a resume runs as many ranks."""
    out: list[str] = []
    for flag, value in itertools.pairwise(train_args):
        if flag in ("--processes", "--gpus") and not (flag == "--processes" and value == "1"):
            out += [flag, value]
    return out


def _is_box_path(base: str) -> bool:
    return base.startswith(("/", "~", ".")) or base.count("/") != 1


def _launch(conn: Connection, run_id: str, argv: list[str], env: dict[str, str]) -> None:
    runs = _runs(conn)
    pidfile = posixpath.join(runs, run_id + ".pid")
    log = posixpath.join(runs, run_id + ".log")
    envs = [f"{k}={v}" for k, v in env.items()]
    command = ["env", "TUNEFORGE_NO_COLOR=1", *envs, "setsid", "nohup",
               runtime_python(conn), "-m", "engine.cli.boxrun", *argv]  # fmt: skip
    # `&` applies to the one simple command, so $! is the pid of setsid → nohup → python
    # (each exec'd in turn) and, after setsid, of the process group that `stop` signals
    script = (f"cd {quote_command([work_dir(conn)])} || exit 1; {quote_command(command)} "
              f">>{quote_command([log])} 2>&1 </dev/null & echo $! >{quote_command([pidfile])}")  # fmt: skip
    conn.run(script)


def _meta(conn: Connection, run_id: str) -> dict[str, Any]:
    path = posixpath.join(_runs(conn), run_id + ".meta.json")
    try:
        with conn.sftp.open(path, "r") as handle:
            return json.loads(handle.read().decode("utf-8"))  # type: ignore[no-any-return]
    except OSError:
        raise RunNotFound(f"no run {run_id!r} on {conn.box.name}", box=conn.box.name,
                          hint=f"List the runs with: tuneforge remote runs {conn.box.name}") from None  # fmt: skip


def _read(conn: Connection, path: str, offset: int = 0) -> bytes:
    try:
        with conn.sftp.open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read()  # type: ignore[no-any-return]
    except OSError:
        return b""


def is_alive(conn: Connection, run_id: str) -> bool:
    """The run's process is alive (and is this run's: a rebooted box reuses pids)."""
    pid = _read(conn, posixpath.join(_runs(conn), run_id + ".pid")).strip().decode() or ""
    if not pid.isdigit():
        return False
    cmdline = _read(conn, f"/proc/{pid}/cmdline")
    return run_id.encode() in cmdline and b"engine.cli.boxrun" in cmdline


def _tail_events(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    path = posixpath.join(_runs(conn), run_id, "events.jsonl")
    try:
        size = int(conn.sftp.stat(path).st_size)
    except OSError:
        return []
    raw = _read(conn, path, max(0, size - 65536))
    out = []
    for line in raw.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def status(conn: Connection, run_id: str) -> RunInfo:
    meta = _meta(conn, run_id)
    events = _tail_events(conn, run_id)
    steps = [int(e.get("step", 0)) for e in events if "step" in e]
    last = events[-1]["event"] if events else None
    if is_alive(conn, run_id):
        state = "running"
    elif last in TERMINAL:
        state = TERMINAL[last]
    else:
        state = "interrupted"
    return RunInfo(id=run_id, status=state, step=max(steps, default=0), base=str(meta.get("base", "")),
                   dataset=str(meta.get("dataset", "")), started=str(meta.get("started", "")))  # fmt: skip


def list_runs(conn: Connection) -> list[RunInfo]:
    try:
        names = conn.sftp.listdir(_runs(conn))
    except OSError:
        return []
    ids = sorted(n[: -len(".meta.json")] for n in names if n.endswith(".meta.json"))
    return [status(conn, run_id) for run_id in ids]


def stop(conn: Connection, run_id: str, *, wait: float = 0.0, poll: float = 1.0) -> bool:
    """Ask the run to stop: the stop file in its folder, seen by the training loop at the next
    step (all ranks stop together after a checkpoint). A run that has not started training yet
    (still loading or downloading), or that is still alive after ``wait`` seconds, gets SIGINT
    on its process group as the fallback. False when the run is not running."""
    _meta(conn, run_id)
    if not is_alive(conn, run_id):
        return False
    run_dir = posixpath.join(_runs(conn), run_id)
    if _exists(conn, posixpath.join(run_dir, "run.json")):
        with conn.sftp.open(posixpath.join(run_dir, STOP_FILE), "w") as handle:
            handle.write(f"{time.time():.3f}\n".encode())
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(poll)
            if not is_alive(conn, run_id):
                return True
        if wait <= 0:
            return True
    pid = _read(conn, posixpath.join(_runs(conn), run_id + ".pid")).strip().decode()
    conn.run(["kill", "-INT", "--", f"-{pid}"], check=False)
    return True


def follow(conn: Connection, run_id: str, *, offset: int, on_record: Callable[[dict[str, Any]], None],
           on_offset: Callable[[int], None] | None = None, poll: float = 1.0,
           timeout: float | None = None) -> tuple[str, int]:  # fmt: skip
    """Read ``events.jsonl`` from byte ``offset`` until the run ends; returns (status, offset).

    Only whole lines are consumed, so the offset always sits on a line boundary: following
    again from the returned (or last reported) offset shows each event exactly once.
    """
    _meta(conn, run_id)
    path = posixpath.join(_runs(conn), run_id, "events.jsonl")
    deadline = None if timeout is None else time.monotonic() + timeout
    final_read = False
    terminal: str | None = None
    while True:
        alive = is_alive(conn, run_id)
        chunk = _read(conn, path, offset)
        end = chunk.rfind(b"\n") + 1
        for line in chunk[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            on_record(record)
            if record.get("event") in TERMINAL:
                terminal = TERMINAL[record["event"]]
        offset += end
        if end and on_offset:
            on_offset(offset)
        if terminal and not alive:
            return terminal, offset
        if not alive and final_read:
            return status(conn, run_id).status, offset
        final_read = not alive
        if deadline is not None and time.monotonic() > deadline:
            return "running", offset
        if not final_read:
            time.sleep(poll)


def fetch(conn: Connection, run_id: str, out: Path) -> list[Path]:
    """Download adapter/, events.jsonl, run.json, loss.png into ``out`` (resume + hash check)."""
    _meta(conn, run_id)
    run_dir = posixpath.join(_runs(conn), run_id)
    got = []
    names = [n for n in FETCHED if _exists(conn, posixpath.join(run_dir, n))]
    adapter = posixpath.join(run_dir, "adapter")
    if _exists(conn, adapter):
        names += [posixpath.join("adapter", n) for n in remote_walk(conn, adapter)]
    for name in names:
        local = out.joinpath(*name.split("/"))
        download_file(conn, posixpath.join(run_dir, name), local)
        got.append(local)
    return got


def _exists(conn: Connection, path: str) -> bool:
    try:
        conn.sftp.stat(path)
        return True
    except OSError:
        return False
