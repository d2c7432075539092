"""Torch-free, memory-mapped safetensors reading with strict validation.

A tensor is returned as a read-only numpy view into the mapped file: nothing is
loaded until it is touched. numpy has no bfloat16, so BF16 tensors come back as raw
``uint16`` (see :func:`bf16_to_f32` / :func:`f32_to_bf16`).
"""

from __future__ import annotations

import json
import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import BinaryIO

import numpy as np

from engine.errors import InputError, UnsupportedError

# safetensors dtype → (numpy dtype of the raw view, bytes per element)
DTYPES: dict[str, tuple[str, int]] = {
    "F64": ("<f8", 8),
    "F32": ("<f4", 4),
    "F16": ("<f2", 2),
    "BF16": ("<u2", 2),  # raw bits; numpy has no bfloat16
    "I64": ("<i8", 8),
    "I32": ("<i4", 4),
    "I16": ("<i2", 2),
    "I8": ("i1", 1),
    "U8": ("u1", 1),
    "BOOL": ("?", 1),
}
MAX_HEADER_BYTES = 100 * 2**20
LFS_POINTER_PREFIX = b"version https://git-lfs"


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str  # safetensors name: "BF16", "F16", "F32", …
    shape: tuple[int, ...]
    begin: int  # absolute byte offset in the file
    end: int

    @property
    def n_elements(self) -> int:
        return prod(self.shape)

    @property
    def n_bytes(self) -> int:
        return self.end - self.begin


