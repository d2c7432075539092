"""``tuneforge modelfile PATH [--from FROM] [--system TEXT] [--param k=v ...] [-o FILE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "modelfile",
        help="print an Ollama Modelfile for a model folder or .gguf",
        description="Build an Ollama Modelfile: the chat TEMPLATE derived from the model's own "
        "chat template (checked with Go's text/template), stop strings from the tokenizer and "
        "the template, sampling defaults from generation_config.json, optional SYSTEM.",
    )
    parser.add_argument("path", type=Path, help="model folder or .gguf file")
    parser.add_argument(
        "--from",
        dest="from_path",
        help="the FROM line (default: the given path)",
    )
    parser.add_argument("--system", help="system prompt (SYSTEM)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a PARAMETER, e.g. --param temperature=0.7 --param stop='<|im_end|>' "
        "(repeat; giving stop replaces the default stops)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write the Modelfile here instead")
    parser.set_defaults(func=run)


def parse_params(items: list[str]) -> dict[str, Any]:
    from engine.modelfile import ParameterError, parse_parameter_text

    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(
                f"--param {item!r} is not NAME=VALUE", hint="For example: --param temperature=0.7"
            )
        typed = parse_parameter_text(name, value)
        params[name] = [*params.get(name, []), *typed] if isinstance(typed, list) else typed
    return params


def run(args: argparse.Namespace) -> int:
    from engine.jobs import atomic_file
    from engine.modelfile import build_modelfile

    path: Path = args.path
    from engine.cli.paths import check_model_path

    check_model_path(path)
    is_gguf = path.is_file() and path.suffix.lower() == ".gguf"
    modelfile = build_modelfile(
        from_path=args.from_path or str(path.resolve()),
        model_dir=None if is_gguf else path,
        gguf_path=path if is_gguf else None,
        system=args.system,
        params=parse_params(args.param),
    )
    text = modelfile.render()
    derived = modelfile.derivation
    if derived is not None:
        report = derived.parity
        print(
            f"template: {derived.family}; parity: {report.summary() if report else 'not run'}",
            file=sys.stderr,
        )
        for warning in derived.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if args.output:
        with atomic_file(args.output) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
