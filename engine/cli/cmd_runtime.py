"""``tuneforge runtime status/install/remove/check``: the training runtime on this PC."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("runtime", help="the training runtime on this PC (PyTorch for your GPU)",
                       description="Install, check, repair or remove the Python environment with "
                       "PyTorch that trains on this PC's NVIDIA GPU (the app itself has no torch). "
                       "It lives in the app's data folder (TUNEFORGE_HOME or TUNEFORGE_RUNTIME_DIR move it).")  # fmt: skip
    rs = p.add_subparsers(dest="runtime_command", metavar="ACTION")
    s = rs.add_parser("status", help="installed? which torch and CUDA? broken?")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_status)
    c = rs.add_parser("check", help="preflight: GPU, driver, CUDA build, free disk, path limits")
    c.add_argument("--cuda", default="auto", help="auto (default), cpu, or a CUDA build (cu128 …)")
    c.add_argument("--json", action="store_true")
    c.add_argument(
        "--base-model",
        type=Path,
        metavar="DIR",
        help="count this model folder's size in the disk check",
    )
    c.set_defaults(func=_check)
    i = rs.add_parser("install", help="install (or continue, update, repair) the runtime")
    i.add_argument("--cuda", default="auto", help="auto (default: the newest build your driver runs), cpu, or a CUDA build tag such as cu128")  # fmt: skip
    i.add_argument("--index-url", help="package index or mirror (default PyPI)")
    i.add_argument("--torch-index-url", help="PyTorch wheel index or mirror (default download.pytorch.org/whl/<build>)")  # fmt: skip
    i.add_argument("--extra-index-url", action="append", default=[], metavar="URL", help="another index (repeatable)")  # fmt: skip
    i.add_argument("--find-links", action="append", default=[], metavar="DIR", help="a folder of wheels (repeatable)")  # fmt: skip
    i.add_argument("--no-index", action="store_true", help="only --find-links folders (offline)")
    i.add_argument(
        "--repair", action="store_true", help="reinstall every package (a broken runtime)"
    )
    i.add_argument("--installer", default="auto", choices=["auto", "uv", "pip"], help="auto: uv when available, else pip")  # fmt: skip
    i.add_argument(
        "--wheel", type=Path, help="the engine wheel to install (default: shipped or built)"
    )
    i.add_argument(
        "--base-model",
        type=Path,
        metavar="DIR",
        help="count this model folder's size in the disk check",
    )
    i.add_argument("--skip-disk-check", action="store_true", help=argparse.SUPPRESS)
    i.set_defaults(func=_install)
    r = rs.add_parser("remove", help="delete the runtime (frees its disk space)")
    r.set_defaults(func=_remove)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _model_bytes(folder: Path | None) -> int:
    from engine.errors import InputError
    from engine.runtime.layout import tree_bytes

    if folder is None:
        return 0
    if not folder.is_dir():
        raise InputError("not a model folder", path=folder, field="--base-model")
    return tree_bytes(folder)


def _status(args: argparse.Namespace) -> int:
    from engine.runtime.status import describe, runtime_status

    status = runtime_status()
    if args.json:
        print(json.dumps(status.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(describe(status))
    return 0 if status.installed else 1


def _check(args: argparse.Namespace) -> int:
    from engine.runtime.preflight import run_preflight
    from engine.sizes import format_size

    report = run_preflight(cuda=args.cuda, model_bytes=_model_bytes(args.base_model))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    for gpu in report.driver.gpus:
        print(f"GPU: {gpu.name} ({gpu.memory_mb / 1024:.0f} GB)")
    if report.driver.driver:
        print(f"driver: {report.driver.driver} (CUDA {report.driver.cuda or '?'})")
    if report.build:
        print(f"runtime build: {report.build.tag} (torch {report.build.torch})")
    print(
        f"disk: {format_size(report.free_bytes)} free, {format_size(report.needed_bytes)} needed at {report.path}"
    )
    for problem in report.problems:
        print(
            f"{'problem' if problem.blocking else 'warning'}: {problem.message}\n  → {problem.hint}"
        )
    return 0 if report.ok else 1


def _install(args: argparse.Namespace) -> int:
    from engine.cli.progress import run_cli_job
    from engine.runtime.install import RuntimeInstallSpec, install_runtime
    from engine.runtime.status import describe

    spec = RuntimeInstallSpec(cuda=args.cuda, index_url=args.index_url, torch_index_url=args.torch_index_url,
                              extra_index_urls=tuple(args.extra_index_url), find_links=tuple(args.find_links),
                              no_index=args.no_index, repair=args.repair, installer=args.installer,
                              wheel=args.wheel, check_disk=not args.skip_disk_check,
                              model_bytes=_model_bytes(args.base_model))  # fmt: skip
    outcome = run_cli_job(install_runtime, spec)
    if outcome.status == "cancelled":
        print("stopped: `tuneforge runtime install` continues where it stopped", file=sys.stderr)
        return 130
    if not outcome.ok:
        raise outcome.error or RuntimeError("install failed")
    print(describe(outcome.result))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from engine.runtime.install import remove_runtime
    from engine.runtime.layout import RuntimeLayout

    layout = RuntimeLayout.default()
    freed = remove_runtime(layout.root)
    from engine.sizes import format_size

    print(
        f"removed {layout.root} ({format_size(freed)} freed)"
        if freed
        else f"no runtime at {layout.root}"
    )
    return 0
