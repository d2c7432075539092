"""``tuneforge template check|show PATH [--json]``: the Ollama template and its parity proof."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_IDENTICAL = 0
EXIT_DIFFERENT = 1
EXIT_NOT_RUN = 3


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "template",
        help="derive the Ollama chat template from the model's own and prove they match",
        description="Derive the Ollama (Go) chat template from a model's Jinja chat template "
        "and check that both print the same prompt for a fixed set of conversations, using "
        "Go's real text/template.",
    )
    actions = parser.add_subparsers(dest="template_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="render test conversations with both templates and compare",
        description="Exit status: 0 identical; 1 no template shown identical (Tuneforge "
        "then falls back to the GGUF's embedded Jinja template); 3 not checked (no Go "
        "renderer: a known family's template is used unverified).",
    )
    check.add_argument("path", type=Path, help="model folder or .gguf file")
    check.add_argument("--json", action="store_true", help="print a machine-readable object")
    check.add_argument("--verbose", "-v", action="store_true", help="print both prompts per case")
    check.set_defaults(func=run_check)
    show = actions.add_parser("show", help="print the derived Ollama template")
    show.add_argument("path", type=Path, help="model folder or .gguf file")
    show.add_argument("--json", action="store_true", help="print a machine-readable object")
    show.set_defaults(func=run_show)


def _derive(path: Path) -> Any:
    from engine.cli.paths import check_model_path
    from engine.template import derive_from_source, template_source

    check_model_path(path)
    return derive_from_source(template_source(path))


def _exit_code(derived: Any) -> int:
    report = derived.parity
    if derived.fallback:
        return EXIT_DIFFERENT
    if report is None or report.status == "not_run":
        return EXIT_NOT_RUN
    return EXIT_IDENTICAL if report.status == "identical" else EXIT_DIFFERENT


def run_check(args: argparse.Namespace) -> int:
    derived = _derive(args.path)
    if args.json:
        print(json.dumps(derived.to_dict(), ensure_ascii=False, indent=2))
        return _exit_code(derived)
    report = derived.parity
    label = (
        derived.family
        if derived.variant == derived.family
        else f"{derived.family} ({derived.variant})"
    )
    print(f"{'family':<10} {label}")
    print(f"{'thinking':<10} {'yes' if derived.thinking else 'no'}")
    print(f"{'stops':<10} {', '.join(derived.stops) or '-'}")
    print(f"{'parity':<10} {report.summary() if report else 'not run'}")
    for case in report.cases if report else ():
        note = case.note or case.difference or ""
        print(f"  {case.status:<15} {case.name:<20} {note}")
        if args.verbose and case.jinja_output is not None:
            print(f"    jinja: {case.jinja_output!r}")
            print(f"    go:    {case.go_output!r}")
    for warning in derived.warnings:
        print(f"warning: {warning}")
    return _exit_code(derived)


def run_show(args: argparse.Namespace) -> int:
    derived = _derive(args.path)
    if args.json:
        print(json.dumps(derived.to_dict(), ensure_ascii=False, indent=2))
    elif derived.go_template is None:
        print("(no Ollama template: Ollama will use the GGUF's embedded Jinja template)")
    else:
        print(derived.go_template)
    for warning in derived.warnings if not args.json else ():
        print(f"warning: {warning}", file=sys.stderr)
    return _exit_code(derived)
