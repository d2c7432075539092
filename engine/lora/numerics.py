"""The merge arithmetic, bit-exact with PEFT's CPU merge.

What PEFT 0.21 computes for ``merge_and_unload()`` on CPU (checked in its source and by
the tests): the LoRA factors are float32 (``autocast_adapter_dtype=True`` upcasts bf16/
f16 adapters on load), ``delta = (B @ A) * scaling`` in float32, then
``weight.data += delta`` adds in float32 and rounds once into the weight's dtype
(round to nearest even) — except ``Embedding.merge``, which rounds the delta into the
weight dtype first (``weight += delta.to(dtype)``; ``round_delta`` here). torch's
float32 matmul on CPU (MKL sgemm) sums the rank-r products in order ``k = 0 … r-1`` with
fused multiply-adds (:func:`chain_product` emulates that exactly).

numpy's BLAS may or may not sum the same way, depending on its kernel (OpenBLAS 0.3.31:
its AVX-512 SkylakeX kernel does, Haswell/Zen do not). Where it does, ``b @ a`` *is* the
reference: :func:`blas_is_chain`
checks this once per product shape (the order depends on the shape, never the values)
and the merge is then one BLAS product, one add and one rounding per value. For any other
BLAS, we bound its possible difference from the FMA chain (``2·r·2⁻²⁴·Σ|b||a|`` plus the
later roundings) and recompute only the elements whose rounded result could change within
that bound (about 0.5 % for bf16) with the emulation (:func:`fma_f32`: float64 product
and sum, with the rare double-rounding cases redone exactly). Float32 outputs have no
coarser rounding to hide in, so without a verified BLAS they are emulated throughout.
"""

from __future__ import annotations

import threading

import numpy as np

from engine.formats.safetensors import DTYPES, f32_to_bf16

F32_EPS = 2.0**-24  # unit roundoff of float32
BLOCK_ELEMENTS = 1 << 18  # per step: 1 MiB float32 arrays stay in the CPU cache (4× faster)
_F32_MIN_NORMAL = 2.0**-126
# Take BLAS's product as it is where blas_is_chain() showed it sums like the reference
# (False: always bound the difference and repair, the path for any other BLAS).
TRUST_PROBED_BLAS = True


def from_f32(values: np.ndarray, dst: str) -> np.ndarray:
    """float32 → raw array of ``dst`` (BF16 bits / float16 / float32), nearest even."""
    if dst == "BF16":
        return f32_to_bf16(values)
    return np.asarray(values, dtype=DTYPES[dst][0])


