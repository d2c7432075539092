"""Benchmark: LoRA adapter + base → Q4_K_M GGUF in one pass vs the chain users run today.

    python bench/bench_lora.py [--work DIR] [--threads 2] [--type Q4_K_M] [--keep]
                               [--layers 28] [--no-chain] [--repeat 1] [--merge-cost]

Model: bench_convert.py's DeepSeek-R1-Distill-Qwen-1.5B-shaped bf16 folder (Qwen2,
hidden 1536, intermediate 8960, 28 layers, vocab 151936, untied output; random
weights; the fixture tokenizer; built once under ``--work/convert``, ~3.6 GB).
Adapter: rank 16, alpha 32, on all seven linear projections of every layer
(q/k/v/o/gate/up/down: 196 LoRA pairs, float32 like PEFT saves them, random non-zero A
and B), written once under ``--work/lora``.

Measured side by side, each step a fresh process (wall time from start to exit, peak
RSS from ``wait4`` via a small launcher, CPU time), with the same thread count:

* the chain: (1) PEFT ``merge_and_unload()`` + ``save_pretrained`` (torch, CPU, the
  base loaded in bf16); (2) llama.cpp's ``convert_hf_to_gguf.py --outtype bf16`` (from
  the llama-cpp-python sdist; ``get_vocab_base_pre`` answers "deepseek-r1-qwen" because
  llama.cpp does not know the fixture tokenizer's hash — nothing else changed);
  (3) ``llama_model_quantize`` to the type — and the bytes of the intermediate files;
* ours: ``tuneforge convert BASE --adapter ADAPTER --type Q4_K_M`` (one pass, nothing
  else written), alternating ``--repeat`` times with our plain pass (the same command
  without the adapter), so what the merge adds is measured side by side.

``--no-chain`` runs only our two passes (no torch needed); ``--layers N`` uses a model
and adapter with N decoder layers (same widths and vocab, own folders) for a quicker run.

Then both final GGUFs are compared tensor by tensor (types and bytes). With
``--merge-cost`` it also times our merge alone (every adapted tensor read as float32
in the converter's row blocks, one thread, CPU time), exact vs. the fast path without
the PEFT-exact rounding repair. Prints Markdown tables; results also go to ``--work/lora/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from _measure import LLAMA_CONVERT_SCRIPT, LLAMA_QUANTIZE_SCRIPT, warm_cache  # noqa: E402
from bench_convert import SHAPE, Run, build_model, run_measured  # noqa: E402

DEFAULT_WORK = Path.home() / ".cache" / "tuneforge-bench"
FTYPES = {"Q4_K_M": 15, "Q8_0": 7, "Q6_K": 18, "Q5_K_M": 17}
RANK, ALPHA = 16, 32
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

_PEFT_MERGE = """
import shutil, sys
from pathlib import Path
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM
base, adapter, out = map(Path, sys.argv[1:4])
torch.set_num_threads(int(sys.argv[4]))
model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16)
model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
model.save_pretrained(out)
for item in base.iterdir():
    if item.name.startswith(("tokenizer", "special_tokens", "generation_config")):
        shutil.copyfile(item, out / item.name)
