"""The merge arithmetic against exact rational arithmetic and against torch on CPU."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.formats.safetensors import to_f32
from engine.lora import numerics
from engine.lora.numerics import (
    blas_is_chain,
    chain_product,
    fma_f32,
    fma_f32_careful,
    merge_rows,
    sequential_dot,
)
from tests.engine.lora.helpers import ulp_diff


def test_fma_is_correctly_rounded():
    rng = np.random.default_rng(7)
    # wide exponent spread, so double rounding through float64 would show up
    x = (rng.standard_normal(4000) * 2.0 ** rng.integers(-30, 30, 4000)).astype(np.float32)
    y = (rng.standard_normal(4000) * 2.0 ** rng.integers(-30, 30, 4000)).astype(np.float32)
    z = (rng.standard_normal(4000) * 2.0 ** rng.integers(-60, 60, 4000)).astype(np.float32)
    got = fma_f32(x, y, z)
    for i in range(4000):
        exact = Fraction(float(x[i])) * Fraction(float(y[i])) + Fraction(float(z[i]))
        assert Fraction(float(got[i])) == _round_f32(exact), i


def test_fma_hard_case_needs_round_to_odd():
    # x*y = 2^-16 - 2^-62 and z = 256 + 2^-15: the exact sum lies just below a float32
    # midpoint; a plain float64 sum rounds onto the midpoint and then to even, wrongly.
    x = np.array([2.0**-16 * (1 + 2.0**-23)], np.float32)
    y = np.array([1 - 2.0**-23], np.float32)
    z = np.array([256 + 2.0**-15], np.float32)
    exact = Fraction(float(x[0])) * Fraction(float(y[0])) + Fraction(float(z[0]))
    plain = (x.astype(np.float64) * y.astype(np.float64) + z.astype(np.float64)).astype(np.float32)
    assert Fraction(float(plain[0])) != _round_f32(exact)  # the trap is real
    assert Fraction(float(fma_f32(x, y, z)[0])) == _round_f32(exact) == 256 + Fraction(2) ** -15


@pytest.mark.parametrize("shape", [(64, 16, 96), (33, 1, 50), (128, 64, 40), (8, 3, 300)])
def test_sequential_dot_is_torch_cpu_matmul(shape):
    torch = pytest.importorskip("torch")
    rows, rank, cols = shape
    gen = torch.Generator().manual_seed(rows * rank)
    b = torch.randn(rows, rank, generator=gen) * 0.02
    a = torch.randn(rank, cols, generator=gen) * 0.05
    expected = (b @ a).numpy()
    r, c = np.indices((rows, cols)).reshape(2, -1)
    got = sequential_dot(b.numpy()[r], a.numpy().T[c]).reshape(rows, cols)
    assert np.array_equal(got, expected)


def test_fast_fma_equals_the_careful_one_on_hard_inputs():
    """fma_f32 trusts the float64 sum unless it sits on a float32 midpoint or below the
    normal range; planted midpoints and subnormals must come out as the careful path's."""
    rng = np.random.default_rng(11)
    n = 200_000
    x = (rng.standard_normal(n) * 2.0 ** rng.integers(-70, 30, n)).astype(np.float32)
    y = (rng.standard_normal(n) * 2.0 ** rng.integers(-70, 30, n)).astype(np.float32)
    z = (rng.standard_normal(n) * 2.0 ** rng.integers(-140, 60, n)).astype(np.float32)
    # x*y a hair off half an ulp of z: the float64 sum rounds onto the float32 midpoint
    tiny = np.float32(2.0**-23)
    z[:1000] = np.float32(256) + np.float32(2.0**-15) * rng.integers(0, 64, 1000)
    x[:1000] = np.float32(2.0**-16) * (1 + tiny * rng.integers(1, 4, 1000))
    y[:1000] = np.where(rng.random(1000) < 0.5, 1 - tiny, -(1 - tiny)).astype(np.float32)
    # the same trap in float32's subnormal range, where the midpoints have fewer bits:
    # x*y = 2^-150 - 2^-196 (half a subnormal step, a hair less), z an odd multiple of 2^-149
    x[1000:1100] = np.float32(2.0**-75 * (1 - 2.0**-23))
    y[1000:1100] = np.float32(2.0**-75 * (1 + 2.0**-23))
    z[1000:1100] = np.float32(2.0**-149) * (2 * rng.integers(600, 2000, 100) + 1)
    careful = fma_f32_careful(x, y, z)
    fast = fma_f32(x, y, z)
    assert np.array_equal(fast.view(np.uint32), careful.view(np.uint32))
    plain = (x.astype(np.float64) * y + z).astype(np.float32)
    assert (plain[:1000] != careful[:1000]).any()  # the planted cases do need the repair
    assert (plain[1000:1100] != careful[1000:1100]).all()
    assert (np.abs(careful) < 2.0**-126).sum() > 100  # and subnormal results occur


