"""Output types: which ggml type each tensor gets, and turning row blocks into bytes.

Both steps are split so the whole type plan exists before the GGUF header is
written (sizes come from shapes alone):

* :func:`choose_tensor_types` takes ``(gguf_name, shape, n_dims)`` for every tensor
  and the requested type. For ``f32``/``f16``/``bf16`` it applies llama.cpp's
  converter rule (1-D tensors, norms and biases stay F32); for quantized file types
  (``q8_0``, ``Q4_K_M`` …) it asks :mod:`engine.quant`'s planner, which follows
  ``llama_model_quantize``'s rules.
* :func:`encode_block` turns one block of rows (as stored: BF16 raw ``uint16``,
  F16, F32) into the bytes of the chosen type. Float types are done here in numpy
  (bf16 → bf16 and f16 → f16 are plain copies; bf16 → f16 goes through float32
  exactly like llama.cpp's converter, via a 64 Ki-entry table that is the same
  function); quantized types go through float32 to ``engine.quant``'s ggml encoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from gguf import GGMLQuantizationType

from engine.errors import InputError, UnsupportedError

T = GGMLQuantizationType

# Requested type → (general.file_type = llama_ftype, ggml type of the weight matrices)
FLOAT_OUT_TYPES: dict[str, tuple[int, GGMLQuantizationType]] = {
    "f32": (0, T.F32),
    "f16": (1, T.F16),
    "bf16": (32, T.BF16),
}
# Substrings of GGUF names llama.cpp's converter always keeps in F32.
_ALWAYS_F32 = ("ffn_gate_inp", "position_embd", "token_types", "rope_freqs", "rope_factors")
_LUT_BLOCK = 1 << 18  # elements per table lookup (keeps the table and block in cache)


@dataclass(frozen=True)
class OutType:
    """A requested output type: ``f16``, ``bf16``, ``f32`` or a quantized file type."""

    name: str  # as shown to the user: "f16", "Q8_0", "Q4_K_M"
    ftype: int  # general.file_type
    default_type: GGMLQuantizationType
    file_type: Any = None  # engine.quant.types.FileType for quantized types

    @property
    def is_quantized(self) -> bool:
        return self.file_type is not None


def resolve_out_type(text: str) -> OutType:
    """``"f16"`` / ``"Q8_0"`` / ``"q4_k_m"`` … → :class:`OutType` (an InputError lists the choices)."""
    wanted = str(text).strip().lower()
    if wanted in FLOAT_OUT_TYPES:
        ftype, ggml_type = FLOAT_OUT_TYPES[wanted]
        return OutType(name=wanted, ftype=ftype, default_type=ggml_type)
    try:
        from engine.quant import FILE_TYPES, parse_file_type
    except ImportError:  # pragma: no cover - the quantizer ships with the engine
        raise UnsupportedError(
            f"output type {text!r} needs the quantizer, which is not available",
            field="type",
            hint=f"Use one of: {', '.join(FLOAT_OUT_TYPES)}.",
        ) from None
    try:
        file_type = parse_file_type(wanted)
    except InputError:
        choices = [*FLOAT_OUT_TYPES, *(name.lower() for name in FILE_TYPES)]
        raise InputError(
            f"unknown output type {text!r}",
            field="type",
            hint=f"Choose one of: {', '.join(dict.fromkeys(choices))}.",
        ) from None
    if not file_type.is_quantized:
        name = file_type.name.lower()
        ftype, ggml_type = FLOAT_OUT_TYPES[name]
        return OutType(name=name, ftype=ftype, default_type=ggml_type)
    return OutType(
        name=file_type.name,
        ftype=file_type.ftype,
        default_type=file_type.default_type,
        file_type=file_type,
    )


def unquantized_type(name: str, n_dims: int, default: GGMLQuantizationType) -> GGMLQuantizationType:
    """llama.cpp's converter rule: what a float conversion to ``default`` writes."""
    if n_dims <= 1 or name.endswith("_norm.weight") or not name.endswith(".weight"):
        return T.F32
    if any(part in name for part in _ALWAYS_F32):
        return T.F32
    return default


