"""Tuneforge's own K-quant encoder: the bytes ggml's reference quantizers write, faster.

``engine/quant/native/kquant.c`` runs the per-sub-block scale search of Q4_K, Q5_K and Q6_K
for eight (AVX2) or four (SSE2) sub-blocks at once, each lane doing ggml's float32 operations in
ggml's order, without fused multiply-adds. ggml stays the reference and the fallback: the
library is used only if it was built (``dev.py setup``, the installer), loads, and writes
exactly ggml's blocks for a set of hard test rows when first needed in a process. Set
``TUNEFORGE_KQUANT=0`` to always use ggml.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T

from engine.quant.native import library_path, supported_machine

log = logging.getLogger(__name__)

_ENV = "TUNEFORGE_KQUANT"
_LIB_ENV = "TUNEFORGE_KQUANT_LIB"
_FUNCTIONS = {T.Q4_K: "tf_quantize_q4_K", T.Q5_K: "tf_quantize_q5_K", T.Q6_K: "tf_quantize_q6_K"}
_LEVELS = {1: "SSE2", 2: "AVX2"}

# (source address, destination address, number of 256-value super-blocks) -> 0 on success
BlockEncoder = Callable[[int, int, int], int]


@dataclass(frozen=True)
class NativeKQuant:
    path: Path
    level: str
    encoders: dict[T, BlockEncoder]


_lock = threading.Lock()


def native_encoder(qtype: T) -> BlockEncoder | None:
    """Our encoder for ``qtype`` if it is available and passed its check, else None."""
    if qtype not in _FUNCTIONS or os.environ.get(_ENV, "1") == "0":
        return None
    native = load()
    return native.encoders.get(qtype) if native else None


def load() -> NativeKQuant | None:
    with _lock:
        return _load()


@lru_cache(maxsize=1)
def _load() -> NativeKQuant | None:
    return load_from(Path(os.environ.get(_LIB_ENV) or library_path()))


def load_from(path: Path) -> NativeKQuant | None:
    """Load the library at ``path`` and check it against ggml; None if unusable."""
    if not supported_machine() or not path.is_file():
        return None
    try:
        lib = ctypes.CDLL(str(path))
        lib.tf_kquant_level.restype = ctypes.c_int
        level = int(lib.tf_kquant_level())
        encoders: dict[T, BlockEncoder] = {}
        for qtype, name in _FUNCTIONS.items():
            fn = getattr(lib, name)
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
            fn.restype = ctypes.c_int
            encoders[qtype] = fn
    except (OSError, AttributeError) as exc:
        log.warning("K-quant encoder %s not usable (%s); using ggml", path, exc)
        return None
    for qtype, fn in encoders.items():
        if not _matches_ggml(qtype, fn):
            log.warning("K-quant encoder %s differs from ggml for %s; using ggml", path, qtype.name)
            return None
    return NativeKQuant(path=path, level=_LEVELS.get(level, str(level)), encoders=encoders)


def check_rows() -> np.ndarray:
    """Rows that exercise the search's corners: typical weights, zeros, constant runs, signs,
    magnitudes from subnormal to large, sparse and integer-valued sub-blocks."""
    rng = np.random.default_rng(20)
    n = 1024
    rows = [
        rng.normal(0, 0.02, n),
        np.zeros(n),
        np.full(n, 0.25),
        np.full(n, -3.0),
        np.abs(rng.normal(0, 1, n)),
        -np.abs(rng.normal(0, 1, n)),
        rng.normal(0, 1, n) * 2e4,
        rng.normal(0, 1, n) * 1e-38,
        rng.normal(0, 1, n) * 1e-42,
        rng.normal(0, 1, n) * np.exp(rng.uniform(-80, 9, n)),
        rng.normal(0, 1, n) * (rng.random(n) < 0.05),
        rng.integers(-3, 4, n).astype(np.float64),
        np.repeat(rng.normal(0, 1, n // 32), 32),
    ]
    rows += [rng.normal(0, 1, n) * np.exp(rng.uniform(-20, 5)) for _ in range(51)]
    return np.ascontiguousarray(np.stack(rows).astype(np.float32))


def encode_blocks(fn: BlockEncoder, values: np.ndarray, row_bytes: int) -> np.ndarray:
    out = np.empty(values.shape[0] * row_bytes, dtype=np.uint8)
    fn(values.ctypes.data, out.ctypes.data, values.size // 256)
    return out


def _matches_ggml(qtype: T, fn: BlockEncoder) -> bool:
    from engine.quant.ggml import encode, row_bytes

    rows = check_rows()
    reference = encode(rows, qtype, threads=1, reference=True).reshape(-1)
    ours = encode_blocks(fn, rows, row_bytes(qtype, rows.shape[1]))
    return bool(np.array_equal(reference, ours))
