"""A small streaming GGUF (v3) writer that hashes every byte it writes.

The whole header (metadata keys and the tensor table) is laid out first, from
tensor *shapes and types* only; tensor data then streams in, chunk by chunk, in
table order. Nothing but the header is ever held in memory, and the SHA-256 of the
complete file is known the moment the last byte is written (Ollama's blob upload
needs it; no second pass over a multi-GB file).

Usage::

    writer = GGUFStreamWriter(alignment=32)
    writer.add_key("general.architecture", "llama")          # type inferred: STRING
    writer.add_key("llama.block_count", 32, GGUFValueType.UINT32)
    writer.add_key("tokenizer.ggml.tokens", ["<s>", "</s>"])  # ARRAY of STRING
    writer.add_key("tokenizer.ggml.scores", np.zeros(2, np.float32))  # ARRAY of FLOAT32
    writer.add_tensor_info("token_embd.weight", (32000, 4096), GGMLQuantizationType.F16)
    with open(path, "wb") as fh:
        writer.write_header(fh)
        writer.write_tensor_data(chunk)  # bytes-like, any chunking, table order
        ...
        written = writer.finish()        # WrittenFile(size_bytes, sha256)

``add_key(key, value, value_type=None, *, sub_type=None)``: scalars are ``str``,
``bytes`` (written as a string as-is), ``bool``, ``int``, ``float``, a numpy scalar;
arrays are a ``list``/``tuple`` or a 1-D numpy array. Without ``value_type`` the type
is inferred: str/bytes → STRING, bool → BOOL, int → UINT32 (INT64 if it does not
fit), float → FLOAT32, sequences → ARRAY of the inferred element type (ints:
INT32, as llama.cpp's token types), numpy arrays → ARRAY of their dtype. For an
array, ``value_type`` may be ``ARRAY`` and ``sub_type`` names the element type;
passing an element type as ``value_type`` together with a sequence value means
"array of that". Adding a key again replaces its value (last write wins).
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from math import prod
from typing import Any, BinaryIO

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from engine.formats.gguf_values import GGUFValueError, encode_value, string_bytes

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32
ALIGNMENT_KEY = "general.alignment"


class GGUFWriteError(GGUFValueError):
    """Misuse of the writer (wrong order, sizes that do not add up): a programming error."""


class GGUFOutputError(OSError):
    """Writing the output file failed (disk full, drive gone …); ``errno`` is kept."""


def _write(stream: BinaryIO, data: bytes | memoryview) -> None:
    try:
        stream.write(data)
    except OSError as exc:
        raise GGUFOutputError(exc.errno, exc.strerror or str(exc)) from exc


@dataclass(frozen=True)
class TensorSlot:
    """One row of the tensor table: where a tensor's bytes go, relative to the data start."""

    name: str
    shape: tuple[int, ...]  # numpy order: the last dimension is the row length (ggml ne[0])
    ggml_type: GGMLQuantizationType
    n_bytes: int
    offset: int


@dataclass(frozen=True)
class WrittenFile:
    size_bytes: int
    sha256: str


def tensor_nbytes(ggml_type: GGMLQuantizationType, shape: Sequence[int]) -> int:
    """Bytes of a tensor of ``shape`` (numpy order) stored as ``ggml_type``."""
    block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    n = prod(int(d) for d in shape)
    row = int(shape[-1]) if shape else 1
    if row % block:
        raise GGUFWriteError(
            f"row length {row} is not a multiple of {ggml_type.name}'s block size {block}"
        )
    return n // block * type_size


