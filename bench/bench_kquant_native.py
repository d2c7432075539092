"""Benchmark: our K-quant encoder (engine/quant/native) against ggml's reference, per type.

    python bench/bench_kquant_native.py [--rows 2048]

Encodes the same N(0, 0.02) float32 rows of 1536 values with ggml's quantizer
(``encode(..., reference=True)``) and with ours on each SIMD path the CPU has, one thread,
timed in thread CPU time (other jobs on the machine barely move it), and checks that the
bytes are equal. Prints a Markdown table. Build the library first (``dev.py setup`` or
``python -m engine.quant.native.build``).
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.quant import encode, kquant, row_bytes


def cpu_ns_per_value(fn, values: np.ndarray, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        fn()
        best = min(best, time.thread_time() - started)
    return best * 1e9 / values.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2048)
    args = parser.parse_args()
    native = kquant.load()
    if native is None:
        raise SystemExit("our K-quant library is not built (python -m engine.quant.native.build)")
    lib = ctypes.CDLL(str(native.path))
    lib.tf_kquant_set_level.argtypes = [ctypes.c_int]
    best = lib.tf_kquant_set_level(0)
    values = np.random.default_rng(0).normal(0, 0.02, (args.rows, 1536)).astype(np.float32)
    print(f"{values.size / 1e6:.2f} M values, one thread, thread CPU time (best of 3)\n")
    print("| type | ggml ns/value | ours SSE2 | ours AVX2 | ggml / ours (best) | same bytes |")
    print("|---|---:|---:|---:|---:|---|")
    for qtype in sorted(native.encoders, key=int):
        reference = encode(values, qtype, threads=1, reference=True)
        ggml_ns = cpu_ns_per_value(
            lambda q=qtype: encode(values, q, threads=1, reference=True), values
        )
        cells, same = [], True
        for level in (1, 2):
            if level > best:
                cells.append("n/a")
                continue
            lib.tf_kquant_set_level(level)
            fn = native.encoders[qtype]
            size = row_bytes(qtype, values.shape[1])
            same &= np.array_equal(kquant.encode_blocks(fn, values, size), reference.reshape(-1))
            cells.append(
                f"{cpu_ns_per_value(lambda f=fn, s=size: kquant.encode_blocks(f, values, s), values):.1f}"
            )
        lib.tf_kquant_set_level(0)
        fastest = min(float(c) for c in cells if c != "n/a")
        print(
            f"| {qtype.name} | {ggml_ns:.1f} | {cells[0]} | {cells[1]} | {ggml_ns / fastest:.1f}× | {'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
