"""Reading GGUF files back for assertions (with the gguf package's reader)."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFReader, GGUFValueType


@dataclass
class GGUFContents:
    keys: dict[str, tuple[str, Any]]  # key → (type name, value); arrays as lists
    # name → (ggml type name, ggml shape, raw data)
    tensors: dict[str, tuple[str, tuple[int, ...], np.ndarray]]
    order: list[str]


def _field_value(field: Any) -> tuple[str, Any]:
    first = field.types[0]
    if first == GGUFValueType.ARRAY:
        sub = field.types[-1]
        if sub == GGUFValueType.STRING:
            items: list[Any] = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        else:
            items = [field.parts[i].tolist()[0] for i in field.data]
        return f"ARRAY[{sub.name}]", items
    if first == GGUFValueType.STRING:
        return "STRING", bytes(field.parts[-1]).decode("utf-8")
    return first.name, field.parts[-1].tolist()[0]


def read_gguf(path: Path) -> GGUFContents:
    reader = GGUFReader(path)
    keys = {
        f.name: _field_value(f) for f in reader.fields.values() if not f.name.startswith("GGUF.")
    }
    tensors = {
        t.name: (t.tensor_type.name, tuple(int(x) for x in t.shape), np.array(t.data))
        for t in reader.tensors
    }
    order = [t.name for t in reader.tensors]
    del reader
    return GGUFContents(keys, tensors, order)


def rewrite_safetensors_header(path: Path, edit: Callable[[dict], None]) -> None:
    """Edit a safetensors file's JSON header in place (the tensor data stays as it is)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    edit(header)
    new = json.dumps(header).encode("utf-8")
    path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n :])
