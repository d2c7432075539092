"""``tuneforge package SOURCE --name NAME[:TAG] …``: source → chat-tested Ollama model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli.format import human_bytes


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "package",
        help="model folder, LoRA adapter or .gguf → GGUF + Modelfile → Ollama → smoke chat",
        description="Package a merged model folder, a LoRA adapter folder or a .gguf file as an "
        "Ollama model: merge, convert and quantize in one pass, derive the chat template, "
        "register it with Ollama over its HTTP API and check it with a short chat. "
        "OUT/NAME.gguf and OUT/Modelfile are always left on disk.",
    )
    parser.add_argument("source", type=Path, help="model folder, LoRA adapter folder or .gguf")
    parser.add_argument("--name", required=True, help="Ollama model name, e.g. my-model:v1")
    parser.add_argument(
        "--type",
        dest="quant_type",
        default=None,
        help="Q4_K_M (default for folders), Q5_K_M, Q6_K, Q8_0, F16, BF16, …; "
        "a .gguf is kept as it is unless --type is given",
    )
    parser.add_argument("--system", default=None, help="system prompt (SYSTEM in the Modelfile)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="a Modelfile PARAMETER; repeat for several (and for several stop)",
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder (default ./NAME)")
    parser.add_argument(
        "--host", default=None, help="Ollama URL (default: OLLAMA_HOST or 127.0.0.1:11434)"
    )
    parser.add_argument("--no-register", action="store_true", help="only write the files")
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke chat")
    parser.add_argument(
        "--base", type=Path, default=None, help="base model folder for a LoRA adapter"
    )
    parser.add_argument(
        "--download-base",
        action="store_true",
        help="download the adapter's base model if it is not found locally "
        "(honours HF_ENDPOINT and HF_HOME)",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def parse_params(items: list[str]) -> tuple[tuple[str, str], ...]:
    from engine.errors import InputError

    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--param {item!r} is not KEY=VALUE",
                field="param",
                hint="For example: --param temperature=0.7 --param stop='<|im_end|>'",
            )
        pairs.append((key.strip(), value))
    return tuple(pairs)


def run(args: argparse.Namespace) -> int:
    from engine.cli.progress import exit_code, run_cli_job
    from engine.jobs.codec import to_plain
    from engine.package import PackageSpec, package_job

    spec = PackageSpec(
        source=args.source,
        name=args.name,
        quant_type=args.quant_type,
        system=args.system,
        params=parse_params(args.param),
        out_dir=args.out,
        host=args.host,
        register=not args.no_register,
        smoke=not args.no_smoke,
        base_dir=args.base,
        allow_download=args.download_base,
        threads=args.threads,
    )
    outcome = run_cli_job(package_job, spec, quiet=args.json)
    if not outcome.ok:
        return exit_code(outcome)
    result = outcome.result
    if args.json:
        print(json.dumps(to_plain(result), ensure_ascii=False, indent=2))
        return 0
    print()
    print(f"model         {result.name}")
    print(
        f"GGUF          {result.gguf_path}  ({human_bytes(result.size_bytes)}, {result.file_type})"
    )
    print(f"Modelfile     {result.modelfile_path}")
    parity = result.parity or {}
    family = result.template_family or "unknown"
    print(
        f"template      {family}; parity {parity.get('status', 'not checked')}"
        + (f" — {parity['first_difference']}" if parity.get("first_difference") else "")
    )
    if result.registered:
        print(f"Ollama        registered as {result.name}  →  ollama run {result.name}")
        if result.template_in_use:
            print(f"              {result.template_in_use['summary']}")
    else:
        print(f"Ollama        not added. {_sentence(result.register_note or '')}")
    check = result.prompt_check
    if check is not None:
        if check["status"] == "identical":
            print(
                f"prompt        identical: Ollama's prompt tokens = the model's own template "
                f"on {len(check['probes'])} probe conversations"
            )
        elif check["status"] == "mismatch":
            print(f"prompt        TEMPLATE PROBLEM: {check['problem']}")
        else:
            print(f"prompt        not checked: {check['problem']}")
    if result.smoke is not None and not result.smoke.ran:
        print(f"smoke chat    not run: {'; '.join(result.smoke.problems)}")
    elif result.smoke is not None:
        verdict = "ok" if result.smoke.ok else "PROBLEM: " + "; ".join(result.smoke.problems)
        print(f"smoke chat    {verdict}")
        print(f"              reply: {result.smoke.reply.strip()[:200]!r}")
    times = ", ".join(f"{k} {v:.1f}s" for k, v in result.stage_seconds.items())
    print(f"time          {times}")
    return 0


def _sentence(text: str) -> str:
    """The note as a sentence: "only the files …" → "Only the files …"."""
    return text[:1].upper() + text[1:]