def test_blas_probe_tells_a_different_summation_order(monkeypatch):
    rng = np.random.default_rng(5)
    b = rng.standard_normal((40, 16)).astype(np.float32)
    a = rng.standard_normal((16, 300)).astype(np.float32)
    monkeypatch.setattr(numerics, "_probed", {})
    if blas_is_chain(40, 16, 300):  # e.g. OpenBLAS's SkylakeX kernel: k in order, FMAs
        assert np.array_equal(numerics.rank_product(b, a), chain_product(b, a))
    else:  # e.g. its Haswell kernel (OPENBLAS_CORETYPE=Haswell)
        assert not np.array_equal(numerics.rank_product(b, a), chain_product(b, a))
    monkeypatch.setattr(numerics, "_probed", {})
    monkeypatch.setattr(numerics, "rank_product", _pairwise_product)
    assert not blas_is_chain(40, 16, 300)


def _pairwise_product(b: np.ndarray, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A BLAS that sums the rank products as a tree (what blocked kernels may do)."""
    terms = [np.multiply(b[:, k : k + 1], a[k : k + 1, :]) for k in range(a.shape[0])]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]  # fmt: skip
    if out is None:
        return terms[0]
    out[...] = terms[0]
    return out


@pytest.mark.parametrize("blas", ["probed", "repair", "tree-order"])
@pytest.mark.parametrize("dtype", ["BF16", "F16", "F32"])
@pytest.mark.parametrize("round_delta", [False, True])
def test_merge_rows_matches_torch(dtype, round_delta, blas, monkeypatch):
    """PEFT: ``w += (B @ A) * s`` (Linear) or ``w += ((B @ A) * s).to(w.dtype)`` (Embedding)."""
    torch = pytest.importorskip("torch")
    tdtype = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}[dtype]
    gen = torch.Generator().manual_seed(3)
    rows, rank, cols = 300, 16, 520
    base = (torch.randn(rows, cols, generator=gen) * 0.02).to(tdtype)
    b = torch.randn(rows, rank, generator=gen) * 0.02
    a = torch.randn(rank, cols, generator=gen) * 0.05
    # plant exact cancellations, the worst case for a rounding bound
    base[:5] = (-(b[:5] @ a) * 1.5).to(tdtype)
    delta = (b @ a) * 1.5
    expected = base.clone()
    expected += delta.to(tdtype) if round_delta else delta
    raw = _raw(base)
    monkeypatch.setattr(numerics, "_probed", {})
    if blas == "repair":  # never trust BLAS: bound the difference, repair near boundaries
        monkeypatch.setattr(numerics, "TRUST_PROBED_BLAS", False)
    if blas == "tree-order":  # a BLAS that sums differently: the probe must notice
        monkeypatch.setattr(numerics, "rank_product", _pairwise_product)
    got = merge_rows(raw, dtype, a.numpy(), b.numpy(), 1.5, round_delta=round_delta)
    assert ulp_diff(got, _raw(expected)).max() == 0
    values = merge_rows(
        raw, dtype, a.numpy(), b.numpy(), 1.5, round_delta=round_delta, as_float32=True
    )
    assert values.dtype == np.float32
    assert np.array_equal(values, to_f32(got, dtype))
    if dtype != "F32":  # away from the planted cancellations the fast path is ≤ 1 ulp off
        fast = merge_rows(
            raw, dtype, a.numpy(), b.numpy(), 1.5, round_delta=round_delta, exact=False
        )
        assert ulp_diff(fast[5:], _raw(expected)[5:]).max() <= 1


def _raw(tensor) -> np.ndarray:
    import torch

    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(np.uint16)
    return tensor.numpy()


def _round_f32(value: Fraction) -> Fraction:
    """Round a rational to the nearest float32 (ties to even), normal range only."""
    if value == 0:
        return Fraction(0)
    sign = -1 if value < 0 else 1
    mag = abs(value)
    exp = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** exp > mag:
        exp -= 1
    ulp = Fraction(2) ** (exp - 23)
    q, rem = divmod(mag, ulp)
    if rem * 2 > ulp or (rem * 2 == ulp and q % 2 == 1):
        q += 1
    return sign * q * ulp
