"""``tuneforge quantize IN.gguf -o OUT.gguf --type TYPE`` (and ``--list-types``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "quantize",
        help="quantize an F16/BF16/F32 .gguf you already have (e.g. to Q4_K_M)",
        description="Quantize an unquantized GGUF with llama.cpp's own quantizer. For a "
        "Hugging Face model folder use `tuneforge convert MODEL_DIR --type TYPE` instead: "
        "it converts and quantizes in one pass.",
    )
    parser.add_argument("input", type=Path, nargs="?", help="F16, BF16 or F32 .gguf file")
    parser.add_argument("-o", "--output", type=Path, help="output .gguf (default: next to input)")
    parser.add_argument(
        "-t", "--type", default=None, help="GGUF type, e.g. Q4_K_M (see --list-types)"
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--list-types", action="store_true", help="list the types with a short advice each"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    if args.list_types:
        print_types()
        return 0
    if args.input is None or args.type is None:
        print("error: give an input .gguf and --type TYPE (see --list-types)", file=sys.stderr)
        return 2

    from engine.cli.paths import check_gguf_input
    from engine.cli.progress import exit_code, run_cli_job
    from engine.quant.estimate import format_size
    from engine.quant.requantize import QuantizeResult, QuantizeSpec, quantize_gguf
    from engine.quant.types import parse_file_type

    check_gguf_input(args.input)
    file_type = parse_file_type(args.type)
    output = args.output or default_output(args.input, file_type.name)
    spec = QuantizeSpec(
        input_path=args.input,
        output_path=output,
        file_type=file_type.name,
        threads=args.threads,
    )
    outcome = run_cli_job(quantize_gguf, spec, quiet=args.quiet)
    if outcome.ok and isinstance(outcome.result, QuantizeResult):
        result = outcome.result
        print(
            f"wrote {result.output_path} ({result.file_type}, "
            f"{format_size(result.output_bytes)}) in {result.seconds:.1f} s"
        )
    return exit_code(outcome)


def default_output(source: Path, type_name: str) -> Path:
    """model-BF16.gguf → model-Q4_K_M.gguf; model.gguf → model-Q4_K_M.gguf."""
    stem = source.stem
    for suffix in ("-f32", "-f16", "-bf16", ".f32", ".f16", ".bf16", "_f16", "_bf16"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return source.with_name(f"{stem}-{type_name}.gguf")


def print_types() -> None:
    """The table of ``engine/quant/filetypes.json``: size per billion parameters and advice."""
    from engine.quant.types import FILE_TYPES, RECOMMENDED_FILE_TYPE, size_advice
    from engine.sizes import format_size

    print("  type     size per 1B parameters  advice")
    for file_type in FILE_TYPES.values():
        mark = "*" if file_type.name == RECOMMENDED_FILE_TYPE else " "
        per_billion = format_size(file_type.bits_per_weight / 8 * 1e9)
        print(f"{mark} {file_type.name:<7}  ≈ {per_billion:<21} {file_type.recommendation}")
    print()
    print("* recommended for most models. By model size (parameters):")
    for row in size_advice():
        print(f"  {row.models:<15} {row.type:<7} {row.reason}")
    print(
        "Sizes per 1B parameters are typical averages; the app and `convert` show a model's exact size."
    )
