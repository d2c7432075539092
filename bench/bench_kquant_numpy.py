"""Research benchmark: could numpy, vectorised across sub-blocks, beat ggml's Q4_K search?

    python bench/bench_kquant_numpy.py [--rows 512 2048]

ggml's ``quantize_row_q4_K_ref`` runs ``make_qkx2_quants`` on every 32-value sub-block:
21 candidate scales × 32 positions, each with three sequential weighted sums and then a
sequential error sum. A byte-identical numpy version has to keep those sums in C order, so
it can vectorise only *across* sub-blocks (one array lane per sub-block), looping the 32
positions in Python. This script times, with thread CPU time in one process, on the same
N(0, 0.02) float32 rows of 1536 values:

* ggml's complete Q4_K quantization (``engine.quant.encode``, one thread);
* the faithful numpy search loop alone (nearest_int as ggml's bit trick, clamping, the
  sums in ggml's order, the solve, the error, keeping the best) — no weights, no scale
  quantization, no final pass or packing;
* a floor: the same loop with in-place operations and without the bookkeeping.

If even the floor is not clearly faster than ggml's whole function, a byte-identical numpy
search cannot pay off (see docs/benchmarks.md, issue 20). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

F32 = np.float32
MAGIC = F32(12582912.0)  # ggml's nearest_int: 1.5 * 2^23
NMAX, RMIN, RDELTA, NSTEP = 15, -1.0, 0.1, 20  # quantize_row_q4_K_ref's make_qkx2_quants call


def faithful(xt: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The 21-step search of make_qkx2_quants, lanes = sub-blocks; returns the best scales."""
    n, lanes = xt.shape
    low = np.minimum(xt.min(0), F32(0))
    span = xt.max(0) - low
    sum_w, sum_x = w[0].copy(), w[0] * xt[0]
    for i in range(1, n):  # ggml's order
        sum_w += w[i]
        sum_x += w[i] * xt[i]
    best_err = np.full(lanes, np.inf, F32)
    best_scale = np.zeros(lanes, F32)
    best_l = np.zeros((n, lanes), np.int32)
    levels = np.zeros((n, lanes), np.int32)
    for step in range(NSTEP + 1):
        iscale = (F32(RMIN) + F32(RDELTA) * F32(step) + F32(NMAX)) / span
        s_l, s_l2, s_xl = np.zeros(lanes, F32), np.zeros(lanes, F32), np.zeros(lanes, F32)
        for i in range(n):
            bits = (iscale * (xt[i] - low) + MAGIC).view(np.int32)
            level = np.clip((bits & 0x007FFFFF) - 0x00400000, 0, NMAX)
            levels[i] = level
            wl = w[i] * level.astype(F32)
            s_l += wl
            s_l2 += wl * level.astype(F32)
            s_xl += wl * xt[i]
        det = sum_w * s_l2 - s_l * s_l
        scale = (sum_w * s_xl - sum_x * s_l) / det
        shift = (s_l2 * sum_x - s_l * s_xl) / det
        positive = shift > 0
        shift = np.where(positive, F32(0), shift)
        scale = np.where(positive, s_xl / s_l2, scale)
        err = np.zeros(lanes, F32)
        for i in range(n):
            diff = scale * levels[i].astype(F32) + shift - xt[i]
            err += w[i] * (diff * diff)
        better = (det > 0) & (err < best_err)
        best_err = np.where(better, err, best_err)
        best_scale = np.where(better, scale, best_scale)
        np.copyto(best_l, levels, where=better)
    return best_scale


def floor(xt: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The same arithmetic in place, without the bookkeeping: a lower bound for numpy."""
    n, lanes = xt.shape
    low = np.minimum(xt.min(0), F32(0))
    span = xt.max(0) - low
    shifted = xt - low
    sum_w, sum_x = w.sum(0), (w * xt).sum(0)
    best_err = np.full(lanes, np.inf, F32)
    levels = np.empty((n, lanes), F32)
    v, wl, tmp = np.empty(lanes, F32), np.empty(lanes, F32), np.empty(lanes, F32)
    s_l, s_l2, s_xl, err = (np.empty(lanes, F32) for _ in range(4))
    for step in range(NSTEP + 1):
        iscale = (F32(RMIN) + F32(RDELTA) * F32(step) + F32(NMAX)) / span
        s_l[:] = s_l2[:] = s_xl[:] = 0
        for i in range(n):
            np.multiply(iscale, shifted[i], out=v)
            v += MAGIC
            v -= MAGIC
            np.clip(v, 0, NMAX, out=levels[i])
            np.multiply(w[i], levels[i], out=wl)
            s_l += wl
            np.multiply(wl, levels[i], out=tmp)
            s_l2 += tmp
            np.multiply(wl, xt[i], out=tmp)
            s_xl += tmp
        det = sum_w * s_l2 - s_l * s_l
        scale = (sum_w * s_xl - sum_x * s_l) / det
        shift = (s_l2 * sum_x - s_l * s_xl) / det
        err[:] = 0
        for i in range(n):
            np.multiply(scale, levels[i], out=tmp)
            tmp += shift
            tmp -= xt[i]
            tmp *= tmp
            tmp *= w[i]
            err += tmp
        np.copyto(best_err, err, where=(det > 0) & (err < best_err))
    return best_err


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[512, 2048])
    args = parser.parse_args()
    from gguf import GGMLQuantizationType

    from engine.quant import encode

    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()}\n")
    print("| values | ggml, whole Q4_K | numpy search, faithful | numpy search, floor |")
    print("|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for rows in args.rows:
        x = (rng.standard_normal((rows, 1536)) * 0.02).astype(F32)
        started = time.thread_time()
        encode(x, GGMLQuantizationType.Q4_K, threads=1)
        ggml = time.thread_time() - started
        xt = np.ascontiguousarray(x.reshape(-1, 32).T)  # (32 positions, sub-blocks)
        av = np.sqrt((xt * xt).sum(0) / F32(32))
        w = av + np.abs(xt)  # quantize_row_q4_K_ref's weights
        times = []
        for search in (faithful, floor):
            started = time.thread_time()
            search(xt, w)
            times.append(time.thread_time() - started)
        n = x.size
        cells = [f"{t / n * 1e9:.1f} ns/value ({t / ggml:.2f}×)" for t in times]
        print(f"| {n / 1e6:.2f} M | {ggml / n * 1e9:.1f} ns/value | {cells[0]} | {cells[1]} |")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