def fma_f32(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``round_f32(x * y + z)`` with a single rounding, for float32 arrays (no overflow).

    The product is exact in float64 (24 + 24 bits < 53) and the float64 sum is rounded
    once, so rounding that to float32 is wrong only when the float64 sum landed exactly
    on a float32 rounding midpoint (double rounding) or in float32's subnormal range:
    those rare elements are redone with :func:`fma_f32_careful`.
    """
    total = np.multiply(x, y, dtype=np.float64)
    total += z
    out = total.astype(np.float32)
    bits = total.view(np.uint64)
    suspect = (bits & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    suspect |= (np.abs(total) < _F32_MIN_NORMAL) & (total != 0)
    if suspect.any():
        where = np.flatnonzero(suspect)
        x, y, z = np.broadcast_arrays(x, y, z)
        flat = out.reshape(-1)
        flat[where] = fma_f32_careful(
            x.reshape(-1)[where], y.reshape(-1)[where], z.reshape(-1)[where]
        )
    return out


def fma_f32_careful(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """:func:`fma_f32` for every input: TwoSum, then round to odd before float32."""
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
    b_t, a_t = np.ascontiguousarray(b_rows.T), np.ascontiguousarray(a_cols.T)
    acc = np.zeros(b_rows.shape[0], dtype=np.float32)
    for k in range(b_t.shape[0]):
        acc = fma_f32(b_t[k], a_t[k], acc)
    return acc


def rank_product(b: np.ndarray, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``b @ a`` for a thin ``b`` (rows, r), as a batch of small products.

    OpenBLAS starts its thread pool for every product above ~2.6e5 multiply-adds; for
    rank-r updates that is pure overhead (measured 12× slower on 2 cores, worse when the
    converter's threads call it at once). Slices of at most 16 Ki outputs stay under the
    threshold and run on the calling thread.
    """
    rows, cols = b.shape[0], a.shape[1]
    per = _per_slice(cols)
    whole = rows - rows % per
    if out is None:
        out = np.empty((rows, cols), dtype=np.result_type(a, b))
    if whole:
        np.matmul(b[:whole].reshape(-1, per, b.shape[1]), a, out=out[:whole].reshape(-1, per, cols))
    if whole < rows:
        np.matmul(b[whole:], a, out=out[whole:])
    return out


def chain_product(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``b @ a`` computed as the reference does: per element, FMAs over k = 0 … r-1."""
    acc = np.zeros((b.shape[0], a.shape[1]), dtype=np.float32)
    for k in range(a.shape[0]):
        acc = fma_f32(b[:, k : k + 1], a[k : k + 1, :], acc)
    return acc


_PROBE_DRAWS = 3
_probed: dict[tuple[str, int, int, int], bool] = {}
_probe_lock = threading.Lock()


def blas_is_chain(rows: int, rank: int, cols: int) -> bool:
    """Whether :func:`rank_product` of this shape equals :func:`chain_product` bit for bit.

    A BLAS kernel's summation order depends on the shapes of the product (which kernel,
    which tile edges, how k is blocked), never on the values. So each ``sgemm`` shape
    :func:`rank_product` issues (the batched slices and the tail) is tried once per
    process on random factors with a wide spread of exponents (where a different order,
    or a rounded product without FMA, changes most elements); if every element of every
    draw equals the emulated FMA chain, the merge can take BLAS's result as it is. OpenBLAS's
    SkylakeX and Haswell kernels sum k in order with FMAs; anything else is found out here
    and gets the bound-and-repair path.
    """
    per = _per_slice(cols)
    whole = rows - rows % per
    checks = []
    if whole:
        checks.append(("slices", min(whole, 2 * per), rank, cols))
    if whole < rows:
        checks.append(("tail", rows - whole, rank, cols))
    return all(_probe(key) for key in checks)


def _probe(key: tuple[str, int, int, int]) -> bool:
    with _probe_lock:
        known = _probed.get(key)
    if known is not None:
        return known
    _, rows, rank, cols = key
    rng = np.random.default_rng([rows, rank, cols])
    same = True
    for _ in range(_PROBE_DRAWS):
        b = rng.standard_normal((rows, rank)) * np.exp2(rng.integers(-12, 12, (rows, rank)))
        a = rng.standard_normal((rank, cols)) * np.exp2(rng.integers(-12, 12, (rank, cols)))
        b32, a32 = b.astype(np.float32), a.astype(np.float32)
        if not np.array_equal(rank_product(b32, a32), chain_product(b32, a32)):
            same = False
            break
    with _probe_lock:
        _probed[key] = same
    return same


def _per_slice(cols: int) -> int:
    return max(1, (1 << 14) // max(1, cols))


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
    as_float32: bool = False,
) -> np.ndarray:
    """``round_dtype(f32(start) + (b_rows @ a) * scale)`` exactly as PEFT on CPU (see above).

    ``start``: raw rows in ``dtype``; ``a``: (r, cols) float32; ``b_rows``: (rows, r)
    float32; ``weights``: :func:`error_weights` of ``a`` if the caller keeps it.
    ``round_delta``: round the delta into ``dtype`` before adding, as PEFT's
    ``Embedding.merge`` does (``weight += delta.to(weight.dtype)``). ``exact=False`` skips
    the repair of BLAS rounding differences (≤ 1 ulp on ~1e-5 of the elements). Returns a
    new raw array in ``dtype`` or, with ``as_float32``, the same values widened to float32
    (what a quantizer reads; saves a narrowing and a widening). Works in blocks of
    ``BLOCK_ELEMENTS``.
    """
    out = np.empty(start.shape, dtype=np.float32 if as_float32 else start.dtype)
    rank, cols = a.shape
    step = max(1, BLOCK_ELEMENTS // max(1, cols))
    for i in range(0, start.shape[0], step):
        rows = slice(i, i + step)
        n_rows = min(step, start.shape[0] - i)
        # BLAS that provably sums like the reference needs no repair (see blas_is_chain)
        repair = exact and not (TRUST_PROBED_BLAS and blas_is_chain(n_rows, rank, cols))
        if repair and weights is None:
            weights = error_weights(a, scale)
        if dtype == "F32":
            out[rows] = _merge_block_f32(
                start[rows], a, b_rows[rows], np.float32(scale), exact=repair
            )
            continue
        into = out[rows] if as_float32 else _scratch("into", (n_rows, cols))
        _merge_block(
            start[rows], dtype, a, b_rows[rows], np.float32(scale), weights if repair else None,
            round_delta=round_delta, into=into,
        )  # fmt: skip
        if not as_float32:
            out[rows] = narrow(into, dtype)
    return out


_scratch_buffers = threading.local()


def _scratch(name: str, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    """A work array of this thread, reused from block to block: fresh megabyte arrays
    cost page faults (several ns per value in a VM), more than the arithmetic."""
    size = 1
    for dim in shape:
        size *= dim
    buf = getattr(_scratch_buffers, name, None)
    if buf is None or buf.size < size:
        buf = np.empty(max(size, BLOCK_ELEMENTS), dtype=dtype)
        setattr(_scratch_buffers, name, buf)
    return buf[:size].reshape(shape)


def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 → float32 rounded to ``dtype``'s precision (nearest even), in place for BF16.

    For BF16 the integer form of ``f32_to_bf16`` (the low 16 bits cleared); NaNs stay NaN
    except signalling ones, which may become ±inf (both are refused by the quantizer).
    """
    if dtype == "F32":
        return values
    if dtype == "F16":
        with np.errstate(over="ignore", invalid="ignore"):
            return values.astype(np.float16).astype(np.float32)
    bits = values.view(np.uint32)
    lsb = np.right_shift(bits, np.uint32(16))
    lsb &= np.uint32(1)
    lsb += np.uint32(0x7FFF)
    bits += lsb
    bits &= np.uint32(0xFFFF0000)
    return values


def narrow(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values already rounded to ``dtype`` (see :func:`round_to`) → raw ``dtype``."""
    if dtype == "BF16":
        nan = np.isnan(values)
        raw = np.right_shift(values.view(np.uint32), np.uint32(16)).astype(np.uint16)
        if nan.any():  # quiet NaN, as torch and f32_to_bf16 write it
            raw[nan] |= np.uint16(0x40)
        return raw
    return from_f32(values, dtype)


def _merge_block_f32(
    start: np.ndarray, a: np.ndarray, b: np.ndarray, scale: np.float32, *, exact: bool
) -> np.ndarray:
    base = np.asarray(start, dtype=np.float32)
    if not exact:
        return base + rank_product(b, a) * scale
    # no coarser rounding to absorb BLAS differences: emulate every element
    return base + chain_product(b, a) * scale


def _merge_block(
    start: np.ndarray,
    dtype: str,
    a: np.ndarray,
    b: np.ndarray,
    scale: np.float32,
    weights: np.ndarray | None,
    *,
    round_delta: bool,
    into: np.ndarray,
) -> None:
    """One block of a BF16/F16 tensor: float32 values rounded to ``dtype``, into ``into``."""
    base = _scratch("base", into.shape)
    if dtype == "BF16":
        np.left_shift(start, 16, out=base.view(np.uint32), dtype=np.uint32)
    else:
        np.copyto(base, start)
    delta = rank_product(b, a, out=into)
    delta *= scale
    if round_delta:
        unsure_of = delta.copy() if weights is not None else delta
        total = round_to(delta, dtype)
        total += base
    else:
        total = np.add(delta, base, out=delta)
        unsure_of = total
    if weights is not None:
        # the only inexact rounding whose input we may have wrong: of the delta, or of the sum
        bound = rank_product(np.abs(b), weights, out=_scratch("bound", into.shape))
        unsure = _near_rounding_boundary(unsure_of, bound, dtype)
    rounded = round_to(total, dtype)  # in place for BF16
    if rounded is not into:
        np.copyto(into, rounded)
    if weights is None:
        return
    where = np.flatnonzero(unsure)
    if where.size:
        cols = a.shape[1]
        fixed = sequential_dot(b[where // cols], a.T[where % cols]) * scale
        if round_delta:
            fixed = round_to(fixed, dtype)
        fixed += base.reshape(-1)[where]
        into.reshape(-1)[where] = round_to(fixed, dtype)


def _near_rounding_boundary(total: np.ndarray, bound: np.ndarray, dtype: str) -> np.ndarray:
    """Where rounding ``total ± bound`` into ``dtype`` could give two different values.

    Also allows for the float32 rounding of ``total`` itself (4 float32 ulps). Modifies
    ``bound``.
    """
    magnitude = np.abs(total, out=_scratch("magnitude", total.shape))  # sign-symmetric
    if dtype != "BF16":
        bound += magnitude * np.float32(4 * F32_EPS)
        return np.asarray(from_f32(total - bound, dtype) != from_f32(total + bound, dtype))
    # bf16 keeps the top 16 bits of a float32: rounding half up in magnitude is
    # (bits + 0x8000) >> 16. The interval [|t| - bound, |t| + bound], widened by four
    # float32 ulps each way, holds a rounding boundary iff its ends round differently.
    # (A negative low end has the sign bit set, so it always differs: conservative.)
    high = np.add(magnitude, bound, out=_scratch("high", total.shape))
    low = np.subtract(magnitude, bound, out=bound)
    low_key = low.view(np.uint32)
    low_key += np.uint32(0x8000 - 4)
    low_key >>= np.uint32(16)
    high_key = high.view(np.uint32)
    high_key += np.uint32(0x8000 + 4)
    high_key >>= np.uint32(16)
    return np.not_equal(low_key, high_key, out=_scratch("unsure", total.shape, np.bool_))
