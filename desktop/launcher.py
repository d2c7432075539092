"""The two entry points of the installed app: ``tuneforge`` (console) and ``tuneforge-gui``.

Both also serve the frozen bundle (``installer/entry.py``): ``--selftest`` runs the
self-test (``desktop.selftest``) and ``--job-child`` turns the process into a job child
(``engine.jobs.runners.child_command`` starts the frozen app that way). Nothing heavy is
imported here: Qt only loads when the window or the self-test needs it.
"""

from __future__ import annotations

import argparse
import os
import sys


def _args(argv: list[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


def _job_child(args: list[str]) -> int:
    from engine.cli.main import run_child

    return run_child(args)


def _selftest(args: list[str], *, console: bool) -> int:
    from desktop.selftest import main as selftest_main

    return selftest_main(args, console=console)


def cli(argv: list[str] | None = None) -> int:
    """Console entry: the self-test, a job child, or the ``tuneforge`` CLI."""
    args = _args(argv)
    if args[:1] == ["--job-child"]:
        return _job_child(args)
    if "--selftest" in args:
        return _selftest(args, console=True)
    from engine.cli.main import main as cli_main

    return cli_main(args)


def gui_parser() -> argparse.ArgumentParser:
    from engine import __version__

    parser = argparse.ArgumentParser(
        prog="tuneforge-gui",
        description=(
            "Open the Tuneforge desktop app. Give a dataset to fine-tune on it, or a merged "
            "model folder, a LoRA adapter folder or a .gguf file to package it right away."
        ),
        epilog="The command line tool is `tuneforge` (try `tuneforge --help`).",
    )
    parser.add_argument(
        "path", nargs="?", help="a dataset, a model or adapter folder, or a .gguf file"
    )
    parser.add_argument("--version", action="version", version=f"tuneforge {__version__}")
    parser.add_argument(
        "--verbose", action="store_true", help="also print the log file's lines to stderr"
    )
    # For bench/bench_gui_start.py: quit once the window has painted.
    parser.add_argument("--exit-after-show", action="store_true", help=argparse.SUPPRESS)
    return parser


def _ensure_streams() -> None:
    """A windowed app (pythonw, the frozen Tuneforge.exe) has no console streams: give
    argparse somewhere to write instead of crashing on ``None``."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def gui(argv: list[str] | None = None) -> int:
    """Windowed entry: the self-test (report file only: no console), a job child, or the app."""
    args = _args(argv)
    if args[:1] == ["--job-child"]:
        return _job_child(args)
    if "--selftest" in args:
        return _selftest(args, console=False)
    _ensure_streams()
    options = gui_parser().parse_args(args)  # --help/--version print and exit; bad options exit 2
    from desktop.app import main as app_main

    app_argv = [sys.argv[0]]
    if options.path:
        app_argv.append(options.path)
    if options.exit_after_show:
        app_argv.append("--exit-after-show")
    if options.verbose:
        app_argv.append("--verbose")
    return app_main(app_argv)
