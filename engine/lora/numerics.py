"""The merge arithmetic, bit-exact with PEFT's CPU merge.

What PEFT 0.21 computes for ``merge_and_unload()`` on CPU (checked in its source and by
the tests): the LoRA factors are float32 (``autocast_adapter_dtype=True`` upcasts bf16/
f16 adapters on load), ``delta = (B @ A) * scaling`` in float32, then
``weight.data += delta`` adds in float32 and rounds once into the weight's dtype
(round to nearest even) — except ``Embedding.merge``, which rounds the delta into the
weight dtype first (``weight += delta.to(dtype)``; ``round_delta`` here). torch's
float32 matmul on CPU (MKL sgemm) sums the rank-r
products in order ``k = 0 … r-1`` with fused multiply-adds; numpy's BLAS sums them in
another order, so a plain ``b @ a`` differs from torch in the last float32 bit for a
few percent of the elements, which flips the final bf16 rounding for about one element
in 10⁵.

To be exact without being slow we compute ``b @ a`` with BLAS, bound its possible
difference from the sequential-FMA sum (``2·r·2⁻²⁴·Σ|b||a|`` plus the later roundings),
and recompute only the elements whose rounded result could change within that bound
(about 0.5 % for bf16) with an exact emulation of the FMA chain (:func:`fma_f32`:
float64 product, TwoSum, round-to-odd, then one rounding to float32). Float32 outputs
have no coarser rounding to hide in, so they are computed with the emulation throughout.
"""

from __future__ import annotations

import numpy as np

from engine.formats.safetensors import DTYPES, f32_to_bf16, to_f32

F32_EPS = 2.0**-24  # unit roundoff of float32
BLOCK_ELEMENTS = 1 << 18  # per step: 1 MiB float32 arrays stay in the CPU cache (4× faster)


def from_f32(values: np.ndarray, dst: str) -> np.ndarray:
    """float32 → raw array of ``dst`` (BF16 bits / float16 / float32), nearest even."""
    if dst == "BF16":
        return f32_to_bf16(values)
    return np.asarray(values, dtype=DTYPES[dst][0])


