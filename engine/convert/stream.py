"""The conversion pass: row blocks → encoded bytes → GGUF writer, in file order.

Each tensor is cut into row blocks of about :data:`BLOCK_ELEMENTS` values. Worker
threads read a block (positional reads, see :mod:`engine.hf.weights`), apply the
tensor's transform and encode it (numpy and ggml release the GIL, so this uses
every core); the calling thread hands finished blocks to the writer strictly in
order, which hashes and writes them. At most ``2 × threads + 2`` blocks are in
flight, so memory stays at a few blocks no matter how large the model is.
Cancelling is checked between blocks.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from gguf import GGMLQuantizationType

from engine.convert.encode import encode_block
from engine.convert.plan import OutputTensor
from engine.formats.gguf_write import GGUFStreamWriter, tensor_nbytes
from engine.hf.weights import TensorSource, read_rows, reads_whole
from engine.jobs import JobContext

BLOCK_ELEMENTS = 1 << 19  # 512 Ki values: 1 MiB of bf16, cache-friendly, few Python steps
MAX_DEFAULT_THREADS = 8
PROGRESS_STAGE = "Converting"
_FLOAT_TYPES = frozenset(
    {GGMLQuantizationType.F32, GGMLQuantizationType.F16, GGMLQuantizationType.BF16}
)


@dataclass(frozen=True)
class Block:
    tensor: OutputTensor
    ggml_type: GGMLQuantizationType
    start: int  # first row
    stop: int  # one past the last row


def default_threads() -> int:
    return max(1, min(MAX_DEFAULT_THREADS, os.cpu_count() or 1))


def blocks_of(tensor: OutputTensor, ggml_type: GGMLQuantizationType) -> Iterator[Block]:
    rows = tensor.n_rows
    if tensor.n_dims < 2 or tensor.values is not None:
        yield Block(tensor, ggml_type, 0, rows)
        return
    row_elements = max(1, tensor.n_elements // rows)
    align = tensor.row_alignment
    per_block = max(1, BLOCK_ELEMENTS // row_elements)
    per_block = max(align, per_block // align * align)
    for start in range(0, rows, per_block):
        yield Block(tensor, ggml_type, start, min(rows, start + per_block))


def unpermute_rows(data: np.ndarray, n_heads: int) -> np.ndarray:
    """Hugging Face's rotary layout (per head: first halves, then second halves) →
    GGUF's interleaved pairs, as llama.cpp's converter does for Llama q/k."""
    shape = data.shape
    return (
        data.reshape(n_heads, 2, shape[0] // n_heads // 2, *shape[1:]).swapaxes(1, 2).reshape(shape)
    )


class _WholeTensorCache:
    """For tensors a source can only produce whole (a LoRA merge computes them): read
    each once and keep it only while its blocks are in flight."""

    def __init__(self, source: TensorSource) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[threading.Lock, list[np.ndarray], list[int]]] = {}

    def holds(self, name: str) -> bool:
        with self._lock:
            return name in self._entries

    def expect(self, name: str, n_blocks: int) -> None:
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                self._entries[name] = (threading.Lock(), [], [n_blocks])
            else:
                entry[2][0] += n_blocks

    def rows(self, name: str, start: int, stop: int) -> np.ndarray:
        with self._lock:
            tensor_lock, box, remaining = self._entries[name]
        with tensor_lock:
            if not box:
                box.append(self.source.read(name))
            data = box[0]
        block = data if data.ndim < 2 else data[start:stop]
        with self._lock:
            remaining[0] -= 1
            if remaining[0] <= 0:
                self._entries.pop(name, None)
        return block


def _read_block(
    block: Block, source: TensorSource, cache: _WholeTensorCache
) -> tuple[np.ndarray, str]:
    """The block's rows and their dtype: as stored, or float32 values from a source that
    computes them (a LoRA merge's ``read_values``) when they go to a quantizer anyway."""
    tensor = block.tensor
    if tensor.values is not None:
        return tensor.values, tensor.dtype
    assert tensor.source_name is not None
    dtype = tensor.dtype
    read_values = getattr(source, "read_values", None)
    if cache.holds(tensor.source_name):
        data = cache.rows(tensor.source_name, block.start, block.stop)
    elif read_values is not None and block.ggml_type not in _FLOAT_TYPES:
        data, dtype = read_values(tensor.source_name, block.start, block.stop), "F32"
    else:
        data = read_rows(source, tensor.source_name, block.start, block.stop)
    heads = tensor.transform.unpermute_heads
    if heads:
        n_heads = heads if tensor.n_dims < 2 else (block.stop - block.start) // tensor.row_alignment
        data = unpermute_rows(data, n_heads)
    return data, dtype


def _encode(block: Block, source: TensorSource, cache: _WholeTensorCache) -> np.ndarray:
    data, dtype = _read_block(block, source, cache)
    tensor = block.tensor
    encoded = encode_block(data, dtype, block.ggml_type, add=tensor.transform.add, name=tensor.name)
    row_shape = (
        (block.stop - block.start, *tensor.shape[1:]) if tensor.n_dims >= 2 else tensor.shape
    )
    expected = tensor_nbytes(block.ggml_type, row_shape)
    if encoded.nbytes != expected:  # pragma: no cover - a bug, never user input
        raise RuntimeError(
            f"{tensor.name}: rows {block.start}:{block.stop} encoded to {encoded.nbytes} bytes, "
            f"expected {expected}"
        )
    return encoded


def write_tensor_data(
    writer: GGUFStreamWriter,
    source: TensorSource,
    tensors: Sequence[OutputTensor],
    types: Sequence[GGMLQuantizationType],
    ctx: JobContext,
    *,
    threads: int | None = None,
) -> None:
    """Stream every tensor's bytes into ``writer`` (whose header is already written)."""
    n_threads = max(1, threads or default_threads())
    total = sum(tensor_nbytes(t, tensor.shape) for tensor, t in zip(tensors, types, strict=True))
    cache = _WholeTensorCache(source)
    all_blocks = [b for tensor, t in zip(tensors, types, strict=True) for b in blocks_of(tensor, t)]
    for tensor in tensors:
        if tensor.source_name is not None and reads_whole(source, tensor.source_name):
            cache.expect(tensor.source_name, sum(1 for b in all_blocks if b.tensor is tensor))
    window = 2 * n_threads + 2
    done = 0
    ctx.progress(PROGRESS_STAGE, 0, total, unit="B")
    queue: deque[Future[np.ndarray]] = deque()
    pending = iter(all_blocks)
    with ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="convert") as pool:

        def refill() -> None:
            while len(queue) < window:
                block = next(pending, None)
                if block is None:
                    return
                queue.append(pool.submit(_encode, block, source, cache))

        try:
            refill()
            while queue:
                ctx.check_cancelled()
                data = queue.popleft().result()
                refill()
                writer.write_tensor_data(data)
                done += data.nbytes
                ctx.progress(PROGRESS_STAGE, done, total, unit="B")
        except BaseException:
            for future in queue:
                future.cancel()
            raise
