"""Child-process side of :func:`engine.jobs.runners.run_in_child`.

Reads one JSON request line on stdin, runs the job, writes NDJSON events on the
original stdout. A later ``cancel`` line (or stdin closing: the parent is gone)
cancels the job. Anything else the job or native code prints goes to stderr so
the event stream stays clean.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any, TextIO

from engine.jobs import codec
from engine.jobs.context import JobContext
from engine.jobs.events import Event, event_to_json
from engine.jobs.runners import run_job


def _event_writer(stream: TextIO) -> Any:
    lock = threading.Lock()

    def write(event: Event) -> None:
        with lock:
            stream.write(event_to_json(event) + "\n")
            stream.flush()

    return write


def main() -> int:
    # Keep a private handle on the real stdout, then point fd 1 at stderr so that
    # prints from libraries (and native code) cannot corrupt the event stream.
    events_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    request = json.loads(sys.stdin.readline())
    job = codec.resolve(request["job"])
    spec = codec.from_plain(request["spec"])
    ctx = JobContext(_event_writer(events_out))

    def listen() -> None:
        for line in sys.stdin:
            if line.strip() == "cancel":
                break
        ctx.cancel()  # "cancel", or EOF: the parent went away

    threading.Thread(target=listen, daemon=True).start()
    outcome = run_job(job, spec, on_event=ctx.emit, ctx=ctx)
    events_out.flush()
    return 0 if outcome.ok else (2 if outcome.status == "cancelled" else 1)


if __name__ == "__main__":
    sys.exit(main())