def looks_like_lfs_pointer(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX
    except OSError:
        return False


def lfs_pointer_error(path: Path) -> InputError:
    return InputError(
        "this is a Git LFS pointer file, not the weights",
        path=path,
        hint="The download is incomplete: run `git lfs pull` in the model folder, "
        "or download the model again with `huggingface-cli download MODEL_ID --local-dir "
        "FOLDER` (or `hf download`), which fetches the real files.",
    )


class SafetensorsFile:
    """One ``.safetensors`` file: validated header, lazy memory-mapped tensors."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tensors, self.metadata, self._data_start = _read_header(self.path)
        self._fh: BinaryIO | None = None
        self._map: mmap.mmap | None = None

    def __enter__(self) -> SafetensorsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # Views handed out keep the map alive through numpy's reference; closing the
        # file object is enough on every OS.
        self._map = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _mapped(self) -> mmap.mmap:
        if self._map is None:
            if self.path.stat().st_size == 0:
                raise InputError("file is empty", path=self.path)
            fh = open(self.path, "rb")  # noqa: SIM115 - lives as long as the map
            self._fh = fh
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def read(self, name: str) -> np.ndarray:
        """The raw tensor as a read-only numpy view (BF16 as uint16)."""
        info = self.tensors[name]
        np_dtype, _ = DTYPES[info.dtype]
        buf = self._mapped()
        arr = np.frombuffer(buf, dtype=np_dtype, count=info.n_elements, offset=info.begin)
        return arr.reshape(info.shape)


def _read_header(path: Path) -> tuple[dict[str, TensorInfo], dict[str, str], int]:
    try:
        file_size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if head.startswith(LFS_POINTER_PREFIX[:8]) and looks_like_lfs_pointer(path):
                raise lfs_pointer_error(path)
            if len(head) < 8:
                raise InputError(
                    "file is too short to be safetensors (truncated download?)",
                    path=path,
                    hint="Download the file again.",
                )
            (header_len,) = struct.unpack("<Q", head)
            if header_len > MAX_HEADER_BYTES or 8 + header_len > file_size:
                raise InputError(
                    f"safetensors header length {header_len} does not fit in the file "
                    f"({file_size} bytes): the file is truncated or not safetensors",
                    path=path,
                    hint="Download the file again.",
                )
            raw = fh.read(header_len)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"safetensors header is not valid JSON ({exc})",
            path=path,
            hint="The file is corrupt; download it again.",
        ) from exc
    if not isinstance(header, dict):
        raise InputError("safetensors header is not a JSON object", path=path)

    data_start = 8 + header_len
    data_size = file_size - data_start
    metadata = header.pop("__metadata__", None) or {}
    tensors: dict[str, TensorInfo] = {}
    for name, entry in header.items():
        tensors[name] = _tensor_info(path, name, entry, data_start, data_size)
    return tensors, {str(k): str(v) for k, v in metadata.items()}, data_start


def _tensor_info(
    path: Path, name: str, entry: object, data_start: int, data_size: int
) -> TensorInfo:
    if not isinstance(entry, dict):
        raise InputError(f"tensor {name!r}: header entry is not an object", path=path, field=name)
    dtype = entry.get("dtype")
    shape = entry.get("shape")
    offsets = entry.get("data_offsets")
    if dtype not in DTYPES:
        raise UnsupportedError(
            f"tensor {name!r} has dtype {dtype!r}, which Tuneforge cannot read",
            path=path,
            field=name,
            hint=f"Supported dtypes: {', '.join(DTYPES)}. Re-save the model in bf16 or f16.",
        )
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise InputError(f"tensor {name!r}: bad shape {shape!r}", path=path, field=name)
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(isinstance(o, int) for o in offsets)
        and 0 <= offsets[0] <= offsets[1]
    ):
        raise InputError(f"tensor {name!r}: bad data_offsets {offsets!r}", path=path, field=name)
    begin, end = offsets
    expected = prod(shape) * DTYPES[dtype][1]
    if end - begin != expected:
        raise InputError(
            f"tensor {name!r}: {end - begin} bytes in the file but shape {shape} × {dtype} "
            f"needs {expected}",
            path=path,
            field=name,
            hint="The file is corrupt; download it again.",
        )
    if end > data_size:
        raise InputError(
            f"tensor {name!r} ends at byte {end} but the file has only {data_size} data "
            "bytes: the file is truncated",
            path=path,
            field=name,
            hint="The download is incomplete; download the file again.",
        )
    return TensorInfo(name, dtype, tuple(shape), data_start + begin, data_start + end)


# -- whole model folders -------------------------------------------------------------
INDEX_NAME = "model.safetensors.index.json"


def weight_files(model_dir: Path) -> list[Path]:
    """The safetensors files of a model folder, in order; checks the index if there is one."""
    model_dir = Path(model_dir)
    index = model_dir / INDEX_NAME
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"cannot read the shard index: {exc}", path=index) from exc
        names = list(dict.fromkeys(weight_map.values()))
        files = [model_dir / n for n in names]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise InputError(
                f"{len(missing)} weight shard(s) listed in the index are missing: "
                + ", ".join(missing[:5]),
                path=index,
                hint="The download is incomplete; download the missing files.",
            )
        return files
    single = model_dir / "model.safetensors"
    if single.is_file():
        return [single]
    return sorted(model_dir.glob("*.safetensors"))


class ModelWeights:
    """All tensors of a (possibly sharded) model folder, by name."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        files = weight_files(self.model_dir)
        if not files:
            raise InputError(
                "no .safetensors weights in this folder",
                path=self.model_dir,
                hint=_no_weights_hint(self.model_dir),
            )
        self.files = [SafetensorsFile(f) for f in files]
        self._where: dict[str, SafetensorsFile] = {}
        for sf in self.files:
            for name in sf.tensors:
                if name in self._where:
                    raise InputError(f"tensor {name!r} appears in two shards", path=sf.path)
                self._where[name] = sf

    def __enter__(self) -> ModelWeights:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for sf in self.files:
            sf.close()

    def names(self) -> list[str]:
        return list(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._where

    def info(self, name: str) -> TensorInfo:
        return self._where[name].tensors[name]

    def read(self, name: str) -> np.ndarray:
        return self._where[name].read(name)

    def infos(self) -> Iterator[TensorInfo]:
        for sf in self.files:
            yield from sf.tensors.values()

    @property
    def total_bytes(self) -> int:
        return sum(i.n_bytes for i in self.infos())


def _no_weights_hint(model_dir: Path) -> str:
    pickles = sorted(p.name for p in model_dir.glob("*.bin")) + sorted(
        p.name for p in model_dir.glob("*.pt*")
    )
    if pickles:
        return (
            f"Found {', '.join(pickles[:3])}: PyTorch pickle checkpoints are not opened "
            "(they can run code). Re-save the model with safetensors "
            "(model.save_pretrained(dir, safe_serialization=True))."
        )
    return "Drop the folder that holds config.json and the *.safetensors files."


# -- bfloat16 helpers ----------------------------------------------------------------
def bf16_to_f32(raw: np.ndarray) -> np.ndarray:
    """Exact widening of raw bf16 bits (uint16) to float32."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 → raw bf16 bits, round-to-nearest-even (as torch does); NaN stays NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = ((bits + (((bits >> 16) & 1) + 0x7FFF)) >> 16).astype(np.uint16)
    nan = np.isnan(values)
    if nan.any():
        rounded = np.where(nan, ((bits >> 16) | 0x40).astype(np.uint16), rounded)
    return rounded


def to_f32(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Any float tensor view → float32 array (a copy; bf16 widened exactly)."""
    if dtype == "BF16":
        return bf16_to_f32(raw)
    return np.asarray(raw, dtype=np.float32)
