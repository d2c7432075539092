"""The run folder: ``run.json``, ``events.jsonl``, ``checkpoints/``, ``loss.png``, ``adapter/``
and, while someone asks it to stop, ``stop.request``.

One process at a time: ``run.lock`` is held with an OS file lock (released by the OS when a
process dies, so a crashed run never blocks its own resume). ``run.json`` and checkpoints
are written atomically; events are appended one JSON line at a time and flushed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO, Any

from engine.jobs.atomic import atomic_file
from engine.train.errors import RunFolderError

RUN_FILE = "run.json"
EVENTS_FILE = "events.jsonl"
LOCK_FILE = "run.lock"
CHECKPOINTS = "checkpoints"
STOP_FILE = "stop.request"  # present → the run checkpoints at the next step and stops


class RunLock:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK_FILE
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+b")  # noqa: SIM115 - held for the whole run
        try:
            if os.name == "nt":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise RunFolderError(
                "another Tuneforge process is training in this run folder",
                path=self.path.parent,
                hint="Wait for it to finish or stop it, or choose another --out.",
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class EventLog:
    """Append-only ``events.jsonl``; every record gets ``event`` and ``time``."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / EVENTS_FILE
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, "time": round(time.time(), 3), **fields}
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        return record

    def close(self) -> None:
        self._file.close()


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / EVENTS_FILE
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a crash
    return out


def write_json(path: Path, data: Any) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def prepare_run_dir(out: Path, *, resume: bool) -> None:
    """Refuse to reuse a folder by accident; ``resume`` needs an existing run."""
    if resume:
        if not (out / RUN_FILE).is_file():
            raise RunFolderError("not a Tuneforge run folder (no run.json)", path=out,
                                 hint="--resume takes the --out folder of an earlier run.")  # fmt: skip
        return
    if out.exists() and any(out.iterdir()):
        hint = (f"Resume it with --resume {out}" if (out / RUN_FILE).is_file()
                else "Choose a new or empty --out folder.")  # fmt: skip
        raise RunFolderError("the run folder already exists and is not empty", path=out, hint=hint)
    out.mkdir(parents=True, exist_ok=True)


def request_stop(run_dir: Path) -> None:
    """Ask a running training in ``run_dir`` to checkpoint and stop (any process, any rank
    count: rank 0 sees the file at the next step and all ranks stop together)."""
    (Path(run_dir) / STOP_FILE).write_text(f"{time.time():.3f}\n", encoding="utf-8")


def stop_requested(run_dir: Path) -> bool:
    return (Path(run_dir) / STOP_FILE).is_file()


def clear_stop(run_dir: Path) -> None:
    (Path(run_dir) / STOP_FILE).unlink(missing_ok=True)


def checkpoint_dirs(run_dir: Path) -> list[Path]:
    root = run_dir / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith("step-")
             and p.name[5:].isdigit() and (p / "state.json").is_file()]  # fmt: skip
    return sorted(found, key=lambda p: int(p.name[5:]))
