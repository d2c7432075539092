"""``tuneforge merge ADAPTER_DIR [--base BASE] -o OUT_DIR``: a merged Hugging Face folder."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40,
          "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}  # fmt: skip


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "merge",
        help="merge a LoRA adapter into its base model and save a Hugging Face folder",
        description="Merge a PEFT LoRA adapter into its base model, without torch or a GPU, "
        "and write a merged Hugging Face model folder (sharded safetensors, config, tokenizer). "
        "To get a GGUF you do not need this step: `convert`/`package` take the adapter directly.",
    )
    parser.add_argument(
        "adapter",
        type=Path,
        help="adapter folder (adapter_config.json + adapter_model.safetensors)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="folder to create for the merged model"
    )
    parser.add_argument(
        "--base",
        help="base model folder, Hugging Face cache folder or repo id "
        "(default: the base recorded in the adapter, looked up locally and in the HF cache)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="download the base model through huggingface_hub if it is not found locally "
        "(honours HF_ENDPOINT, e.g. https://hf-mirror.com, and HF_HOME)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the output folder if it exists"
    )
    parser.add_argument(
        "--max-shard-size",
        default="5GB",
        type=parse_size,
        metavar="SIZE",
        help="largest safetensors shard (default 5GB, like transformers)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    unit = (match.group(2) or "").upper() if match else ""
    if not match or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 5GB, 2GiB, 500MB)")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 2**20:
        raise argparse.ArgumentTypeError("the shard size must be at least 1 MiB")
    return size


def run(args: argparse.Namespace) -> int:
    from engine.cli.format import human_bytes
    from engine.cli.progress import exit_code, run_cli_job
    from engine.lora import MergeSpec, merge_job

    allow_download = bool(args.download) or _confirm_download(args)
    spec = MergeSpec(
        adapter_dir=args.adapter,
        output_dir=args.output,
        base=args.base,
        allow_download=allow_download,
        overwrite=args.overwrite,
        max_shard_bytes=args.max_shard_size,
    )
    outcome = run_cli_job(merge_job, spec, quiet=args.quiet)
    if outcome.ok:
        result = outcome.result
        print(
            f"merged {result.lora_merged} LoRA tensors into {result.base_dir}\n"
            f"wrote {result.output_dir} ({result.shards} shard(s), {human_bytes(result.bytes_written)}, "
            f"{result.seconds:.1f} s)"
        )
    return exit_code(outcome)


def _confirm_download(args: argparse.Namespace) -> bool:
    """Ask before downloading a missing base, when a person is at the terminal."""
    if not sys.stdin.isatty() or (args.base and Path(args.base).exists()):
        return False
    import os

    from engine.jobs import null_context
    from engine.lora import BaseModelNotFoundError, read_adapter, resolve_base
    from engine.lora.resolve import hf_hub_cache

    try:
        adapter = read_adapter(args.adapter)
        resolve_base(adapter, explicit_base=args.base, allow_download=False, ctx=null_context())
        return False
    except BaseModelNotFoundError as exc:
        repo_id = exc.details.get("repo_id")
        if not repo_id:
            return False
        endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
        print(f"The base model {repo_id} is not on this computer.", file=sys.stderr)
        answer = input(f"Download it from {endpoint} into {hf_hub_cache()}? [y/N] ")
        return answer.strip().lower() in ("y", "yes", "是")
    except Exception:  # the job reports every other problem properly
        return False
