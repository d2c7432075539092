"""``tuneforge remote add/list/rm/check/setup/runs/attach/stop/fetch``: train on a rented box."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("remote", help="train on a rented GPU box over SSH",
                       description="Manage GPU boxes reached over SSH and the training runs on them.")  # fmt: skip
    rs = p.add_subparsers(dest="remote_command", metavar="ACTION")
    a = rs.add_parser("add", help="save a box and pin its host key")
    a.add_argument("name")
    a.add_argument("--host", required=True)
    a.add_argument("--port", type=int, default=22)
    a.add_argument("--user", required=True)
    how = a.add_mutually_exclusive_group(required=True)
    how.add_argument("--key", type=Path, help="private key file")
    how.add_argument("--password-stdin", action="store_true", help="read the password from stdin (kept in the OS keyring)")  # fmt: skip
    a.add_argument("--python", help="an existing Python environment on the box (skips setup)")
    a.add_argument(
        "--work-dir", default="~/tuneforge", help="folder on the box (default ~/tuneforge)"
    )
    a.add_argument("--yes", action="store_true", help="trust the shown host key without asking")
    a.set_defaults(func=_add)
    rs.add_parser("list", help="saved boxes").set_defaults(func=_list)
    r = rs.add_parser("rm", help="forget a box (and its password)")
    r.add_argument("name")
    r.set_defaults(func=_rm)
    c = rs.add_parser("check", help="GPUs, driver/CUDA, free disk, Python, runtime version")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_check)
    s = rs.add_parser("setup", help="install the training runtime on the box")
    s.add_argument("name")
    s.add_argument("--index-url", help="package index or mirror for pip")
    s.add_argument("--hf-endpoint", help="Hugging Face mirror (HF_ENDPOINT) for runs on this box")
    s.add_argument("--installer", choices=("auto", "uv", "pip"), default="auto",
                   help="uv when the box has it (auto, default), or pip")  # fmt: skip
    s.add_argument("--base-python", default="python3", metavar="PATH",
                   help="the Python the runtime venv is made from (default python3)")  # fmt: skip
    s.add_argument("--system-site-packages", action="store_true",
                   help="reuse the packages of that Python (e.g. the torch a GPU image ships)")  # fmt: skip
    s.add_argument("--find-links", action="append", default=[], metavar="DIR",
                   help="a folder of wheels on the box (repeatable)")  # fmt: skip
    s.add_argument("--no-index", action="store_true",
                   help="install only from --find-links folders (a box without internet)")  # fmt: skip
    s.set_defaults(func=_setup)
    u = rs.add_parser("runs", help="runs on the box, newest last")
    u.add_argument("name")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=_runs)
    for action, helptext, func in (("attach", "follow a run and download it at the end", _attach),
                                   ("stop", "stop a run (it saves a checkpoint)", _stop),
                                   ("fetch", "download a run's adapter and logs", _fetch)):  # fmt: skip
        q = rs.add_parser(action, help=helptext)
        q.add_argument("name")
        q.add_argument("run_id")
        if action != "stop":
            q.add_argument("--out", type=Path, required=True)
        else:
            q.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                           help="wait this long for the checkpoint before interrupting the run "
                           "(default 60; 0: ask and return)")  # fmt: skip
        q.set_defaults(func=func)
    p.set_defaults(func=lambda _args: p.print_help() or 2)
    for parser in rs.choices.values():  # a dropped connection is one clear line
        parser.set_defaults(func=_guarded(parser.get_default("func")))


def _guarded(func: Any) -> Any:
    from engine.remote.ssh import guard_connection

    return guard_connection(func)


def _add(args: argparse.Namespace) -> int:
    from engine.remote import Box, add_box

    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    box = Box(name=args.name, host=args.host, port=args.port, user=args.user,
              key_file=str(args.key.expanduser().resolve()) if args.key else None,
              python=args.python, work_dir=args.work_dir)  # fmt: skip

    def confirm(fp: str) -> bool:
        print(f"host key of {args.host}:{args.port}: {fp}")
        if args.yes:
            return True
        return input("trust this key? [y/N] ").strip().lower() in ("y", "yes")

    add_box(box=box, password=password, confirm=confirm)
    print(f"saved box {args.name} ({box.address})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from engine.remote import load_boxes

    for box in load_boxes().values():
        print(f"{box.name}\t{box.address}\t{box.work_dir}")
    return 0


def _rm(args: argparse.Namespace) -> int:
    from engine.remote import remove_box

    remove_box(args.name)
    print(f"removed {args.name}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from engine.remote import check_box, connect

    with connect(args.name) as conn:
        report = check_box(conn)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 0
    for gpu in report.gpus or [{"name": "no NVIDIA GPU", "memory_mb": 0}]:
        print(f"gpu: {gpu['name']} {gpu['memory_mb']} MB")
    print(f"driver: {report.driver or '-'}  cuda: {report.cuda or '-'}")
    print(f"free disk in {report.work_dir}: {report.free_gb} GB")
    print(
        f"python: {report.python or '-'}  runtime: {report.runtime or 'not installed (tuneforge remote setup)'}"
    )
    return 0


def _setup(args: argparse.Namespace) -> int:
    from engine.remote import SetupOptions, connect, setup_box

    options = SetupOptions(index_url=args.index_url, hf_endpoint=args.hf_endpoint,
                           installer=args.installer, base_python=args.base_python,
                           system_site_packages=args.system_site_packages,
                           find_links=tuple(args.find_links), no_index=args.no_index)  # fmt: skip
    with connect(args.name) as conn:
        plan = setup_box(conn, options=options, on_line=lambda line: print(line, file=sys.stderr))
    print(f"runtime ready on {args.name}: tuneforge {plan.version}")
    return 0


def _runs(args: argparse.Namespace) -> int:
    from engine.remote import connect, list_runs

    with connect(args.name) as conn:
        runs = list_runs(conn)
    if args.json:
        print(json.dumps({"runs": [r.to_dict() for r in runs]}, ensure_ascii=False))
    else:
        for r in runs:
            print(f"{r.id}\t{r.status}\tstep {r.step}\t{r.base}\t{r.dataset}\t{r.started}")
    return 0


def _attach(args: argparse.Namespace) -> int:
    from engine.cli.remote_follow import attach_and_fetch

    return attach_and_fetch(box_name=args.name, run_id=args.run_id, out=args.out)


def _stop(args: argparse.Namespace) -> int:
    from engine.remote import connect, status, stop

    with connect(args.name) as conn:
        if not stop(conn, args.run_id, wait=args.wait):
            print("the run is not running")
            return 0
        info = status(conn, args.run_id)
    if info.status == "running":
        print("stopping: the run saves a checkpoint at its next step")
    else:
        print(f"{info.status} at step {info.step}. Continue it with: "
              f"tuneforge remote attach {args.name} {args.run_id} --out DIR")  # fmt: skip
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from engine.remote import connect, fetch

    with connect(args.name) as conn:
        files = fetch(conn, args.run_id, args.out)
    print(f"downloaded {len(files)} files into {args.out}")
    return 0
