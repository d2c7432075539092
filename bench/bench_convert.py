"""Benchmark: HF folder → F16 GGUF, ``tuneforge convert`` vs llama.cpp's ``convert_hf_to_gguf.py``.

    python bench/bench_convert.py [--work DIR] [--keep]

The model has DeepSeek-R1-Distill-Qwen-1.5B's shape (Qwen2ForCausalLM, hidden 1536,
intermediate 8960, 28 layers, 12/2 heads, vocab 151936, untied output, q/k/v biases),
bf16 safetensors in one file (~3.3 GiB) with random N(0, 0.02) weights, written with
numpy (no torch), and the tiny DeepSeek-R1-Qwen fixture tokenizer (its config vocab
padded to 151936). It is built once into ``--work`` and reused.

Measured side by side in one run, each a fresh process, after reading the weights
once so both start from a warm page cache:

* ``cp`` of the weight file (the floor: read + write every byte once);
* llama.cpp: ``convert_hf_to_gguf.py MODEL --outtype f16`` (from the llama-cpp-python
  sdist; needs torch). Its BPE pre-tokenizer check hashes a tokenization and does not
  know the fixture tokenizer, so ``get_vocab_base_pre`` returns "deepseek-r1-qwen" —
  nothing else is changed;
* ours: ``python -m engine convert MODEL -o OUT --type f16`` (default threads).

Wall time from start to exit, and the peak RSS of the whole process (the kernel's
high-water mark, from ``wait4``). Afterwards the two GGUFs are compared tensor by
tensor (same types and bytes). Prints a Markdown table; results also go to
``--work/convert-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _measure import LLAMA_CONVERT_SCRIPT, measure, warm_cache  # noqa: E402

SHAPE = {  # DeepSeek-R1-Distill-Qwen-1.5B's config.json (the parts that matter here)
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 1536,
    "intermediate_size": 8960,
    "num_hidden_layers": 28,
    "num_attention_heads": 12,
    "num_key_value_heads": 2,
    "max_position_embeddings": 131072,
    "max_window_layers": 21,
    "rms_norm_eps": 1e-06,
    "rope_theta": 10000,
    "sliding_window": 4096,
    "use_sliding_window": False,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "vocab_size": 151936,
}
POOL_VALUES = 1 << 26  # random bf16 values, sliced from at random offsets


def model_tensors(layers: int | None = None) -> list[tuple[str, tuple[int, ...]]]:
    h, ff, vocab = SHAPE["hidden_size"], SHAPE["intermediate_size"], SHAPE["vocab_size"]
    kv = h // SHAPE["num_attention_heads"] * SHAPE["num_key_value_heads"]
    out: list[tuple[str, tuple[int, ...]]] = [
        ("lm_head.weight", (vocab, h)),
        ("model.embed_tokens.weight", (vocab, h)),
        ("model.norm.weight", (h,)),
    ]
    for i in range(SHAPE["num_hidden_layers"] if layers is None else layers):
        p = f"model.layers.{i}."
        out += [
            (p + "input_layernorm.weight", (h,)),
            (p + "mlp.down_proj.weight", (h, ff)),
            (p + "mlp.gate_proj.weight", (ff, h)),
            (p + "mlp.up_proj.weight", (ff, h)),
            (p + "post_attention_layernorm.weight", (h,)),
            (p + "self_attn.k_proj.bias", (kv,)),
            (p + "self_attn.k_proj.weight", (kv, h)),
            (p + "self_attn.o_proj.weight", (h, h)),
            (p + "self_attn.q_proj.bias", (h,)),
            (p + "self_attn.q_proj.weight", (h, h)),
            (p + "self_attn.v_proj.bias", (kv,)),
            (p + "self_attn.v_proj.weight", (kv, h)),
        ]
    return out


def _bf16(values: np.ndarray) -> np.ndarray:
    bits = values.astype(np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")


def build_model(folder: Path, *, layers: int | None = None) -> Path:
    """The 1.5B-shaped folder (``layers``: fewer decoder layers, for a quicker run); a
    ``.done`` marker makes it reusable across runs."""
    if (folder / ".done").is_file():
        return folder
    from tests.fixtures.models import chat_template
    from tests.fixtures.tokenizer_build import write_tokenizer

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    vocab = write_tokenizer("deepseek_r1_qwen", folder, chat_template("deepseek_r1_qwen"))
    config = {
        **SHAPE,
        "num_hidden_layers": SHAPE["num_hidden_layers"] if layers is None else layers,
        "bos_token_id": vocab["<｜begin▁of▁sentence｜>"],
        "eos_token_id": vocab["<｜end▁of▁sentence｜>"],
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

    tensors = model_tensors(layers)
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in tensors:
        size = int(np.prod(shape)) * 2
        header[name] = {
            "dtype": "BF16",
            "shape": list(shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    head = json.dumps(header).encode("utf-8")
    head += b" " * (-len(head) % 8)
    rng = np.random.default_rng(1234)
    pool = _bf16(rng.standard_normal(POOL_VALUES, dtype=np.float32) * np.float32(0.02))
    norms = _bf16(rng.random(1 << 16, dtype=np.float32) + np.float32(0.5))
    tmp = folder / "model.safetensors.tmp"
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<Q", len(head)) + head)
        for name, shape in tensors:
            n = int(np.prod(shape))
            if "norm" in name:
                fh.write(norms[:n].tobytes())
                continue
            while n:
                take = min(n, POOL_VALUES // 2)
                start = int(rng.integers(0, POOL_VALUES - take))
                fh.write(pool[start : start + take].tobytes())
                n -= take
    tmp.rename(folder / "model.safetensors")
    (folder / ".done").write_text("ok", encoding="utf-8")
    return folder


# -- measuring -------------------------------------------------------------------------
@dataclass
class Run:
    label: str
    seconds: float
    peak_rss_bytes: int
    cpu_seconds: float


def run_measured(label: str, cmd: list[str]) -> Run:
    """Run ``cmd`` to completion: wall time, its own peak RSS and CPU time."""
    m = measure(label, cmd)
    return Run(label, m.seconds, m.peak_rss_bytes, m.cpu_seconds)


def llama_cpp_convert(model: Path, out: Path) -> Run:
    from tests.fixtures import llama_src

    root = llama_src.llama_cpp_dir()
    if root is None:
        raise SystemExit(llama_src.MISSING_REASON)
    cmd = [sys.executable, "-c", LLAMA_CONVERT_SCRIPT, str(root), "deepseek-r1-qwen", str(model)]
    return run_measured(
        "llama.cpp convert_hf_to_gguf.py --outtype f16",
        [*cmd, "--outfile", str(out), "--outtype", "f16"],
    )


def ours_convert(model: Path, out: Path) -> Run:
    cmd = [
        sys.executable,
        "-m",
        "engine",
        "convert",
        str(model),
        "-o",
        str(out),
        "--type",
        "f16",
        "-q",
    ]
    return run_measured("tuneforge convert --type f16", cmd)


def plain_copy(model: Path, out: Path) -> Run:
    return run_measured("cp model.safetensors", ["cp", str(model / "model.safetensors"), str(out)])


def same_tensors(a: Path, b: Path) -> str:
    from gguf import GGUFReader

    ta = {t.name: t for t in GGUFReader(a).tensors}
    tb = {t.name: t for t in GGUFReader(b).tensors}
    if sorted(ta) != sorted(tb):
        return "NO: different tensor names"
    for name, t in ta.items():
        if t.tensor_type != tb[name].tensor_type:
            return f"NO: {name} is {t.tensor_type.name} vs {tb[name].tensor_type.name}"
        if not np.array_equal(
            np.asarray(t.data).view(np.uint8), np.asarray(tb[name].data).view(np.uint8)
        ):
            return f"NO: {name} bytes differ"
    return f"yes ({len(ta)} tensors, same types and bytes)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--work", type=Path, default=Path.home() / ".cache" / "tuneforge-bench" / "convert"
    )
    parser.add_argument("--keep", action="store_true", help="keep the GGUF files")
    parser.add_argument("--ours-only", action="store_true", help="skip cp and llama.cpp")
    args = parser.parse_args()

    t0 = time.monotonic()
    model = build_model(args.work / "DeepSeek-R1-Distill-Qwen-1.5B-shaped 模型")
    weights = model / "model.safetensors"
    print(
        f"model: {model} ({weights.stat().st_size / 2**30:.2f} GiB), ready in {time.monotonic() - t0:.0f} s"
    )
    out_dir = args.work / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    warm_cache(model)
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()}")

    runs: list[Run] = []
    ours_out, theirs_out = out_dir / "ours-f16.gguf", out_dir / "llama.cpp-f16.gguf"
    if not args.ours_only:
        copy_out = out_dir / "copy.safetensors"
        runs.append(plain_copy(model, copy_out))
        copy_out.unlink()
        runs.append(llama_cpp_convert(model, theirs_out))
    runs.append(ours_convert(model, ours_out))
    print(f"load average after: {os.getloadavg()}\n")

    print("| run | wall s | CPU s | peak RSS |")
    print("|---|---:|---:|---:|")
    for run in runs:
        print(
            f"| {run.label} | {run.seconds:.1f} | {run.cpu_seconds:.1f} | {run.peak_rss_bytes / 1e9:.2f} GB |"
        )
    result: dict[str, object] = {"runs": [asdict(r) for r in runs], "cpus": os.cpu_count()}
    if not args.ours_only:
        ours, theirs = runs[-1], runs[-2]
        print(f"\nours / llama.cpp wall time: {ours.seconds / theirs.seconds:.2f}×")
        equal = same_tensors(ours_out, theirs_out)
        print(f"same tensors as llama.cpp: {equal}")
        result.update(ratio=ours.seconds / theirs.seconds, same_tensors=equal)
    (args.work / "convert-results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
