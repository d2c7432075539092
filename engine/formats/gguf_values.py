"""Encoding GGUF metadata values (the bytes that follow a key in the header).

Scalars are ``str``/``bytes`` (STRING), ``bool``, ``int``, ``float`` or numpy scalars;
arrays are lists/tuples or 1-D numpy arrays. See :mod:`engine.formats.gguf_write` for
the inference rules.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from gguf import GGUFValueType


class GGUFValueError(ValueError):
    """A metadata value that cannot be stored (a programming error)."""


V = GGUFValueType
_SCALAR_FORMATS: dict[GGUFValueType, str] = {
    V.UINT8: "<B",
    V.INT8: "<b",
    V.UINT16: "<H",
    V.INT16: "<h",
    V.UINT32: "<I",
    V.INT32: "<i",
    V.FLOAT32: "<f",
    V.BOOL: "<?",
    V.UINT64: "<Q",
    V.INT64: "<q",
    V.FLOAT64: "<d",
}
_NUMPY_TYPES: dict[GGUFValueType, str] = {
    V.UINT8: "<u1",
    V.INT8: "<i1",
    V.UINT16: "<u2",
    V.INT16: "<i2",
    V.UINT32: "<u4",
    V.INT32: "<i4",
    V.FLOAT32: "<f4",
    V.BOOL: "?",
    V.UINT64: "<u8",
    V.INT64: "<i8",
    V.FLOAT64: "<f8",
}


def _type_of_dtype(dtype: np.dtype[Any]) -> GGUFValueType:
    for value_type, spec in _NUMPY_TYPES.items():
        if np.dtype(spec) == dtype:
            return value_type
    raise GGUFValueError(f"no GGUF type for numpy dtype {dtype}")


def string_bytes(value: str | bytes) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return struct.pack("<Q", len(raw)) + raw


def _infer_scalar(value: Any) -> GGUFValueType:
    if isinstance(value, (str, bytes, bytearray)):
        return V.STRING
    if isinstance(value, (bool, np.bool_)):
        return V.BOOL
    if isinstance(value, np.generic):
        return _type_of_dtype(value.dtype)
    if isinstance(value, int):
        return V.UINT32 if 0 <= value < 2**32 else V.INT64
    if isinstance(value, float):
        return V.FLOAT32
    raise GGUFValueError(f"cannot infer a GGUF type for {type(value).__name__}")


def _encode_scalar(value: Any, value_type: GGUFValueType) -> bytes:
    if value_type == V.STRING:
        return string_bytes(value)
    fmt = _SCALAR_FORMATS.get(value_type)
    if fmt is None:
        raise GGUFValueError(f"{value_type.name} is not a scalar type")
    return struct.pack(fmt, value)


def _encode_array(value: Any, sub_type: GGUFValueType | None) -> bytes:
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise GGUFValueError("array metadata must be 1-D")
        if sub_type is None:
            sub_type = V.STRING if value.dtype.kind in "US" else _type_of_dtype(value.dtype)
        if sub_type == V.STRING:
            return _encode_array([str(v) for v in value.tolist()], V.STRING)
        data = np.ascontiguousarray(value, dtype=_NUMPY_TYPES[sub_type]).tobytes()
        return struct.pack("<IQ", int(sub_type), len(value)) + data
    items = list(value)
    if sub_type is None:
        if not items:
            sub_type = V.INT32
        else:
            first = items[0]
            sub_type = (
                V.INT32
                if isinstance(first, int) and not isinstance(first, bool)
                else _infer_scalar(first)
            )
    if sub_type == V.ARRAY:
        raise GGUFValueError("nested arrays are not supported")
    if sub_type == V.STRING:
        parts = [struct.pack("<IQ", int(V.STRING), len(items))]
        parts.extend(string_bytes(item) for item in items)
        return b"".join(parts)
    data = np.asarray(items, dtype=_NUMPY_TYPES[sub_type]).tobytes()
    return struct.pack("<IQ", int(sub_type), len(items)) + data


def encode_value(
    value: Any, value_type: GGUFValueType | None = None, sub_type: GGUFValueType | None = None
) -> tuple[GGUFValueType, bytes]:
    """(type, payload bytes) of one metadata value, as stored after its key."""
    is_sequence = isinstance(value, (list, tuple, np.ndarray))
    if is_sequence:
        if value_type is not None and value_type != V.ARRAY:
            sub_type = value_type if sub_type is None else sub_type
        return V.ARRAY, _encode_array(value, sub_type)
    if value_type == V.ARRAY:
        raise GGUFValueError("value_type ARRAY needs a list, tuple or numpy array")
    value_type = value_type if value_type is not None else _infer_scalar(value)
    if isinstance(value, np.generic):
        value = value.item()
    return value_type, _encode_scalar(value, value_type)
