"""Streaming safetensors writer: declare every tensor up front, then write them one by one.

The header (names, dtypes, shapes, byte offsets) is computed from the declared
entries and written first, so tensors go to disk as they are produced and none has
to be held in memory with the others. BF16 data is passed as raw ``uint16`` bits,
as :mod:`engine.formats.safetensors` reads it. The header is padded with spaces to a
multiple of 8 bytes, like the reference implementation, so tensor data is aligned.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import BinaryIO

import numpy as np

from engine.formats.safetensors import DTYPES


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str  # safetensors name: "BF16", "F16", "F32", …
    shape: tuple[int, ...]

    @property
    def n_bytes(self) -> int:
        return prod(self.shape) * DTYPES[self.dtype][1]


def build_header(
    entries: Sequence[TensorEntry], metadata: Mapping[str, str] | None = None
) -> bytes:
    """The 8-byte length + JSON header for ``entries`` laid out in order."""
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    seen: set[str] = set()
    for entry in entries:
        if entry.dtype not in DTYPES:
            raise ValueError(f"unknown safetensors dtype {entry.dtype!r} for {entry.name!r}")
        if entry.name in seen or entry.name == "__metadata__":
            raise ValueError(f"tensor name {entry.name!r} is duplicated or reserved")
        seen.add(entry.name)
        size = entry.n_bytes
        header[entry.name] = {
            "dtype": entry.dtype,
            "shape": list(entry.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-(len(raw) + 8) % 8)
    return struct.pack("<Q", len(raw)) + raw


class SafetensorsWriter:
    """Write ``entries`` to ``path`` in declared order; :meth:`close` checks all arrived."""

    def __init__(
        self,
        path: Path,
        entries: Sequence[TensorEntry],
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.entries = list(entries)
        self._next = 0
        header = build_header(self.entries, metadata)
        self.data_bytes = sum(e.n_bytes for e in self.entries)
        self.total_bytes = len(header) + self.data_bytes
        self._fh: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self._fh.write(header)

    def __enter__(self) -> SafetensorsWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        elif self._fh is not None:  # failing: just release the file; the caller discards it
            self._fh.close()
            self._fh = None

    def write(self, name: str, data: np.ndarray) -> None:
        """Write the next declared tensor (raw array: BF16 as uint16)."""
        self.write_parts(name, [data])

    def write_parts(self, name: str, parts: Iterable[np.ndarray]) -> None:
        """Write the next declared tensor from consecutive pieces (row blocks, first axis).

        Every piece must have the declared dtype and the tensor's trailing dimensions;
        together they must make up exactly the declared shape.
        """
        if self._fh is None:
            raise ValueError(f"{self.path} is closed")
        if self._next >= len(self.entries):
            raise ValueError(f"{name!r}: all declared tensors were already written")
        entry = self.entries[self._next]
        if name != entry.name:
            raise ValueError(f"expected tensor {entry.name!r} next, got {name!r}")
        want = np.dtype(DTYPES[entry.dtype][0])
        tail = entry.shape[1:]
        written = 0
        for data in parts:
            whole = tuple(data.shape) == entry.shape
            if data.dtype != want or not (
                whole or (data.ndim >= 1 and tuple(data.shape[1:]) == tail)
            ):
                raise ValueError(
                    f"{name!r}: got {data.dtype}{list(data.shape)}, declared "
                    f"{entry.dtype}{list(entry.shape)} (numpy {want})"
                )
            contiguous = np.ascontiguousarray(data)
            self._fh.write(contiguous.data)
            written += contiguous.nbytes
        if written != entry.n_bytes:
            raise ValueError(f"{name!r}: wrote {written} bytes, declared {entry.n_bytes}")
        self._next += 1

    def close(self) -> None:
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        fh.close()
        if self._next != len(self.entries):
            missing = self.entries[self._next].name
            raise ValueError(
                f"{self.path}: {len(self.entries) - self._next} tensors not written (next: {missing!r})"
            )
