"""Benchmark: model folder → quantized GGUF, Tuneforge's single pass vs llama.cpp's two steps.

    python bench/bench_quantize.py [--work DIR] [--threads 2] [--types Q4_K_M Q8_0] [--layers 28]

On a DeepSeek-R1-Distill-Qwen-1.5B-shaped model (Qwen2, hidden 1536, 28 layers,
vocab 151936, untied output, bf16 safetensors; random N(0, 0.02) weights, the
fixture tokenizer padded to the vocab) it measures side by side, in one run, with the same
thread count:

* two-step: llama.cpp's ``convert_hf_to_gguf.py --outtype bf16`` (from the
  llama-cpp-python sdist, needs torch), then ``llama_model_quantize`` (timed inside
  its process, around the call only);
* ours: ``tuneforge convert MODEL -o OUT --type TYPE`` (a fresh process, timed from
  start to exit), with its peak RSS;

then checks that both files hold the same tensor types and bytes. The model is
bench_convert.py's (same builder and folder under ``--work``, about 3.6 GB, built
once). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _measure import (  # noqa: E402
    LLAMA_CONVERT_SCRIPT,
    LLAMA_QUANTIZE_SCRIPT,
    measure,
    warm_cache,
)

FTYPES = {"Q4_K_M": 15, "Q8_0": 7, "Q6_K": 18, "Q5_K_M": 17}
DEFAULT_WORK = Path.home() / ".cache" / "tuneforge-bench"


def build_model(work: Path, layers: int | None = None) -> Path:
    """The 1.5B-shaped model folder of bench_convert.py (same builder, same folder: built
    once); ``layers``: fewer decoder layers (bench_lora.py's folder of that size)."""
    sys.path.insert(0, str(REPO / "bench"))
    from bench_convert import SHAPE
    from bench_convert import build_model as build_shared

    if layers is None or layers == SHAPE["num_hidden_layers"]:
        return build_shared(work / "convert" / "DeepSeek-R1-Distill-Qwen-1.5B-shaped 模型")
    folder = work / "convert" / f"DeepSeek-R1-Distill-Qwen-1.5B-shaped {layers} layers 模型"
    return build_shared(folder, layers=layers)


# --- measuring ------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes
    cpu_seconds: float
    load_after: float  # 1-minute load average when it ended (other jobs on the machine)


def run_measured(cmd: list[str], *, env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run a command; wall time, its peak RSS and CPU time (through a small parent)."""
    m = measure(str(cmd[:4]), cmd, env=env, keep_stdout=True)
    return Run(m.seconds, m.peak_rss_bytes, m.cpu_seconds, os.getloadavg()[0]), m.stdout


def llama_convert_bf16(model: Path, out: Path, threads: int) -> Run:
    from tests.fixtures import llama_src

    root = llama_src.llama_cpp_dir()
    if root is None:
        raise SystemExit(llama_src.MISSING_REASON)
    cmd = [sys.executable, "-c", LLAMA_CONVERT_SCRIPT, str(root), "deepseek-r1-qwen", str(model)]
    cmd += ["--outfile", str(out), "--outtype", "bf16"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}  # torch's threads; the script has none
    run, _ = run_measured(cmd, env=env)
    return run


def llama_quantize(source: Path, out: Path, type_name: str, threads: int) -> Run:
    cmd = [
        sys.executable,
        "-c",
        LLAMA_QUANTIZE_SCRIPT,
        str(source),
        str(out),
        str(FTYPES[type_name]),
        str(threads),
    ]
    run, stdout = run_measured(cmd)
    run.seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"]  # the call alone
    return run


def ours_convert(
    model: Path, out: Path, type_name: str, threads: int, *, ggml_only: bool = False
) -> Run:
    """``ggml_only``: K-types through ggml's quantizer instead of our encoder (same bytes)."""
    cmd = [sys.executable, "-m", "engine", "convert", str(model), "-o", str(out)]
    cmd += ["--type", type_name, "--threads", str(threads), "-q"]
    env = {**os.environ, "TUNEFORGE_KQUANT": "0"} if ggml_only else None
    run, _ = run_measured(cmd, env=env)
    return run


def same_tensors(a: Path, b: Path) -> tuple[bool, str]:
    from gguf import GGUFReader

    ra, rb = GGUFReader(a), GGUFReader(b)
    ta = {t.name: t for t in ra.tensors}
    tb = {t.name: t for t in rb.tensors}
    if sorted(ta) != sorted(tb):
        return False, "different tensor names"
    for name, t in ta.items():
        if t.tensor_type != tb[name].tensor_type:
            return False, f"{name}: {t.tensor_type.name} vs {tb[name].tensor_type.name}"
        if not np.array_equal(
            np.asarray(t.data).view(np.uint8), np.asarray(tb[name].data).view(np.uint8)
        ):
            return False, f"{name}: bytes differ"
    return True, f"{len(ta)} tensors: same types and bytes"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--types", nargs="+", default=["Q4_K_M", "Q8_0"], choices=sorted(FTYPES))
    parser.add_argument("--keep", action="store_true", help="keep the GGUF files")
    parser.add_argument(
        "--layers", type=int, default=None, help="decoder layers (default 28; fewer: quicker)"
    )
    parser.add_argument(
        "--ggml-too",
        action="store_true",
        help="also run our pass with K-types through ggml's quantizer (TUNEFORGE_KQUANT=0)",
    )
    args = parser.parse_args()
    from engine.quant import kquant

    native = kquant.load()
    print(f"our K-quant encoder: {native.level + ' ' + str(native.path) if native else 'not used'}")

    model = build_model(args.work, args.layers)
    two_dir, ours_dir = args.work / "quantize" / "two-step", args.work / "quantize" / "ours 输出"
    for d in (two_dir, ours_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    warm_cache(model)
    t = args.threads
    print(
        f"model: {model} ({sum(p.stat().st_size for p in model.iterdir()) / 1e9:.2f} GB), threads {t}"
    )
    print(f"load average before: {os.getloadavg()}")

    bf16 = two_dir / "model-bf16.gguf"
    convert = llama_convert_bf16(model, bf16, t)
    rows = [("convert_hf_to_gguf.py --outtype bf16", convert)]
    summary = []
    for type_name in args.types:
        theirs_out = two_dir / f"model-{type_name}.gguf"
        quantize = llama_quantize(bf16, theirs_out, type_name, t)
        ours_out = ours_dir / f"model-{type_name}.gguf"
        if args.ggml_too:
            via_ggml = ours_convert(model, ours_out, type_name, t, ggml_only=True)
            rows.append((f"tuneforge convert --type {type_name} (ggml's quantizer)", via_ggml))
            equal, detail = same_tensors(ours_out, theirs_out)
            summary.append(
                f"| {type_name}, ggml's quantizer | | {via_ggml.seconds:.1f} s "
                f"| {via_ggml.seconds / (convert.seconds + quantize.seconds):.2f}× | | "
                f"| {'yes' if equal else 'NO: ' + detail} | |"
            )
        ours = ours_convert(model, ours_out, type_name, t)
        leftovers = sorted(p.name for p in ours_dir.iterdir() if p != ours_out and p.name not in {
            f"model-{n}.gguf" for n in args.types})  # fmt: skip
        equal, detail = same_tensors(ours_out, theirs_out)
        rows += [
            (f"llama_model_quantize {type_name}", quantize),
            (f"tuneforge convert --type {type_name}", ours),
        ]
        two_step = convert.seconds + quantize.seconds
        summary.append(
            f"| {type_name} | {convert.seconds:.1f} + {quantize.seconds:.1f} = {two_step:.1f} s "
            f"| {ours.seconds:.1f} s | {ours.seconds / two_step:.2f}× | {ours.seconds / quantize.seconds:.2f}× "
            f"| {ours.peak_rss / 2**20:.0f} MiB | {'yes' if equal else 'NO: ' + detail} "
            f"| {'none' if not leftovers else ', '.join(leftovers)} |"
        )
        if not args.keep:
            theirs_out.unlink()
            ours_out.unlink()
    print(f"load average after: {os.getloadavg()}\n")
    print("| step | wall s | CPU s | cores busy | peak RSS MiB | load avg after |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, run in rows:
        print(f"| {label} | {run.seconds:.1f} | {run.cpu_seconds:.1f} | {run.cpu_seconds / run.seconds:.2f} "
              f"| {run.peak_rss / 2**20:.0f} | {run.load_after:.2f} |")  # fmt: skip
    print()
    print("| type | two-step (convert + quantize) | ours (one pass) | ours / two-step | ours / quantize step "
          "| our peak RSS | same tensors | other files |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|---|")
    print("\n".join(summary))
    if not args.keep:
        bf16.unlink()


if __name__ == "__main__":
    main()
