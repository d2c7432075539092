"""``tuneforge`` entry point: an explicit table of sub-commands, each in its own module.

Each command module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (``args -> exit code``). Modules are imported when the parser is built; keep
their top level light (no torch, no llama_cpp imports at module level).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from engine import __version__
from engine.errors import TuneforgeError

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
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tuneforge",
        description="Turn a Hugging Face model, a LoRA adapter or a GGUF into your own Ollama model.",
    )
    parser.add_argument("--version", action="version", version=f"tuneforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"engine.cli.cmd_{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--job-child"]:  # frozen app: run a job child (see jobs.runners)
        from engine.jobs.child import main as child_main

        return child_main()
    _utf8_stdio()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TuneforgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130


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
