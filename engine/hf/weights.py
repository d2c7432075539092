"""The tensors of a Hugging Face folder's safetensors: the :class:`TensorSource` protocol.

A source hands out tensors *as stored* (BF16 as raw ``uint16``, F16 as ``float16``,
F32 as ``float32``). :class:`SafetensorsSource` reads a model folder (single file or
shards with an index); the LoRA merge wraps a source in another source with the same
protocol, so the conversion pass never knows the difference.

Streaming: the pass asks for row ranges through :func:`read_rows`. A source may
implement ``read_rows(name, start, stop)`` itself (the safetensors source does, with
positional reads into a fresh buffer: memory-mapped pages would count against the
process's resident memory until the whole map is dropped, on every OS); otherwise
``read(name)[start:stop]`` is used.
"""

from __future__ import annotations

import threading
from io import FileIO
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from engine.errors import InputError
from engine.formats.safetensors import DTYPES, INDEX_NAME, ModelWeights, TensorInfo
from engine.hf.json_files import read_json_object

__all__ = [
    "RowReader",
    "SafetensorsSource",
    "TensorInfo",
    "TensorSource",
    "read_rows",
    "reads_whole",
]


class TensorSource(Protocol):
    """Named tensors with their stored dtype and shape (see the module docstring)."""

    def names(self) -> list[str]: ...

    def info(self, name: str) -> TensorInfo: ...

    def read(self, name: str) -> np.ndarray: ...


@runtime_checkable
class RowReader(Protocol):
    """Optional: a source that can read rows ``start:stop`` (first axis) cheaply."""

    def read_rows(self, name: str, start: int, stop: int) -> np.ndarray: ...


def reads_whole(source: TensorSource, name: str) -> bool:
    """True when ``name`` is best read once as a whole (no cheap row reads; e.g. a tensor
    a LoRA merge computes). Sources say so with an optional ``reads_whole(name)``."""
    if not isinstance(source, RowReader):
        return True
    check = getattr(source, "reads_whole", None)
    return bool(check(name)) if check is not None else False


def read_rows(source: TensorSource, name: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a tensor (a 1-D tensor counts as one row)."""
    if isinstance(source, RowReader):
        return source.read_rows(name, start, stop)
    data = source.read(name)
    return data if data.ndim < 2 else data[start:stop]


class SafetensorsSource:
    """The tensors of a Hugging Face model folder (``*.safetensors``, sharded or not)."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self.weights = ModelWeights(self.model_dir)
        self._paths: dict[str, Path] = {}
        for sf in self.weights.files:
            for name in sf.tensors:
                self._paths[name] = sf.path
        self._check_index()
        self._local = threading.local()
        self._handles: list[FileIO] = []
        self._lock = threading.Lock()

    def __enter__(self) -> SafetensorsSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for fh in self._handles:
                fh.close()
            self._handles.clear()
            self._local = threading.local()
        self.weights.close()

    # -- the protocol ----------------------------------------------------------------
    def names(self) -> list[str]:
        return self.weights.names()

    def file_of(self, name: str) -> Path | None:
        """The safetensors file (shard) that holds ``name``."""
        return self._paths.get(name)

    def info(self, name: str) -> TensorInfo:
        return self.weights.info(name)

    def read(self, name: str) -> np.ndarray:
        """The whole tensor as a read-only memory-mapped view."""
        return self.weights.read(name)

    def read_rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` (first axis) read into a new, writable array."""
        info = self.weights.info(name)
        np_dtype, item = DTYPES[info.dtype]
        if len(info.shape) < 2:
            start, stop, row_elems, shape = 0, 1, info.n_elements, info.shape
        else:
            row_elems = info.n_elements // info.shape[0] if info.shape[0] else 0
            shape = (stop - start, *info.shape[1:])
        out = np.empty(shape, dtype=np_dtype)
        n_bytes = (stop - start) * row_elems * item
        if n_bytes:
            fh = self._handle(self._paths[name])
            fh.seek(info.begin + start * row_elems * item)
            view = out.data.cast("B")
            got = 0
            while got < n_bytes:
                step = fh.readinto(view[got:])
                if not step:
                    break
                got += step
            if got != n_bytes:
                raise InputError(
                    f"tensor {name!r}: the file ended early (read {got} of {n_bytes} bytes)",
                    path=self._paths[name],
                    hint="The file changed or is truncated; download it again.",
                )
        return out

    # -- internals -------------------------------------------------------------------
    def _handle(self, path: Path) -> FileIO:
        handles: dict[Path, FileIO] | None = getattr(self._local, "handles", None)
        if handles is None:
            handles = {}
            self._local.handles = handles
        fh = handles.get(path)
        if fh is None:
            fh = FileIO(path, "rb")  # closed in close()
            handles[path] = fh
            with self._lock:
                self._handles.append(fh)
        return fh

    def _check_index(self) -> None:
        """Every tensor the shard index promises must be in the shards."""
        index = self.model_dir / INDEX_NAME
        if not index.is_file():
            return
        weight_map = read_json_object(index).get("weight_map")
        if not isinstance(weight_map, dict):
            raise InputError("the shard index has no 'weight_map'", path=index, field="weight_map")
        missing = sorted(name for name in weight_map if name not in self._paths)
        if missing:
            files = sorted({str(weight_map[name]) for name in missing})
            raise InputError(
                f"{len(missing)} tensor(s) listed in the shard index are not in the shards "
                f"(e.g. {missing[0]!r} in {files[0]})",
                path=index,
                hint="A shard is incomplete or from another download; download the model again.",
            )
