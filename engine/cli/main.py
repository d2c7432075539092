"""``tuneforge`` entry point: an explicit table of sub-commands, each in its own module.

Each command module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (``args -> exit code``). Modules are imported when the parser is built; keep
their top level light (no torch, no llama_cpp imports at module level).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from engine import __version__
from engine.errors import TuneforgeError
from engine.logfile import setup_logging

log = logging.getLogger("engine.cli")

# name shown in help → module under engine.cli
COMMANDS: tuple[str, ...] = (
    "inspect",
    "package",
    "convert",
    "quantize",
    "ollama",
    "chat",
    "merge",
    "modelfile",
    "template",
    "train",
    "data",
    "remote",
    "runtime",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuneforge",
        description="Turn a Hugging Face model, a LoRA adapter or a GGUF into your own Ollama model.",
    )
    parser.add_argument("--version", action="version", version=f"tuneforge {__version__}")
    parser.add_argument("--verbose", dest="log_verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"engine.cli.cmd_{name}")
        module.register(sub)
    _add_verbose(parser)
    return parser


VERBOSE_HELP = "also print the log (written to the log file in any case) on stderr"


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    """``--verbose`` after any command too (commands that have their own keep its meaning
    and also mirror the log)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                if "--verbose" not in child._option_string_actions:
                    child.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
                _add_verbose(child)


def run_child(argv: list[str]) -> int:
    """The one place that turns a process into a child: ``--job-child`` runs a job
    (``engine.jobs.runners``), ``--job-child --llama-chat`` the llama.cpp chat child
    (``engine.chat.child_backend``). The frozen app starts itself this way."""
    if "--llama-chat" in argv:
        from engine.chat.llama_child import main as llama_main

        return llama_main()
    from engine.jobs.child import main as child_main

    return child_main()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--job-child"]:  # frozen app: run a child (see run_child)
        return run_child(argv)
    _utf8_stdio()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    verbose = bool(args.log_verbose or getattr(args, "verbose", False))
    setup_logging("cli", verbose=verbose)
    log.info("tuneforge %s %s", __version__, args.command)
    try:
        code = int(args.func(args) or 0)
    except TuneforgeError as exc:
        log.error("%s", exc)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        log.info("cancelled (Ctrl-C)")
        print("cancelled", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error")
        raise
    log.info("exit %d", code)
    return code


def _utf8_stdio() -> None:
    """Chinese paths and model names must print on a Windows console too."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(encoding="utf-8", errors="replace")
            except (ValueError, OSError):
                pass


if __name__ == "__main__":
    sys.exit(main())
