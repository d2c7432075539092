"""Reference side of the quantizer tests: llama.cpp's own ``llama_model_quantize``,
hand-built bf16 GGUFs with any layer count / shape, and a tensor-by-tensor comparison."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter

from engine.quant import FileType, encode, plan_tensor_types
from engine.quant.requantize import read_input_model

T = GGMLQuantizationType


def llama_cpp_or_skip():
    return pytest.importorskip("llama_cpp.llama_cpp", reason="llama-cpp-python is not installed")


_QUANTIZER: Any = None


def llama_quantize(source: Path, dest: Path, ftype: int, *, threads: int = 2) -> None:
    """The reference: llama.cpp's llama_model_quantize, in a kept-alive subprocess (logs
    silenced): a native crash there fails one test (tests/fixtures/isolated.py)."""
    global _QUANTIZER
    from tests.fixtures.isolated import IsolatedObject

    llama_cpp_or_skip()
    if _QUANTIZER is None or not _QUANTIZER.alive:
        _QUANTIZER = IsolatedObject("tests.fixtures.llama_runs:Quantizer")
    status = _QUANTIZER.quantize(source, dest, ftype, threads)
    assert status == 0, f"llama_model_quantize failed for {source}"


@dataclass(frozen=True)
class TensorBytes:
    type: GGMLQuantizationType
    shape: tuple[int, ...]  # numpy order
    data: bytes


def read_tensors(path: Path) -> dict[str, TensorBytes]:
    reader = GGUFReader(path, "r")
    out = {}
    for t in reader.tensors:
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))
        out[t.name] = TensorBytes(T(t.tensor_type), shape, bytes(np.asarray(t.data).tobytes()))
    return out


def to_f32(t: TensorBytes) -> np.ndarray:
    """bf16/f16/f32 tensor bytes → float32 (exact), numpy shape."""
    if t.type == T.BF16:
        raw = np.frombuffer(t.data, dtype="<u2").astype(np.uint32) << 16
        return raw.view(np.float32).reshape(t.shape)
    if t.type == T.F16:
        return np.frombuffer(t.data, dtype="<f2").astype(np.float32).reshape(t.shape)
    assert t.type == T.F32
    return np.frombuffer(t.data, dtype="<f4").reshape(t.shape).copy()


def ours_from_unquantized(source: Path, file_type: FileType) -> dict[str, TensorBytes]:
    """Our planner + encoder applied to an unquantized GGUF's tensors."""
    model = read_input_model(source)
    plan = plan_tensor_types(
        model.tensors,
        file_type=file_type,
        arch=model.arch,
        n_layer=model.n_layer,
        n_head=model.n_head,
        n_head_kv=model.n_head_kv,
        n_expert=model.n_expert,
    )
    src = read_tensors(source)
    out = {}
    for name, qtype in plan.items():
        t = src[name]
        if qtype == t.type:
            data = t.data  # llama.cpp copies tensors already in the target type
        else:
            data = encode(np.ascontiguousarray(to_f32(t)), qtype, threads=2).tobytes()
        out[name] = TensorBytes(qtype, t.shape, data)
    return out


def assert_same_tensors(ours: dict[str, TensorBytes], theirs: dict[str, TensorBytes]) -> None:
    assert sorted(ours) == sorted(theirs)
    wrong_types = {
        n: (ours[n].type.name, theirs[n].type.name)
        for n in theirs
        if ours[n].type != theirs[n].type
    }
    assert not wrong_types, f"tensor types differ (ours, llama.cpp): {wrong_types}"
    wrong_bytes = [n for n in theirs if ours[n].data != theirs[n].data]
    assert not wrong_bytes, f"tensor bytes differ: {wrong_bytes}"


# --- hand-built GGUFs ------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticModel:
    arch: str = "llama"
    n_layer: int = 4
    hidden: int = 256
    ff: int = 512
    vocab: int = 300
    n_head: int = 4
    n_head_kv: int = 2
    tied: bool = False
    fused_qkv: bool = False  # phi3-style attn_qkv + fused gate/up in ffn_up
    with_bias: bool = False


def _bf16(rng: np.random.Generator, shape: Iterable[int]) -> np.ndarray:
    values = (rng.standard_normal(tuple(shape)) * 0.02).astype(np.float32)
    return (values.view(np.uint32) >> 16).astype(np.uint16)  # truncation is fine for test data


def write_synthetic_gguf(path: Path, spec: SyntheticModel, *, seed: int = 0) -> Path:
    """A bf16 GGUF llama.cpp's quantizer accepts (hparams only; no tokenizer needed)."""
    rng = np.random.default_rng(seed)
    head_dim = spec.hidden // spec.n_head
    kv = head_dim * spec.n_head_kv
    writer = GGUFWriter(path, spec.arch)
    a = spec.arch
    writer.add_uint32(f"{a}.block_count", spec.n_layer)
    writer.add_uint32(f"{a}.context_length", 256)
    writer.add_uint32(f"{a}.embedding_length", spec.hidden)
    writer.add_uint32(f"{a}.feed_forward_length", spec.ff)
    writer.add_uint32(f"{a}.attention.head_count", spec.n_head)
    writer.add_uint32(f"{a}.attention.head_count_kv", spec.n_head_kv)
    writer.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-5)
    writer.add_uint32(f"{a}.rope.dimension_count", head_dim)
    writer.add_file_type(32)

    def mat(name: str, rows: int, cols: int) -> None:
        writer.add_tensor(name, _bf16(rng, (rows, cols)), raw_dtype=T.BF16)

    def vec(name: str, n: int) -> None:
        writer.add_tensor(name, (rng.random(n) + 0.5).astype(np.float32))

    mat("token_embd.weight", spec.vocab, spec.hidden)
    vec("output_norm.weight", spec.hidden)
    if not spec.tied:
        mat("output.weight", spec.vocab, spec.hidden)
    for i in range(spec.n_layer):
        p = f"blk.{i}."
        vec(p + "attn_norm.weight", spec.hidden)
        if spec.fused_qkv:
            mat(p + "attn_qkv.weight", spec.hidden + 2 * kv, spec.hidden)
            mat(p + "ffn_up.weight", 2 * spec.ff, spec.hidden)
        else:
            mat(p + "attn_q.weight", spec.hidden, spec.hidden)
            mat(p + "attn_k.weight", kv, spec.hidden)
            mat(p + "attn_v.weight", kv, spec.hidden)
            mat(p + "ffn_gate.weight", spec.ff, spec.hidden)
            mat(p + "ffn_up.weight", spec.ff, spec.hidden)
            if spec.with_bias:
                vec(p + "attn_q.bias", spec.hidden)
        mat(p + "attn_output.weight", spec.hidden, spec.hidden)
        vec(p + "ffn_norm.weight", spec.hidden)
        mat(p + "ffn_down.weight", spec.hidden, spec.ff)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
