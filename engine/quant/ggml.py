"""ctypes bindings to ggml's quantizer in llama-cpp-python's ``libggml-base``.

``ggml_quantize_chunk`` is the very function ``llama_model_quantize`` calls, so the
bytes we write equal llama.cpp's. A failed ``GGML_ASSERT`` inside ggml aborts the
whole process (the GUI included), so every argument is validated here *before* a
native call: dtype, contiguity, row length vs. block size, destination size, and
that the type needs no importance matrix.

ctypes releases the GIL while a foreign function runs, so :func:`encode` spreads
row chunks over a thread pool and really uses every core.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

from engine.quant import kquant
from engine.quant.errors import EncodeError, QuantLibraryError

T = GGMLQuantizationType

# Types ggml_quantize_chunk can produce without an importance matrix and that the
# planner may choose (incl. the row-length fallbacks). Anything else is refused.
ENCODABLE_TYPES: frozenset[GGMLQuantizationType] = frozenset(
    {
        T.F32,
        T.F16,
        T.BF16,
        T.Q8_0,
        T.Q6_K,
        T.Q5_K,
        T.Q4_K,
        T.Q3_K,
        T.Q2_K,
        T.Q5_0,
        T.Q5_1,
        T.Q4_0,
        T.Q4_1,
    }
)

# llama.cpp's chunk: at least 32*512 values per native call (see llama-quant.cpp).
MIN_CHUNK_VALUES = 32 * 512

_LIB_ENV = "LLAMA_CPP_LIB_PATH"  # same override llama-cpp-python itself honours


@dataclass(frozen=True)
class _Ggml:
    lib: ctypes.CDLL
    path: Path


def library_dir() -> Path:
    """Folder holding llama-cpp-python's shared libraries (without importing llama_cpp)."""
    override = os.environ.get(_LIB_ENV)
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise QuantLibraryError(
            "llama-cpp-python is not installed",
            hint="Install it with `pip install llama-cpp-python==0.3.36` (the Tuneforge "
            "installer ships it); it provides the quantizer library.",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def _library_file(folder: Path) -> Path:
    if sys.platform == "win32":
        names = ["ggml-base.dll", "libggml-base.dll"]
    elif sys.platform == "darwin":
        names = ["libggml-base.dylib"]
    else:
        names = ["libggml-base.so"]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    found = sorted(p for p in folder.glob("*ggml-base*") if p.is_file()) if folder.is_dir() else []
    if found:
        return found[0]
    raise QuantLibraryError(
        "ggml's base library was not found",
        path=folder,
        hint="Reinstall llama-cpp-python 0.3.36 (or set LLAMA_CPP_LIB_PATH to the folder "
        "holding libggml-base).",
    )


_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def _ggml() -> _Ggml:
    with _load_lock:
        folder = library_dir()
        path = _library_file(folder)
        if sys.platform == "win32":
            os.add_dll_directory(str(folder))  # its sibling DLLs
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise QuantLibraryError(
                f"cannot load ggml's library: {exc}",
                path=path,
                hint="Reinstall llama-cpp-python 0.3.36 for this Python version.",
            ) from exc
        _declare(lib)
        _check_abi(lib, path)
        return _Ggml(lib=lib, path=path)


def _declare(lib: ctypes.CDLL) -> None:
    c_int, i64, size_t, vp = ctypes.c_int, ctypes.c_int64, ctypes.c_size_t, ctypes.c_void_p
    lib.ggml_quantize_chunk.argtypes = [c_int, vp, vp, i64, i64, i64, vp]
    lib.ggml_quantize_chunk.restype = size_t
    lib.ggml_row_size.argtypes = [c_int, i64]
    lib.ggml_row_size.restype = size_t
    lib.ggml_blck_size.argtypes = [c_int]
    lib.ggml_blck_size.restype = i64
    lib.ggml_type_size.argtypes = [c_int]
    lib.ggml_type_size.restype = size_t
    lib.ggml_quantize_requires_imatrix.argtypes = [c_int]
    lib.ggml_quantize_requires_imatrix.restype = ctypes.c_bool
    lib.ggml_quantize_init.argtypes = [c_int]
    lib.ggml_quantize_init.restype = None
    lib.ggml_validate_row_data.argtypes = [c_int, vp, size_t]
    lib.ggml_validate_row_data.restype = ctypes.c_bool


def _check_abi(lib: ctypes.CDLL, path: Path) -> None:
    """The type numbers must mean what the gguf package says they mean."""
    for qtype in ENCODABLE_TYPES:
        block, size = GGML_QUANT_SIZES[qtype]
        got = (int(lib.ggml_blck_size(int(qtype))), int(lib.ggml_type_size(int(qtype))))
        if got != (block, size):
            raise QuantLibraryError(
                f"ggml's {qtype.name} layout {got} differs from the gguf package's {(block, size)}",
                path=path,
                hint="llama-cpp-python and gguf versions do not match; reinstall Tuneforge.",
            )


def block_size(qtype: GGMLQuantizationType) -> int:
    """Values per block (32 for Q8_0, 256 for K-quants, 1 for floats); pure Python."""
    return GGML_QUANT_SIZES[qtype][0]


def row_bytes(qtype: GGMLQuantizationType, n_per_row: int) -> int:
    """Bytes of one encoded row of ``n_per_row`` values (must be a multiple of the block)."""
    block, size = GGML_QUANT_SIZES[qtype]
    if n_per_row % block:
        raise EncodeError(
            f"a row of {n_per_row} values cannot be stored as {qtype.name} "
            f"(needs a multiple of {block})"
        )
    return n_per_row // block * size


def tensor_bytes(qtype: GGMLQuantizationType, shape: Sequence[int]) -> int:
    """Bytes of a whole tensor (numpy-order shape, last dim = row length)."""
    if not shape:
        return GGML_QUANT_SIZES[qtype][1]
    n_rows = 1
    for dim in shape[:-1]:
        n_rows *= int(dim)
    return n_rows * row_bytes(qtype, int(shape[-1]))


def check_encodable(
    qtype: GGMLQuantizationType, shape: Sequence[int], *, name: str | None = None
) -> None:
    """Raise :class:`EncodeError` unless ``encode`` can produce ``qtype`` for ``shape``."""
    label = f"tensor {name}: " if name else ""
    if qtype not in ENCODABLE_TYPES:
        raise EncodeError(
            f"{label}ggml type {qtype.name} is not supported by Tuneforge's quantizer",
            hint=f"Supported: {', '.join(sorted(t.name for t in ENCODABLE_TYPES))}.",
        )
    if not shape:
        raise EncodeError(f"{label}a scalar cannot be encoded as a tensor row")
    n_per_row = int(shape[-1])
    if n_per_row <= 0 or n_per_row % block_size(qtype):
        raise EncodeError(
            f"{label}row length {n_per_row} is not a multiple of {block_size(qtype)}, "
            f"which {qtype.name} needs",
            hint="The quantization plan falls back to another type for such tensors; "
            "this is a bug if you see it.",
        )


def encode(
    values_f32: np.ndarray,
    ggml_type: GGMLQuantizationType,
    *,
    threads: int | None = None,
    out: np.ndarray | None = None,
    name: str | None = None,
    check_finite: bool = True,
    reference: bool = False,
) -> np.ndarray:
    """Encode float32 rows to ``ggml_type`` exactly as ``ggml_quantize_chunk`` does.

    ``values_f32``: C-contiguous float32 array, last dimension = row length (any
    number of leading dimensions; rows are independent, so callers may pass a slab
    of rows of a big tensor). Returns uint8 of shape ``(*values.shape[:-1],
    row_bytes)``, which is the byte shape ``gguf.GGUFWriter`` expects for quantized
    data. ``out``: optional C-contiguous, writable uint8 buffer of exactly that many
    bytes (any shape) to write into instead of allocating. ``threads``: worker
    threads (default: all CPUs). ``name`` only improves error messages.
    ``check_finite``: refuse NaN/inf values, as llama.cpp's loader does (the
    quantizers themselves don't notice them). A caller that already checked the
    stored rows with :func:`check_finite_rows` (bf16: 4× cheaper) may pass False.
    Q4_K/Q5_K/Q6_K go through Tuneforge's own encoder (:mod:`engine.quant.kquant`, the same
    bytes) when it is available; ``reference=True`` always uses ggml's quantizer.

    Raises :class:`EncodeError` (before any native call) for a wrong dtype/layout,
    a row length the type cannot hold, or a type that is not supported; and for
    NaN/inf values or when ggml's validation rejects the encoded rows.
    """
    label = f"tensor {name}: " if name else ""
    if not isinstance(values_f32, np.ndarray):
        raise EncodeError(f"{label}encode needs a numpy array, got {type(values_f32).__name__}")
    if values_f32.dtype != np.float32:
        raise EncodeError(f"{label}encode needs float32 values, got {values_f32.dtype}")
    if not values_f32.flags.c_contiguous:
        raise EncodeError(f"{label}encode needs a C-contiguous array (use np.ascontiguousarray)")
    qtype = GGMLQuantizationType(ggml_type)
    check_encodable(qtype, values_f32.shape, name=name)
    n_per_row = int(values_f32.shape[-1])
    n_rows = values_f32.size // n_per_row if n_per_row else 0
    size_row = row_bytes(qtype, n_per_row)
    dst = _destination(out, n_rows * size_row, label)
    if n_rows == 0:
        return dst.reshape(*values_f32.shape[:-1], size_row)

    ggml = _ggml().lib
    if ggml.ggml_quantize_requires_imatrix(int(qtype)):
        raise EncodeError(f"{label}{qtype.name} needs an importance matrix, which is not supported")
    if int(ggml.ggml_row_size(int(qtype), n_per_row)) != size_row:
        raise QuantLibraryError(f"ggml's row size for {qtype.name} differs from the gguf package's")
    ggml.ggml_quantize_init(int(qtype))  # once, before threads (it takes a lock anyway)

    rows_per_chunk = _rows_per_chunk(n_rows, n_per_row, threads)
    src_addr = values_f32.ctypes.data
    dst_addr = dst.ctypes.data
    spans = [(r, min(rows_per_chunk, n_rows - r)) for r in range(0, n_rows, rows_per_chunk)]
    native = None if reference else kquant.native_encoder(qtype)
    blocks_per_row = n_per_row // block_size(qtype)

    def run(span: tuple[int, int]) -> bool:
        first, count = span
        src_ptr = src_addr + first * n_per_row * 4
        dst_ptr = dst_addr + first * size_row
        if check_finite and not ggml.ggml_validate_row_data(
            int(T.F32), src_ptr, count * n_per_row * 4
        ):
            return False
        if native is not None:
            native(src_ptr, dst_ptr, count * blocks_per_row)
            written = count * size_row
        else:
            written = ggml.ggml_quantize_chunk(
                int(qtype), src_ptr, dst_ptr, 0, count, n_per_row, None
            )
        if written != count * size_row:  # pragma: no cover - ggml asserts this itself
            return False
        return bool(ggml.ggml_validate_row_data(int(qtype), dst_ptr, written))

    ok = run(spans[0]) if len(spans) == 1 else all(_pool(_thread_count(threads)).map(run, spans))
    if not ok:
        raise non_finite_error(name)
    return dst.reshape(*values_f32.shape[:-1], size_row)


_STORED_TYPES = {np.dtype("<u2"): T.BF16, np.dtype("<f2"): T.F16, np.dtype("<f4"): T.F32}


def check_finite_rows(stored: np.ndarray, *, name: str | None = None) -> None:
    """Raise :class:`EncodeError` if stored weights hold NaN/inf: ``uint16`` = raw bf16,
    ``float16`` or ``float32`` (ggml's own check, the one llama.cpp's loader runs)."""
    qtype = _STORED_TYPES.get(stored.dtype) if isinstance(stored, np.ndarray) else None
    if qtype is None:
        raise EncodeError(f"cannot check values of type {getattr(stored, 'dtype', type(stored))}")
    data = np.ascontiguousarray(stored)
    if data.size and not _ggml().lib.ggml_validate_row_data(
        int(qtype), data.ctypes.data, data.nbytes
    ):
        raise non_finite_error(name)


def non_finite_error(name: str | None) -> EncodeError:
    label = f"tensor {name}: " if name else ""
    return EncodeError(
        f"{label}the weights contain NaN or infinite values",
        hint="The model files are damaged or the training diverged; re-download or "
        "re-train the model.",
        tensor=name,
    )


def _destination(out: np.ndarray | None, n_bytes: int, label: str) -> np.ndarray:
    if out is None:
        return np.empty(n_bytes, dtype=np.uint8)
    if not isinstance(out, np.ndarray) or out.dtype != np.uint8:
        raise EncodeError(f"{label}out= must be a uint8 numpy array")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise EncodeError(f"{label}out= must be C-contiguous and writable")
    if out.nbytes != n_bytes:
        raise EncodeError(f"{label}out= holds {out.nbytes} bytes, the encoding needs {n_bytes}")
    return out.reshape(-1)


def _thread_count(threads: int | None) -> int:
    if threads is None:
        return max(1, os.cpu_count() or 1)
    return max(1, int(threads))


def _rows_per_chunk(n_rows: int, n_per_row: int, threads: int | None) -> int:
    """Enough chunks to keep every thread busy (4 per thread), none below llama.cpp's minimum."""
    n_threads = _thread_count(threads)
    if n_threads == 1:
        return n_rows
    min_rows = max(1, -(-MIN_CHUNK_VALUES // n_per_row))
    wanted = -(-n_rows // (4 * n_threads))
    return max(min_rows, wanted)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(n_threads)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="ggml-quant")
            _pools[n_threads] = pool
        return pool