def fma_f32(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``round_f32(x * y + z)`` with a single rounding, for float32 arrays (no overflow)."""
    product = x.astype(np.float64) * y.astype(np.float64)  # exact: 24 + 24 bits < 53
    addend = z.astype(np.float64)
    total = product + addend
    virtual = total - addend  # TwoSum: total + error == product + addend exactly
    error = (product - virtual) + (addend - (total - virtual))
    bits = total.view(np.uint64)
    inexact_even = (error != 0) & ((bits & 1) == 0)
    if inexact_even.any():  # round to odd, so the rounding to float32 below is correct
        toward = np.where(error[inexact_even] > 0, np.inf, -np.inf)
        total[inexact_even] = np.nextafter(total[inexact_even], toward)
    return total.astype(np.float32)


def sequential_dot(b_rows: np.ndarray, a_cols: np.ndarray) -> np.ndarray:
    """``Σ_k b[n, k] · a[n, k]`` per n, summed k = 0 … r-1 with FMAs, as MKL's sgemm does."""
    acc = np.zeros(b_rows.shape[0], dtype=np.float32)
    for k in range(b_rows.shape[1]):
        acc = fma_f32(b_rows[:, k], a_cols[:, k], acc)
    return acc


def rank_product(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``b @ a`` for a thin ``b`` (rows, r), as a batch of small products.

    OpenBLAS starts its thread pool for every product above ~2.6e5 multiply-adds; for
    rank-r updates that is pure overhead (measured 12× slower on 2 cores, worse when the
    converter's threads call it at once). Slices of at most 16 Ki outputs stay under the
    threshold and run on the calling thread.
    """
    rows, cols = b.shape[0], a.shape[1]
    per = max(1, (1 << 14) // max(1, cols))
    whole = rows - rows % per
    out = np.empty((rows, cols), dtype=np.result_type(a, b))
    if whole:
        np.matmul(b[:whole].reshape(-1, per, b.shape[1]), a, out=out[:whole].reshape(-1, per, cols))
    if whole < rows:
        np.matmul(b[whole:], a, out=out[whole:])
    return out


def error_weights(a: np.ndarray, scale: float) -> np.ndarray:
    """``|a|`` scaled so that ``|b| @ error_weights(a, s)`` bounds ``|BLAS - FMA chain|``.

    The sequential-FMA and BLAS sums of r products each differ from the exact sum by at
    most ``r·u·Σ|b||a|``; the product with ``scale`` and the |delta| it carries add a few
    more units (``|delta| ≤ |scale|·Σ|b||a|``), hence ``(2(r+1) + 5)·u·|scale|``.
    """
    rank = a.shape[0]
    factor = np.float32((2 * (rank + 1) + 5) * F32_EPS * abs(scale))
    return np.abs(a) * factor


def merge_rows(
    start: np.ndarray,
    dtype: str,
    a: np.ndarray,
    b_rows: np.ndarray,
    scale: float,
    *,
    weights: np.ndarray | None = None,
    exact: bool = True,
    round_delta: bool = False,
) -> np.ndarray:
    """``round_dtype(f32(start) + (b_rows @ a) * scale)`` exactly as PEFT on CPU (see above).

    ``start``: raw rows in ``dtype``; ``a``: (r, cols) float32; ``b_rows``: (rows, r)
    float32; ``weights``: :func:`error_weights` of ``a`` if the caller keeps it.
    ``round_delta``: round the delta into ``dtype`` before adding, as PEFT's
    ``Embedding.merge`` does (``weight += delta.to(weight.dtype)``). ``exact=False`` skips
    the repair of BLAS rounding differences (≤ 1 ulp on ~1e-5 of the elements). Returns a
    new raw array in ``dtype``; works in blocks of ``BLOCK_ELEMENTS``.
    """
    out = np.empty(start.shape, dtype=start.dtype)
    step = max(1, BLOCK_ELEMENTS // max(1, a.shape[1]))
    if exact and weights is None:
        weights = error_weights(a, scale)
    for i in range(0, start.shape[0], step):
        rows = slice(i, i + step)
        out[rows] = _merge_block(
            start[rows], dtype, a, b_rows[rows], np.float32(scale), weights if exact else None,
            round_delta=round_delta and dtype != "F32",
        )  # fmt: skip
    return out


def _merge_block(
    start: np.ndarray,
    dtype: str,
    a: np.ndarray,
    b: np.ndarray,
    scale: np.float32,
    weights: np.ndarray | None,
    *,
    round_delta: bool,
) -> np.ndarray:
    base = to_f32(start, dtype)
    if dtype == "F32":
        if weights is None:
            return base + rank_product(b, a) * scale
        # no coarser rounding to absorb BLAS differences: emulate every element
        acc = np.zeros(base.shape, dtype=np.float32)
        for k in range(a.shape[0]):
            acc = fma_f32(b[:, k : k + 1], a[k : k + 1, :], acc)
        return base + acc * scale
    delta = rank_product(b, a)
    delta *= scale
    added = to_f32(from_f32(delta, dtype), dtype) if round_delta else delta
    total = added + base
    out = from_f32(total, dtype)
    if weights is None:
        return out
    bound = rank_product(np.abs(b), weights)
    # the only inexact rounding whose input we may have wrong: of the delta, or of the sum
    unsure = _near_rounding_boundary(delta if round_delta else total, bound, dtype)
    rows, cols = np.nonzero(unsure)
    if rows.size:
        exact = sequential_dot(b[rows], a.T[cols]) * scale
        if round_delta:
            exact = to_f32(from_f32(exact, dtype), dtype)
        out[rows, cols] = from_f32(base[rows, cols] + exact, dtype)
    return out


def _near_rounding_boundary(total: np.ndarray, bound: np.ndarray, dtype: str) -> np.ndarray:
    """Where rounding ``total ± bound`` into ``dtype`` could give two different values.

    Also allows for the float32 rounding of ``total`` itself (4 float32 ulps). Modifies
    ``bound``.
    """
    magnitude = np.abs(total)  # bf16/f16 rounding is symmetric in the sign
    if dtype != "BF16":
        bound += magnitude * np.float32(4 * F32_EPS)
        return np.asarray(from_f32(total - bound, dtype) != from_f32(total + bound, dtype))
    # bf16 keeps the top 16 bits of a float32: rounding half up in magnitude is
    # (bits + 0x8000) >> 16. The interval [|t| - bound, |t| + bound], widened by four
    # float32 ulps each way, holds a rounding boundary iff its ends round differently.
    # (A negative low end has the sign bit set, so it always differs: conservative.)
    high = magnitude + bound
    low = np.subtract(magnitude, bound, out=bound)
    low_key = low.view(np.uint32)
    low_key += np.uint32(0x8000 - 4)
    low_key >>= np.uint32(16)
    high_key = high.view(np.uint32)
    high_key += np.uint32(0x8000 + 4)
    high_key >>= np.uint32(16)
    return np.asarray(low_key != high_key)