def choose_tensor_types(
    tensors: Sequence[tuple[str, tuple[int, ...], int]],
    out_type: OutType,
    *,
    arch: str,
    n_layer: int,
    n_head: int,
    n_head_kv: int,
) -> list[GGMLQuantizationType]:
    """The ggml type of every ``(gguf_name, shape, n_dims)``, in the same order."""
    if not out_type.is_quantized:
        return [
            unquantized_type(name, n_dims, out_type.default_type) for name, _, n_dims in tensors
        ]
    from engine.quant import PlannedTensor, plan_tensor_types

    planned = [
        PlannedTensor(
            name=name, shape=tuple(shape), unquantized_type=unquantized_type(name, n_dims, T.F16)
        )
        for name, shape, n_dims in tensors
    ]
    plan = plan_tensor_types(
        planned,
        file_type=out_type.file_type,
        arch=arch,
        n_layer=n_layer,
        n_head=n_head,
        n_head_kv=n_head_kv,
    )
    return [plan[name] for name, _, _ in tensors]


# -- encoding ------------------------------------------------------------------------
def to_float32(block: np.ndarray, dtype: str) -> np.ndarray:
    """Stored values → float32 (bf16 widened exactly; always a new, writable array)."""
    if dtype == "BF16":
        out = block.astype(np.uint32)
        out <<= 16
        return out.view(np.float32)
    return np.array(block, dtype=np.float32, copy=True)


@lru_cache(maxsize=1)
def _bf16_to_f16_table() -> np.ndarray:
    """f16 bits for every bf16 bit pattern, computed through float32 like the converter."""
    widened = (np.arange(1 << 16, dtype=np.uint32) << 16).view(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return widened.astype(np.float16).view(np.uint16)


def bf16_to_f16(raw: np.ndarray) -> np.ndarray:
    """Raw bf16 (uint16) → f16 (as uint16 bits), equal to ``f32(x).astype(float16)``."""
    table = _bf16_to_f16_table()
    flat = np.ascontiguousarray(raw).reshape(-1)
    out = np.empty(flat.shape, dtype=np.uint16)
    for start in range(0, flat.size, _LUT_BLOCK):
        stop = start + _LUT_BLOCK
        np.take(table, flat[start:stop], out=out[start:stop], mode="clip")
    return out.reshape(raw.shape)


def f32_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 → raw bf16 bits as ggml does it: NaN forced quiet, round to nearest even."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    nan = (bits & 0x7FFFFFFF) > 0x7F800000
    if nan.any():
        bits = np.where(nan, (bits & np.uint32(0xFFFF0000)) | np.uint32(0x400000), bits)
    rounded = (bits.astype(np.uint64) + (0x7FFF + ((bits >> 16) & 1))) >> 16
    return rounded.astype(np.uint16)


def encode_block(
    block: np.ndarray,
    dtype: str,
    ggml_type: GGMLQuantizationType,
    *,
    add: float = 0.0,
    name: str | None = None,
) -> np.ndarray:
    """One block of rows (stored ``dtype``) → the bytes of ``ggml_type`` (any-shape array)."""
    if add == 0.0:
        if (ggml_type == T.F16 and dtype == "F16") or (ggml_type == T.BF16 and dtype == "BF16"):
            return np.ascontiguousarray(block)
        if ggml_type == T.F32 and dtype == "F32":
            return np.ascontiguousarray(block)
        if ggml_type == T.F16 and dtype == "BF16":
            return bf16_to_f16(block)
    values = to_float32(block, dtype)
    if add:
        values += np.float32(add)
    if ggml_type == T.F32:
        return values
    if ggml_type == T.F16:
        with np.errstate(over="ignore", invalid="ignore"):
            return values.astype(np.float16)
    if ggml_type == T.BF16:
        return f32_to_bf16(values)
    from engine.quant import check_finite_rows, encode

    # NaN/inf check on the stored rows, as llama.cpp's loader does (bf16: ¼ of the float32 work)
    checked = dtype in ("BF16", "F16", "F32") and not add
    if checked:
        check_finite_rows(block, name=name)
    rows = values.reshape(-1, values.shape[-1]) if values.ndim else values.reshape(1, 1)
    return encode(
        np.ascontiguousarray(rows), ggml_type, threads=1, name=name, check_finite=not checked
    )