def _pad(n: int, alignment: int) -> int:
    return -(-n // alignment) * alignment


class _Sink:
    """Hashes and writes buffers strictly in order.

    With ``background=True`` the hashing and the file writes run on two threads of
    their own (hashlib and file writes release the GIL), so they overlap each other
    and the producer. Buffers must not change after :meth:`put`; at most
    ``max_pending`` are held (then :meth:`put` waits for the oldest).
    """

    def __init__(self, stream: BinaryIO, *, background: bool, max_pending: int = 8) -> None:
        self.stream = stream
        self.hash = hashlib.sha256()
        self.max_pending = max_pending
        self._pools = (
            (ThreadPoolExecutor(1, "gguf-hash"), ThreadPoolExecutor(1, "gguf-write"))
            if background
            else None
        )
        self._pending: deque[tuple[Future[Any], Future[Any]]] = deque()

    def put(self, data: bytes | memoryview) -> None:
        if self._pools is None:
            self.hash.update(data)
            _write(self.stream, data)
            return
        while len(self._pending) >= self.max_pending:
            self._wait_oldest()
        hasher, writer = self._pools
        self._pending.append(
            (hasher.submit(self.hash.update, data), writer.submit(_write, self.stream, data))
        )

    def _wait_oldest(self) -> None:
        hashed, written = self._pending.popleft()
        hashed.result()
        written.result()

    def drain(self) -> None:
        """Wait until everything is hashed and written (re-raises a write error)."""
        while self._pending:
            self._wait_oldest()
        try:
            self.stream.flush()
        except OSError as exc:
            raise GGUFOutputError(exc.errno, exc.strerror or str(exc)) from exc

    def close(self) -> None:
        """Stop the threads; nothing else is written (used on errors and cancel)."""
        if self._pools is not None:
            for future_pair in self._pending:
                for future in future_pair:
                    future.cancel()
            for pool in self._pools:
                pool.shutdown(wait=True)
            self._pools = None
        self._pending.clear()


class GGUFStreamWriter:
    """Lay out a GGUF header, then stream tensor data through SHA-256 into a file.

    ``background_io=True`` hashes and writes on two extra threads (see :class:`_Sink`);
    then call :meth:`close` when giving up half-way (``finish`` does it on success).
    """

    def __init__(self, *, alignment: int = DEFAULT_ALIGNMENT, background_io: bool = False) -> None:
        if alignment <= 0 or alignment % 8:
            raise GGUFWriteError("alignment must be a positive multiple of 8")
        self.alignment = alignment
        self._kv: dict[str, tuple[GGUFValueType, bytes]] = {}
        self._values: dict[str, Any] = {}
        self._tensors: list[TensorSlot] = []
        self._names: set[str] = set()
        self._data_bytes = 0
        self._stream: BinaryIO | None = None
        self._sink: _Sink | None = None
        self._background_io = background_io
        self._written = 0
        self._tensor_index = 0
        self._tensor_done = 0
        self._finished = False
        if alignment != DEFAULT_ALIGNMENT:
            self.add_key(ALIGNMENT_KEY, alignment, GGUFValueType.UINT32)

    # -- metadata --------------------------------------------------------------------
    def add_key(
        self,
        key: str,
        value: Any,
        value_type: GGUFValueType | None = None,
        *,
        sub_type: GGUFValueType | None = None,
    ) -> None:
        """Add (or replace) one metadata key; see the module docstring for types."""
        self._check_open_for_layout()
        if not key or not isinstance(key, str):
            raise GGUFWriteError("metadata keys are non-empty strings")
        self._kv[key] = encode_value(value, value_type, sub_type)
        self._values[key] = value

    def has_key(self, key: str) -> bool:
        return key in self._kv

    def value(self, key: str) -> Any:
        """The value given for ``key`` (as passed to :meth:`add_key`)."""
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._kv)

    # -- tensors ---------------------------------------------------------------------
    def add_tensor_info(
        self, name: str, shape: Sequence[int], ggml_type: GGMLQuantizationType
    ) -> TensorSlot:
        """Reserve a tensor (numpy-order ``shape``); data must follow in this order."""
        self._check_open_for_layout()
        if name in self._names:
            raise GGUFWriteError(f"tensor {name!r} added twice")
        if len(name.encode("utf-8")) >= 64:
            raise GGUFWriteError(f"tensor name {name!r} is longer than ggml's 63 bytes")
        shape = tuple(int(d) for d in shape) or (1,)
        qtype = GGMLQuantizationType(ggml_type)
        n_bytes = tensor_nbytes(qtype, shape)
        slot = TensorSlot(name, shape, qtype, n_bytes, self._data_bytes)
        self._tensors.append(slot)
        self._names.add(name)
        self._data_bytes += _pad(n_bytes, self.alignment)
        return slot

    @property
    def tensors(self) -> list[TensorSlot]:
        return list(self._tensors)

    # -- sizes -----------------------------------------------------------------------
    def _header_bytes(self) -> bytes:
        parts = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self._tensors), len(self._kv))]
        for key, (value_type, payload) in self._kv.items():
            parts.append(string_bytes(key))
            parts.append(struct.pack("<I", int(value_type)))
            parts.append(payload)
        for slot in self._tensors:
            parts.append(string_bytes(slot.name))
            parts.append(struct.pack("<I", len(slot.shape)))
            parts.append(struct.pack(f"<{len(slot.shape)}Q", *reversed(slot.shape)))
            parts.append(struct.pack("<IQ", int(slot.ggml_type), slot.offset))
        header = b"".join(parts)
        return header + b"\0" * (_pad(len(header), self.alignment) - len(header))

    def file_size(self) -> int:
        """Exact size of the finished file (header + padded tensor data)."""
        return len(self._header_bytes()) + self._data_bytes

    # -- writing ---------------------------------------------------------------------
    def write_header(self, stream: BinaryIO) -> int:
        """Write magic, keys and the tensor table to ``stream``; returns the header size."""
        self._check_open_for_layout()
        self._stream = stream
        self._sink = _Sink(stream, background=self._background_io)
        header = self._header_bytes()
        self._emit(header)
        self._tensor_index = 0
        self._tensor_done = 0
        self._skip_empty()
        return len(header)

    def write_tensor_data(self, data: Any) -> None:
        """Append bytes (any bytes-like or numpy array) to the tensors, in table order.

        Chunks may be of any size but must not cross past the last tensor; padding
        between tensors is inserted automatically when a tensor is complete.
        """
        if self._stream is None or self._finished:
            raise GGUFWriteError("write_header() first (and not after finish())")
        raw = np.ascontiguousarray(data).data if isinstance(data, np.ndarray) else memoryview(data)
        view = raw.cast("B")
        while len(view):
            if self._tensor_index >= len(self._tensors):
                raise GGUFWriteError("more tensor data than the tensor table announced")
            slot = self._tensors[self._tensor_index]
            take = min(len(view), slot.n_bytes - self._tensor_done)
            self._emit(view[:take])
            self._tensor_done += take
            view = view[take:]
            if self._tensor_done == slot.n_bytes:
                self._close_tensor(slot)

    def finish(self) -> WrittenFile:
        """Check that every tensor got all its bytes; return the file's size and SHA-256."""
        if self._stream is None:
            raise GGUFWriteError("nothing written")
        if self._tensor_index != len(self._tensors):
            slot = self._tensors[self._tensor_index]
            raise GGUFWriteError(
                f"tensor {slot.name!r} got {self._tensor_done} of {slot.n_bytes} bytes"
            )
        assert self._sink is not None
        try:
            self._sink.drain()
        finally:
            self._sink.close()
        self._finished = True
        return WrittenFile(size_bytes=self._written, sha256=self._sink.hash.hexdigest())

    def close(self) -> None:
        """Stop background hashing/writing without finishing (after an error or cancel)."""
        if self._sink is not None:
            self._sink.close()

    # -- internals -------------------------------------------------------------------
    def _close_tensor(self, slot: TensorSlot) -> None:
        padding = _pad(slot.n_bytes, self.alignment) - slot.n_bytes
        if padding:
            self._emit(b"\0" * padding)
        self._tensor_index += 1
        self._tensor_done = 0
        self._skip_empty()

    def _skip_empty(self) -> None:
        while (
            self._tensor_index < len(self._tensors)
            and self._tensors[self._tensor_index].n_bytes == 0
        ):
            self._tensor_index += 1

    def _emit(self, data: bytes | memoryview) -> None:
        assert self._sink is not None
        self._sink.put(data)
        self._written += len(data)

    def _check_open_for_layout(self) -> None:
        if self._stream is not None:
            raise GGUFWriteError("the header is already written; keys and tensors are fixed")