"""


def lora_modules(layers: int) -> list[tuple[str, int, int]]:
    """(module path, in_features, out_features) of every adapted projection."""
    h, ff = SHAPE["hidden_size"], SHAPE["intermediate_size"]
    kv = h // SHAPE["num_attention_heads"] * SHAPE["num_key_value_heads"]
    dims = {"q_proj": (h, h), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (h, h),
            "gate_proj": (h, ff), "up_proj": (h, ff), "down_proj": (ff, h)}  # fmt: skip
    out = []
    for layer in range(layers):
        for target in TARGETS:
            part = "self_attn" if target in ("q_proj", "k_proj", "v_proj", "o_proj") else "mlp"
            out.append((f"model.layers.{layer}.{part}.{target}", *dims[target]))
    return out


def build_adapter(folder: Path, base: Path, layers: int) -> Path:
    """A PEFT-format rank-16 adapter on all linear layers (built once)."""
    if (folder / ".done").is_file():
        return folder
    from engine.formats.safetensors_write import SafetensorsWriter, TensorEntry

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(16)
    entries, arrays = [], []
    for module, fan_in, fan_out in lora_modules(layers):
        key = f"base_model.model.{module}"
        a = rng.standard_normal((RANK, fan_in), dtype=np.float32) * np.float32(0.05)
        b = rng.standard_normal((fan_out, RANK), dtype=np.float32) * np.float32(0.02)
        entries += [TensorEntry(f"{key}.lora_A.weight", "F32", a.shape),
                    TensorEntry(f"{key}.lora_B.weight", "F32", b.shape)]  # fmt: skip
        arrays += [a, b]
    with SafetensorsWriter(
        folder / "adapter_model.safetensors", entries, metadata={"format": "pt"}
    ) as w:
        for entry, array in zip(entries, arrays, strict=True):
            w.write(entry.name, array)
    config = {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": str(base),
        "r": RANK, "lora_alpha": ALPHA, "lora_dropout": 0.0, "bias": "none",
        "target_modules": list(TARGETS), "use_rslora": False, "use_dora": False,
        "fan_in_fan_out": False, "init_lora_weights": True, "modules_to_save": None,
        "rank_pattern": {}, "alpha_pattern": {}, "inference_mode": True,
    }  # fmt: skip
    (folder / "adapter_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (folder / ".done").write_text("ok", encoding="utf-8")
    return folder


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def same_tensors(a: Path, b: Path) -> tuple[int, int, str]:
    """(equal tensors, all tensors, first difference)."""
    from gguf import GGUFReader

    ta = {t.name: t for t in GGUFReader(a).tensors}
    tb = {t.name: t for t in GGUFReader(b).tensors}
    if sorted(ta) != sorted(tb):
        return 0, len(ta), "different tensor names"
    equal, first = 0, ""
    for name, t in ta.items():
        same = t.tensor_type == tb[name].tensor_type and np.array_equal(
            np.asarray(t.data).view(np.uint8), np.asarray(tb[name].data).view(np.uint8)
        )
        equal += same
        if not same and not first:
            first = f"{name}: {t.tensor_type.name} vs {tb[name].tensor_type.name}"
    return equal, len(ta), first


def merge_cost(base: Path, adapter: Path) -> dict[str, float]:
    """CPU seconds (this thread) to compute every merged tensor as the converter asks for it
    (``read_values`` in its 512 Ki-value row blocks), exact and fast, base reads included."""
    from engine.hf.weights import SafetensorsSource
    from engine.lora import open_merged_source

    result = {}
    for exact in (True, False):
        with (
            SafetensorsSource(base) as source,
            open_merged_source(
                base_dir=base, adapter_dir=adapter, base_source=source, exact=exact
            ) as m,
        ):
            started = time.thread_time()
            for name in m.names():
                if not m.is_modified(name):
                    continue
                rows, cols = m.info(name).shape
                step = max(1, (1 << 19) // cols)
                for i in range(0, rows, step):
                    m.read_values(name, i, i + step)
            result["exact" if exact else "fast"] = time.thread_time() - started
    return result


def ours_pair(
    model: Path, adapter: Path, out: Path, type_name: str, t: str, repeat: int
) -> list[Run]:
    """Our plain pass and our adapter pass, alternating (``repeat`` times each), so both see
    the same machine: what the merge adds is the difference."""
    runs = []
    for _ in range(repeat):
        runs.append(run_measured(f"tuneforge convert --type {type_name} (no adapter)",
                                 [sys.executable, "-m", "engine", "convert", str(model),
                                  "-o", str(out / "plain.gguf"), "--type", type_name,
                                  "--threads", t, "-q"]))  # fmt: skip
        runs.append(run_measured(f"tuneforge convert --adapter --type {type_name}",
                                 [sys.executable, "-m", "engine", "convert", str(model),
                                  "--adapter", str(adapter), "-o", str(out / f"ours-{type_name}.gguf"),
                                  "--type", type_name, "--threads", t, "-q"]))  # fmt: skip
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--type", default="Q4_K_M", choices=sorted(FTYPES))
    parser.add_argument("--layers", type=int, default=SHAPE["num_hidden_layers"],
                        help="decoder layers of the bench model (fewer: a quicker, proportional run)")  # fmt: skip
    parser.add_argument("--no-chain", action="store_true",
                        help="skip PEFT + llama.cpp; only ours with and without the adapter")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1, help="runs of each of our two passes")
    parser.add_argument("--keep", action="store_true", help="keep the outputs")
    parser.add_argument("--merge-cost", action="store_true", help="also time the merge alone")
    args = parser.parse_args()

    from tests.fixtures import llama_src

    root = llama_src.llama_cpp_dir()
    if root is None and not args.no_chain:
        raise SystemExit(llama_src.MISSING_REASON)
    full = args.layers == SHAPE["num_hidden_layers"]
    suffix = "" if full else f" {args.layers} layers"
    model = build_model(args.work / "convert" / f"DeepSeek-R1-Distill-Qwen-1.5B-shaped{suffix} 模型",
                        layers=args.layers)  # fmt: skip
    adapter = build_adapter(args.work / "lora" / f"rank16 all-linear{suffix} 适配器", model,
                            args.layers)  # fmt: skip
    out = args.work / "lora" / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t = str(args.threads)
    env_threads = {"OMP_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t, "MKL_NUM_THREADS": t}
    os.environ.update(env_threads)  # the children inherit it (torch, numpy BLAS)
    warm_cache(model)
    print(
        f"model: {model} ({folder_bytes(model) / 1e9:.2f} GB, {args.layers} layers), "
        f"adapter {folder_bytes(adapter) / 1e6:.0f} MB"
    )
    print(f"cpus: {os.cpu_count()}, threads {t}, load average before: {os.getloadavg()}")

    result: dict[str, object] = {"cpus": os.cpu_count(), "threads": args.threads,
                                 "layers": args.layers, "load_before": os.getloadavg()}  # fmt: skip
    ours_q = out / f"ours-{args.type}.gguf"
    chain: list[Run] = []
    if not args.no_chain:
        merged_dir, bf16, chain_q = (
            out / "merged",
            out / "merged-bf16.gguf",
            out / f"chain-{args.type}.gguf",
        )
        chain.append(run_measured("PEFT merge_and_unload + save_pretrained",
                             [sys.executable, "-c", _PEFT_MERGE, str(model), str(adapter), str(merged_dir), t]))  # fmt: skip
        chain.append(run_measured("convert_hf_to_gguf.py --outtype bf16",
                               [sys.executable, "-c", LLAMA_CONVERT_SCRIPT, str(root), "deepseek-r1-qwen",
                                str(merged_dir), "--outfile", str(bf16), "--outtype", "bf16"]))  # fmt: skip
        chain.append(run_measured(f"llama_model_quantize {args.type}",
                                [sys.executable, "-c", LLAMA_QUANTIZE_SCRIPT, str(bf16), str(chain_q),
                                 str(FTYPES[args.type]), t]))  # fmt: skip
        result["intermediate_bytes"] = folder_bytes(merged_dir) + folder_bytes(bf16)
        shutil.rmtree(merged_dir, ignore_errors=True)
        bf16.unlink()
    before = {p.name for p in out.iterdir()}
    pair = ours_pair(model, adapter, out, args.type, t, max(1, args.repeat))
    extra = sorted({p.name for p in out.iterdir()} - before - {ours_q.name, "plain.gguf"})
    print(f"load average after: {os.getloadavg()}\n")
    result["load_after"] = os.getloadavg()

    print("| step | wall s | CPU s | peak RSS |")
    print("|---|---:|---:|---:|")
    for r in [*chain, *pair]:
        print(
            f"| {r.label} | {r.seconds:.1f} | {r.cpu_seconds:.1f} | {r.peak_rss_bytes / 1e9:.2f} GB |"
        )
    plain_runs, adapter_runs = pair[0::2], pair[1::2]
    plain_s = min(r.seconds for r in plain_runs)
    ours_s = min(r.seconds for r in adapter_runs)
    plain_cpu = min(r.cpu_seconds for r in plain_runs)
    ours_cpu = min(r.cpu_seconds for r in adapter_runs)
    print(f"\nthe merge adds (best of {len(plain_runs)} each): {ours_s - plain_s:+.1f} s wall "
          f"({ours_s / plain_s:.2f}× the plain pass), {ours_cpu - plain_cpu:+.1f} CPU-s")  # fmt: skip
    result.update(runs=[asdict(r) for r in [*chain, *pair]], merge_adds_seconds=ours_s - plain_s,
                  merge_adds_cpu_seconds=ours_cpu - plain_cpu, extra_files=extra)  # fmt: skip
    if chain:
        chain_s = sum(r.seconds for r in chain)
        equal, total, first = same_tensors(ours_q, chain_q)
        print()
        print("| | chain (merge + convert + quantize) | ours (one pass) |")
        print("|---|---:|---:|")
        print(f"| wall time | {chain_s:.1f} s | {ours_s:.1f} s ({ours_s / chain_s:.2f}×) |")
        print(
            f"| peak RSS | {max(r.peak_rss_bytes for r in chain) / 1e9:.2f} GB | "
            f"{max(r.peak_rss_bytes for r in adapter_runs) / 1e9:.2f} GB |"
        )
        print(
            f"| intermediate files | {result['intermediate_bytes'] / 1e9:.2f} GB | {'none' if not extra else ', '.join(extra)} |"  # type: ignore[operator]
        )
        print(
            f"| same tensors as the chain | | {equal}/{total}{'' if not first else ' (first difference: ' + first + ')'} |"
        )
        result.update(
            chain_seconds=chain_s, ratio=ours_s / chain_s, same_tensors=[equal, total, first]
        )
    if args.merge_cost:
        cost = merge_cost(model, adapter)
        print(
            f"\nmerge alone (one thread, CPU): exact {cost['exact']:.1f} s, fast {cost['fast']:.1f} s"
        )
        result["merge_cost"] = cost
    (args.work / "lora" / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
