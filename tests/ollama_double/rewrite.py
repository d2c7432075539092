"""The blob rewrite of Ollama ≥ 0.30's create: the uploaded GGUF is passed through
``llama-quantize`` (type ``COPY``) and stored under a new digest.

Followed from ``server/create.go`` (createModel → ``copyLayerWithLlamaQuantize`` →
``rewriteLayerWithLlamaQuantize``: progress "validating GGUF model", then
"verifying conversion", then ``manifest.NewLayer`` on the rewritten file, whose status is
"creating new layer sha256:…" or "using existing layer sha256:…"), read at v0.32.15.
A real 0.32.15 did not stream "validating GGUF model" for small files (issue 19), so the
double does not either.

Guess: what llama-quantize changes. llama.cpp's ``llama-quant.cpp`` copies every key and
sets ``general.quantization_version`` (and ``general.file_type``); the double sets
``general.quantization_version = 2`` (appended when absent, or rewritten in place) and
re-aligns the tensor data. The result is still a GGUF that llama.cpp loads, with a
different digest, as seen on a real server.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

_KEY = b"general.quantization_version"
_U32 = 4  # GGUFValueType.UINT32
_QUANT_VERSION = 2


def rewritten_gguf(path: Path) -> bytes:
    """The bytes llama-quantize COPY would store for the GGUF at ``path`` (see the guess)."""
    import gguf

    reader = gguf.GGUFReader(path)
    raw = path.read_bytes()
    kv = [f for name, f in reader.fields.items() if not name.startswith("GGUF.")]
    kv_start = reader.fields["GGUF.kv_count"].offset + 8
    tensor_fields = [t.field for t in reader.tensors]
    info_start = tensor_fields[0].offset if tensor_fields else _end(kv[-1]) if kv else kv_start
    info_end = _end(tensor_fields[-1]) if tensor_fields else info_start
    data_start = reader.data_offset
    alignment_field = reader.fields.get("general.alignment")
    alignment = int(alignment_field.contents()) if alignment_field is not None else 32

    kv_bytes = raw[kv_start:info_start]
    n_kv = len(kv)
    existing = reader.fields.get(_KEY.decode())
    if existing is None:
        kv_bytes += struct.pack("<Q", len(_KEY)) + _KEY + struct.pack("<II", _U32, _QUANT_VERSION)
        n_kv += 1
    else:
        value_at = existing.offset + 8 + len(_KEY) + 4 - kv_start
        kv_bytes = (
            kv_bytes[:value_at] + struct.pack("<I", _QUANT_VERSION) + kv_bytes[value_at + 4 :]
        )
    header = raw[:4] + raw[4:8] + struct.pack("<QQ", len(reader.tensors), n_kv)
    head = header + kv_bytes + raw[info_start:info_end]
    head += b"\0" * (-len(head) % alignment)
    return head + raw[data_start:]


def _end(field: object) -> int:
    parts = field.parts  # type: ignore[attr-defined]
    return int(field.offset) + sum(int(p.nbytes) for p in parts)  # type: ignore[attr-defined]


def digest_of(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()
