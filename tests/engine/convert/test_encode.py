"""Output types and the numpy encodings, against the gguf package's own reference code."""

from __future__ import annotations

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf import quants

from engine.convert.encode import (
    bf16_to_f16,
    choose_tensor_types,
    encode_block,
    f32_to_bf16,
    resolve_out_type,
)
from engine.errors import InputError

ALL_BF16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)


def test_bf16_to_f16_equals_going_through_float32_for_every_bit_pattern():
    """llama.cpp's converter widens bf16 to float32, then numpy rounds to float16."""
    widened = (ALL_BF16.astype(np.uint32) << 16).view(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = widened.astype(np.float16).view(np.uint16)
    got = bf16_to_f16(ALL_BF16)
    nan = np.isnan(widened)
    np.testing.assert_array_equal(got[~nan], expected[~nan])
    assert np.isnan(got[nan].view(np.float16)).all()


def test_f32_to_bf16_matches_ggml_reference():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.standard_normal(10000).astype(np.float32),
            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, 3.0e38], np.float32),
            (ALL_BF16.astype(np.uint32) << 16 | 0x8000).view(np.float32),  # exact ties
        ]
    )
    expected = quants.quantize(values, T.BF16).view(np.uint16)
    np.testing.assert_array_equal(f32_to_bf16(values), expected)


def test_encode_block_paths():
    raw_bf16 = np.array([[0x3F80, 0xC000]], dtype=np.uint16)  # 1.0, -2.0
    assert encode_block(raw_bf16, "BF16", T.BF16).tobytes() == raw_bf16.tobytes()
    np.testing.assert_array_equal(encode_block(raw_bf16, "BF16", T.F32), [[1.0, -2.0]])
    np.testing.assert_array_equal(
        encode_block(raw_bf16, "BF16", T.F16).view(np.float16), [[1.0, -2.0]]
    )
    # Gemma's norm offset is added in float32
    np.testing.assert_array_equal(encode_block(raw_bf16, "BF16", T.F32, add=1.0), [[2.0, -1.0]])
    f16 = np.array([0.5, 65504.0], dtype=np.float16)
    assert encode_block(f16, "F16", T.F16).tobytes() == f16.tobytes()
    f32 = np.array([1e-3, 70000.0], dtype=np.float32)
    with np.errstate(over="ignore"):
        expected = f32.astype(np.float16)  # 70000 → inf, as in llama.cpp's converter
    np.testing.assert_array_equal(encode_block(f32, "F32", T.F16), expected)


def test_q8_0_encoding_matches_gguf_reference():
    pytest.importorskip("llama_cpp", reason="q8_0 uses ggml from llama-cpp-python")
    rng = np.random.default_rng(1)
    values = (rng.standard_normal((8, 64)) * 0.02).astype(np.float32)
    raw = ((values.view(np.uint32) + 0x8000) >> 16).astype(np.uint16)  # as bf16
    got = encode_block(raw, "BF16", T.Q8_0)
    widened = (raw.astype(np.uint32) << 16).view(np.float32)
    expected = quants.quantize(widened, T.Q8_0)
    assert got.tobytes() == expected.tobytes()


def test_type_choice_follows_llama_cpp_converter():
    tensors = [
        ("token_embd.weight", (100, 64), 2),
        ("blk.0.attn_norm.weight", (64,), 1),
        ("blk.0.attn_q.weight", (64, 64), 2),
        ("blk.0.attn_q.bias", (64,), 1),
        ("rope_freqs.weight", (16,), 1),
        ("blk.0.ffn_down.weight", (64, 33), 2),
    ]
    kw = {"arch": "llama", "n_layer": 1, "n_head": 4, "n_head_kv": 4}
    f16 = choose_tensor_types(tensors, resolve_out_type("f16"), **kw)
    assert f16 == [T.F16, T.F32, T.F16, T.F32, T.F32, T.F16]
    bf16 = choose_tensor_types(tensors, resolve_out_type("BF16"), **kw)
    assert bf16 == [T.BF16, T.F32, T.BF16, T.F32, T.F32, T.BF16]
    q8 = choose_tensor_types(tensors, resolve_out_type("q8_0"), **kw)
    # 33 values per row do not fit Q8_0's 32-value blocks: F16, as llama.cpp falls back
    assert q8 == [T.Q8_0, T.F32, T.Q8_0, T.F32, T.F32, T.F16]


def test_out_types():
    assert resolve_out_type("F16").ftype == 1
    assert resolve_out_type("bf16").ftype == 32
    assert resolve_out_type("f32").ftype == 0
    q8 = resolve_out_type("q8_0")
    assert (q8.ftype, q8.default_type, q8.is_quantized) == (7, T.Q8_0, True)
    with pytest.raises(InputError) as err:
        resolve_out_type("q3_xyz")
    assert "f16" in (err.value.hint or "") and "q8_0" in (err.value.hint or "")
