"""``tuneforge convert MODEL_DIR -o OUT.gguf [--type f16|bf16|f32|q8_0|Q4_K_M …]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "convert",
        help="convert a Hugging Face model folder to GGUF (optionally merging a LoRA adapter)",
        description="Convert a Hugging Face model folder (config.json + *.safetensors + "
        "tokenizer) to one GGUF file for llama.cpp / Ollama, in one streaming pass. "
        "Quantized types (q8_0, Q4_K_M …) are produced in the same pass.",
    )
    parser.add_argument(
        "model_dir",
        type=Path,
        help="model folder (the base model with --adapter), or a LoRA adapter folder",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="output .gguf (default: next to the folder, named after it and the type)",
    )
    parser.add_argument(
        "-t",
        "--type",
        default="f16",
        dest="out_type",
        help="f16 (default), bf16, f32, q8_0, or a K-quant such as Q4_K_M "
        "(see `tuneforge quantize --list-types`)",
    )
    parser.add_argument(
        "--adapter", type=Path, help="LoRA adapter folder to merge while converting"
    )
    parser.add_argument(
        "--base",
        type=Path,
        help="base model folder of the adapter (default: found from the adapter)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads (default: all, at most 8)"
    )
    parser.add_argument("--name", dest="model_name", help="model name stored in the GGUF")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from engine.cli.format import human_bytes
    from engine.cli.progress import exit_code, run_cli_job
    from engine.convert import ConvertResult, ConvertSpec, convert_job

    output = args.output or default_output(args.model_dir, args.out_type)
    spec = ConvertSpec(
        model_dir=args.model_dir,
        output=output,
        out_type=args.out_type,
        adapter_dir=args.adapter,
        base_dir=args.base,
        threads=args.threads,
        model_name=args.model_name,
    )
    outcome = run_cli_job(convert_job, spec, quiet=args.quiet or args.json)
    if outcome.ok and isinstance(outcome.result, ConvertResult):
        result = outcome.result
        if args.json:
            data = {
                "output": str(result.output),
                "sha256": result.sha256,
                "size_bytes": result.size_bytes,
                "type": result.out_type,
                "tensors": result.n_tensors,
                "architecture": result.architecture,
                "seconds": result.seconds,
            }
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print(f"wrote   {result.output}")
            print(
                f"        {human_bytes(result.size_bytes)}, {result.out_type}, "
                f"{result.n_tensors} tensors, {result.architecture}, {result.seconds:.1f} s"
            )
            print(f"sha256  {result.sha256}")
    elif args.json and not outcome.ok and outcome.error is not None:
        print(json.dumps({"error": outcome.error.to_dict()}, ensure_ascii=False), file=sys.stdout)
    return exit_code(outcome)


def default_output(model_dir: Path, out_type: str) -> Path:
    """``…/Qwen2.5-7B`` → ``…/Qwen2.5-7B-F16.gguf`` (next to the folder, not inside it)."""
    folder = Path(model_dir).absolute()
    return folder.with_name(f"{folder.name}-{out_type.upper()}.gguf")
