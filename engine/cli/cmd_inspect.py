"""``tuneforge inspect PATH [--json]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.cli.format import human_bytes, human_count


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "inspect",
        help="say what a model folder, LoRA adapter or .gguf is (reads headers only)",
        description="Tell what a model folder, LoRA adapter folder or .gguf file holds, "
        "without loading the weights.",
    )
    parser.add_argument("path", type=Path, help="model folder, adapter folder or .gguf file")
    parser.add_argument("--json", action="store_true", help="print a machine-readable object")
    parser.add_argument(
        "--plan",
        action="store_true",
        help="also say what `tuneforge package` would do: the quant types with their exact "
        "sizes and the chat template the Modelfile gets (reads the tensor headers)",
    )
    parser.add_argument(
        "--base", type=Path, default=None, help="with --plan: the base model of a LoRA adapter"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.plan:
        return _run_plan(args)
    from engine.inspect import inspect_path

    report = inspect_path(args.path)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    _print_report(report)
    return 0


def _print_report(report: Any) -> None:
    for label, value in describe(report.to_dict()):
        print(f"{label:<18} {value}")
    for warning in report.warnings:
        print(f"warning: {warning}")


def _run_plan(args: argparse.Namespace) -> int:
    """The report plus ``engine.package.prepare``'s plan (the GUI's Package page shows
    the same)."""
    from engine.package import prepare

    prepared = prepare(args.path, args.base)
    plan = plan_dict(prepared)
    if args.json:
        print(json.dumps({**prepared.report.to_dict(), "plan": plan}, ensure_ascii=False, indent=2))
        return 0
    _print_report(prepared.report)
    if prepared.base_report is not None:
        print(f"{'base model':<18} {prepared.base_report.path}")
    if prepared.kept_file_type:
        print(f"{'quant':<18} kept as it is ({prepared.kept_file_type}) unless --type is given")
    for row in plan["quant_choices"]:
        star = "  (recommended: " + row["reason"] + ")" if row["recommended"] else ""
        print(f"{'':<18} {row['type']:<8} {human_bytes(row['bytes']):>9}{star}")
    if prepared.quant_note:
        print(f"{'quant':<18} {prepared.quant_note}")
    template = plan["template"]
    if template is not None:
        parity = {True: "identical", False: "DIFFERENT", None: "not checked"}[template["parity"]]
        text = f"{template['family'] or 'unknown'}; parity {parity}"
        print(f"{'template':<18} {text}" + (f" — {template['note']}" if template["note"] else ""))
    print(f"{'stages':<18} {' → '.join(plan['stages'])}")
    return 0


def plan_dict(prepared: Any) -> dict[str, Any]:
    """The JSON form of a plan (``inspect --plan --json``'s ``plan``)."""
    template = prepared.template
    return {
        "kind": str(prepared.kind),
        "quant_choices": [
            {
                "type": c.file_type.name,
                "bytes": c.output_bytes,
                "recommended": c.recommended,
                "reason": c.reason,
            }
            for c in prepared.quant_choices
        ],
        "quant_note": prepared.quant_note,
        "kept_file_type": prepared.kept_file_type,
        "template": None
        if template is None
        else {
            "family": template.family,
            "parity": template.parity,
            "first_difference": template.first_difference,
            "stop": list(template.stop),
            "note": template.note,
        },
        "stages": [str(stage) for stage in prepared.stages],
        "suggested_name": prepared.suggested_name,
    }


def describe(data: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("path", data["path"])]
    if "model" in data:
        m = data["model"]
        rows += [
            ("kind", "Hugging Face model folder"),
            ("architecture", m["architecture"] + ("" if m["supported"] else "  (not supported)")),
            ("parameters", human_count(m["parameters"])),
            ("dtype", m["dtype"]),
            ("size on disk", human_bytes(m["disk_bytes"])),
            ("context length", str(m["context_length"] or "unknown")),
            ("tokenizer", m["tokenizer"] or "missing"),
            ("chat template", _template(m["chat_template"], m["chat_template_family"])),
        ]
        if m["generation_defaults"]:
            gen = ", ".join(f"{k}={v}" for k, v in m["generation_defaults"].items())
            rows.append(("generation", gen))
    if "adapter" in data:
        a = data["adapter"]
        rows += [
            ("kind", f"{a['peft_type']} adapter" + (" (DoRA)" if a["use_dora"] else "")),
            ("base model", a["base_model"] or "not recorded"),
            ("base found at", a["base_found"] or "not found locally"),
            (
                "rank / alpha",
                f"{a['rank']} / {a['alpha']}" + (" (rsLoRA)" if a["use_rslora"] else ""),
            ),
            ("target modules", ", ".join(a["target_modules"]) or "none"),
            ("parameters", human_count(a["parameters"])),
        ]
        if a["modules_to_save"]:
            rows.append(("modules to save", ", ".join(a["modules_to_save"])))
    if "gguf" in data:
        g = data["gguf"]
        rows += [
            ("kind", f"GGUF v{g['gguf_version']}"),
            ("architecture", g["architecture"] or "unknown"),
            ("name", g["name"] or "-"),
            ("file type", g["file_type"] or "unknown"),
            ("tensors", str(g["tensor_count"])),
            ("parameters", human_count(g["parameters"])),
            ("size on disk", human_bytes(g["disk_bytes"])),
            ("context length", str(g["context_length"] or "unknown")),
            ("chat template", _template(g["chat_template"], g["chat_template_family"])),
        ]
    return rows


def _template(present: bool, family: str | None) -> str:
    if not present:
        return "none"
    return f"yes ({family})" if family else "yes (unrecognised family)"
