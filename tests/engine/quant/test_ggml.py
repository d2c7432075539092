"""The ctypes encoder: validation before every native call, thread-count independence,
round trips through gguf's reference dequantizers, and the same bytes as gguf's numpy
Q8_0/BF16 reference quantizers."""

from __future__ import annotations

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf import quants

from engine.quant import encode, row_bytes
from engine.quant.errors import EncodeError
from engine.quant.ggml import ENCODABLE_TYPES, block_size, check_finite_rows

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")

rng = np.random.default_rng(3)
VALUES = (rng.standard_normal((96, 512)) * 0.05).astype(np.float32)

TOLERANCE = {  # max |x - dequant(encode(x))| relative to max |x|
    T.F32: 0, T.F16: 1e-3, T.BF16: 8e-3, T.Q8_0: 1e-2, T.Q6_K: 3e-2, T.Q5_K: 6e-2,
    T.Q5_0: 6e-2, T.Q5_1: 6e-2, T.Q4_K: 0.12, T.Q4_0: 0.12, T.Q4_1: 0.12, T.Q3_K: 0.3, T.Q2_K: 0.6,
}  # fmt: skip


@pytest.mark.parametrize("qtype", sorted(ENCODABLE_TYPES, key=int), ids=lambda t: t.name)
def test_round_trip_through_the_reference_dequantizer(qtype: T) -> None:
    data = encode(VALUES, qtype, threads=2)
    assert data.dtype == np.uint8
    assert data.shape == (96, row_bytes(qtype, 512))
    back = quants.dequantize(data, qtype).reshape(VALUES.shape)
    error = np.abs(back - VALUES).max() / np.abs(VALUES).max()
    assert error <= TOLERANCE[qtype], f"{qtype.name}: relative error {error:.4f}"


@pytest.mark.parametrize("qtype", [T.Q4_K, T.Q6_K, T.Q8_0, T.F16])
def test_thread_count_does_not_change_the_bytes(qtype: T) -> None:
    big = (rng.standard_normal((300, 1024)) * 0.05).astype(np.float32)
    one = encode(big, qtype, threads=1)
    assert np.array_equal(one, encode(big, qtype, threads=3))
    assert np.array_equal(one, encode(big, qtype, threads=8))
    # rows are independent: a slab of rows encodes to the matching slab of bytes
    assert np.array_equal(one[100:200], encode(np.ascontiguousarray(big[100:200]), qtype))


@pytest.mark.parametrize("qtype", [T.Q8_0, T.BF16, T.F16])
def test_equals_guffs_numpy_reference(qtype: T) -> None:
    expected = quants.quantize(VALUES, qtype)
    assert encode(VALUES, qtype).tobytes() == np.ascontiguousarray(expected).tobytes()


def test_out_buffer_is_filled_in_place() -> None:
    out = np.zeros(96 * row_bytes(T.Q4_K, 512), dtype=np.uint8)
    result = encode(VALUES, T.Q4_K, out=out)
    assert np.shares_memory(result, out)
    assert out.tobytes() == encode(VALUES, T.Q4_K).tobytes()


def test_three_dimensional_tensors_are_rows_too() -> None:
    cube = VALUES.reshape(4, 24, 512)
    assert encode(cube, T.Q6_K).shape == (4, 24, row_bytes(T.Q6_K, 512))
    assert encode(cube, T.Q6_K).tobytes() == encode(VALUES, T.Q6_K).tobytes()


@pytest.mark.parametrize(
    ("values", "qtype", "message"),
    [
        (VALUES.astype(np.float64), T.Q4_K, "float32"),
        (VALUES.astype(np.float16), T.Q8_0, "float32"),
        (VALUES[:, ::2], T.Q8_0, "contiguous"),
        (np.zeros((4, 320), np.float32), T.Q4_K, "multiple of 256"),
        (np.zeros((4, 200), np.float32), T.Q8_0, "multiple of 32"),
        (np.zeros((4, 256), np.float32), T.IQ2_XXS, "not supported"),
        (np.zeros((4, 256), np.float32), T.Q8_K, "not supported"),
        (np.ones((), np.float32), T.F32, "scalar"),
        (np.float32(1.0), T.F32, "numpy array"),
    ],
)
def test_bad_input_is_refused_before_ggml_sees_it(
    values: np.ndarray, qtype: T, message: str
) -> None:
    with pytest.raises(EncodeError, match=message):
        encode(values, qtype, name="blk.0.ffn_down.weight")


def test_wrong_out_buffer_is_refused() -> None:
    with pytest.raises(EncodeError, match="bytes"):
        encode(VALUES, T.Q4_K, out=np.zeros(10, np.uint8))
    with pytest.raises(EncodeError, match="writable"):
        frozen = np.zeros(96 * row_bytes(T.Q4_K, 512), np.uint8)
        frozen.flags.writeable = False
        encode(VALUES, T.Q4_K, out=frozen)


def test_nan_weights_are_reported_not_written() -> None:
    bad = VALUES.copy()
    bad[7, 300] = np.nan
    with pytest.raises(EncodeError, match="NaN") as err:
        encode(bad, T.Q4_K, name="blk.3.attn_q.weight")
    assert "blk.3.attn_q.weight" in str(err.value)


def test_stored_rows_can_be_checked_once_up_front() -> None:
    raw = (VALUES.view(np.uint32) >> 16).astype(np.uint16)  # bf16 bits
    check_finite_rows(raw)
    check_finite_rows(VALUES.astype(np.float16))
    raw[3, 3] = 0x7FC0  # bf16 NaN
    with pytest.raises(EncodeError, match="NaN"):
        check_finite_rows(raw, name="blk.1.ffn_up.weight")
    with pytest.raises(EncodeError, match="NaN"):
        check_finite_rows(np.array([[1.0, np.inf]], dtype=np.float32))
    bad = VALUES.copy()
    bad[0, 0] = np.nan
    encode(bad, T.Q8_0, check_finite=False)  # the caller said it checked: no error


def test_block_sizes() -> None:
    assert block_size(T.Q4_K) == 256 and block_size(T.Q8_0) == 32 and block_size(T.F16) == 1
