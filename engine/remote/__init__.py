"""Train on a rented box over SSH (paramiko): boxes, runtime setup, detached runs.

The API the CLI and the desktop use::

    add_box(box=Box(...), password=None, confirm=fn)   remove_box(name)   load_boxes()
    with connect(name) as conn:
        check_box(conn) -> BoxReport        setup_box(conn, options=SetupOptions(...))
        submit(conn, train_args=, data=, base=, upload_base=, env=, ctx=) -> run id
        follow(conn, run_id, offset=, on_record=) -> (status, offset)
        status(conn, run_id) / list_runs(conn) -> RunInfo    stop(conn, run_id)
        resume(conn, run_id)                fetch(conn, run_id, out) -> files
"""

from engine.remote.box import (
    BoxReport,
    SetupOptions,
    add_box,
    check_box,
    remove_box,
    runtime_env,
    setup_box,
)
from engine.remote.boxes import Box, get_box, load_boxes, set_secret_store
from engine.remote.runs import (
    RunInfo,
    fetch,
    follow,
    list_runs,
    resume,
    runtime_python,
    status,
    stop,
    submit,
)
from engine.remote.ssh import Connection


def connect(name: str) -> Connection:
    return Connection(get_box(name))


__all__ = ["Box", "BoxReport", "Connection", "RunInfo", "SetupOptions", "add_box", "check_box", "connect",
           "fetch", "follow", "get_box", "list_runs", "load_boxes", "remove_box", "resume",
           "runtime_env", "runtime_python", "set_secret_store", "setup_box", "status", "stop",
           "submit"]  # fmt: skip
