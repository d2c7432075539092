"""The two entry points of the installed app: ``tuneforge`` (console) and ``tuneforge-gui``.

Both also serve the frozen bundle (``installer/entry.py``): ``--selftest`` runs the
self-test (``desktop.selftest``) and ``--job-child`` turns the process into a job child
(``engine.jobs.runners.child_command`` starts the frozen app that way). Nothing heavy is
imported here: Qt only loads when the window or the self-test needs it.
"""

from __future__ import annotations

import sys


def _args(argv: list[str] | None) -> list[str]:
    return list(sys.argv[1:] if argv is None else argv)


def _job_child() -> int:
    from engine.jobs.child import main as child_main

    return child_main()


def _selftest(args: list[str], *, console: bool) -> int:
    from desktop.selftest import main as selftest_main

    return selftest_main(args, console=console)


def cli(argv: list[str] | None = None) -> int:
    """Console entry: the self-test, a job child, or the ``tuneforge`` CLI."""
    args = _args(argv)
    if args[:1] == ["--job-child"]:
        return _job_child()
    if "--selftest" in args:
        return _selftest(args, console=True)
    from engine.cli.main import main as cli_main

    return cli_main(args)


def gui(argv: list[str] | None = None) -> int:
    """Windowed entry: the self-test (report file only: no console), a job child, or the app."""
    args = _args(argv)
    if args[:1] == ["--job-child"]:
        return _job_child()
    if "--selftest" in args:
        return _selftest(args, console=False)
    from desktop.app import main as app_main

    return app_main([sys.argv[0], *args])
