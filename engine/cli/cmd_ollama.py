"""``tuneforge ollama status|list|show NAME|rm NAME``: look at what the local Ollama holds."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli.format import human_bytes


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "ollama",
        help="list, show or delete models in Ollama; check that Ollama runs",
        description="Talk to the Ollama server at --host, or OLLAMA_HOST, or 127.0.0.1:11434.",
    )
    parser.add_argument("--host", help="Ollama address (default: OLLAMA_HOST or 127.0.0.1:11434)")
    actions = parser.add_subparsers(dest="ollama_action", metavar="ACTION")

    status = actions.add_parser("status", help="is Ollama installed and running? which version?")
    status.add_argument("--json", action="store_true", help="print a machine-readable object")
    status.set_defaults(func=run_status)

    listing = actions.add_parser("list", aliases=["ls"], help="the models Ollama has")
    listing.add_argument("--json", action="store_true", help="print a machine-readable list")
    listing.set_defaults(func=run_list)

    show = actions.add_parser("show", help="what Ollama stored for a model")
    show.add_argument("name", help="model name, e.g. my-model or my-model:v2")
    what = show.add_mutually_exclusive_group()
    what.add_argument("--json", action="store_true", help="print a machine-readable object")
    what.add_argument("--modelfile", action="store_true", help="print the Modelfile only")
    what.add_argument("--template", action="store_true", help="print the chat template only")
    show.set_defaults(func=run_show)

    remove = actions.add_parser("rm", aliases=["delete"], help="delete a model from Ollama")
    remove.add_argument("names", nargs="+", metavar="NAME", help="model name(s)")
    remove.set_defaults(func=run_rm)

    for action in (status, listing, show, remove):
        # --host is accepted after the action too (`tuneforge ollama list --host …`)
        action.add_argument("--host", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.set_defaults(func=lambda args: _help(parser))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _client(args: argparse.Namespace) -> Any:
    from engine.ollama import OllamaClient

    return OllamaClient(args.host)


def run_status(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from engine.ollama import find_ollama

    with _client(args) as client:
        status = client.status()
    if args.json:
        data = asdict(status)
        data["executable"] = str(find_ollama() or "") or None
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(status.message)
    return 0 if status.running and status.supported else 1


def run_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with _client(args) as client:
        models = client.list_models()
    if args.json:
        print(json.dumps([asdict(m) for m in models], ensure_ascii=False, indent=2))
        return 0
    if not models:
        print("Ollama has no models yet.")
        return 0
    rows = [("NAME", "SIZE", "PARAMS", "QUANT", "MODIFIED")]
    rows += [
        (m.name, human_bytes(m.size), m.parameter_size, m.quantization_level, m.modified_at[:19])
        for m in models
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def run_show(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with _client(args) as client:
        details = client.show(args.name)
    if args.json:
        print(json.dumps(asdict(details), ensure_ascii=False, indent=2, default=str))
        return 0
    if args.modelfile:
        print(details.modelfile, end="" if details.modelfile.endswith("\n") else "\n")
        return 0
    if args.template:
        print(details.template, end="" if details.template.endswith("\n") else "\n")
        return 0
    rows = [
        ("name", details.name),
        ("architecture", details.family),
        ("parameters", details.parameter_size),
        ("quantization", details.quantization_level),
        ("capabilities", ", ".join(details.capabilities)),
    ]
    context = next(
        (v for k, v in details.model_info.items() if k.endswith(".context_length")), None
    )
    if context:
        rows.append(("context length", str(context)))
    for label, value in rows:
        if value:
            print(f"{label:<16} {value}")
    if details.parameters:
        print("\nparameters")
        for key, value in details.parameters.items():
            for item in value if isinstance(value, list) else [value]:
                print(f"  {key:<14} {json.dumps(item, ensure_ascii=False)}")
    if details.system:
        print("\nsystem\n  " + details.system.replace("\n", "\n  "))
    if details.template:
        print("\ntemplate\n  " + details.template.strip().replace("\n", "\n  "))
    return 0


def run_rm(args: argparse.Namespace) -> int:
    with _client(args) as client:
        for name in args.names:
            client.delete(name)
            print(f"deleted {name}")
    return 0
