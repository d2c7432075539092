"""Read a SentencePiece ``tokenizer.model`` without the sentencepiece library.

The file is a protobuf ``ModelProto``. We only need a few fields, so a tiny
wire-format reader is enough (and keeps torch/sentencepiece out of the engine):

- ``pieces`` (field 1, repeated message): ``piece`` (1, string), ``score`` (2, float),
  ``type`` (3, enum: 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte —
  the same numbers GGUF uses for token types);
- ``trainer_spec`` (2): ``model_type`` (3: 1 unigram, 2 bpe, 3 word, 4 char),
  ``byte_fallback`` (35), ``unk_id``/``bos_id``/``eos_id``/``pad_id`` (40–43, int32);
- ``normalizer_spec`` (3): ``name`` (1), ``add_dummy_prefix`` (3),
  ``remove_extra_whitespaces`` (4), ``escape_whitespaces`` (5).

Unknown fields are skipped, as protobuf requires.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError

MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


@dataclass(frozen=True, kw_only=True)
class SentencePiece:
    piece: str
    score: float
    type: int  # 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte


@dataclass(frozen=True, kw_only=True)
class SentencePieceModel:
    pieces: tuple[SentencePiece, ...]
    model_type: str  # "unigram", "bpe", "word", "char"
    byte_fallback: bool
    unk_id: int
    bos_id: int
    eos_id: int
    pad_id: int
    normalizer_name: str
    add_dummy_prefix: bool
    remove_extra_whitespaces: bool
    escape_whitespaces: bool


class _WireError(ValueError):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise _WireError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _WireError("varint too long")


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split one message into ``(field_number, wire_type, value)`` triples."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _FIXED64:
            value, pos = int.from_bytes(buf[pos : pos + 8], "little"), pos + 8
        elif wire == _LENGTH:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire == _FIXED32:
            value, pos = int.from_bytes(buf[pos : pos + 4], "little"), pos + 4
        else:  # groups (3, 4) are not used by sentencepiece
            raise _WireError(f"unsupported wire type {wire}")
        if pos > end:
            raise _WireError("truncated field")
        out.append((number, wire, value))
    return out


def _int32(value: int) -> int:
    """Protobuf encodes negative int32 as a 64-bit two's complement varint."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _piece(buf: bytes) -> SentencePiece:
    text, score, kind = "", 0.0, 1
    for number, wire, value in _fields(buf):
        if number == 1 and wire == _LENGTH and isinstance(value, bytes):
            text = value.decode("utf-8")
        elif number == 2 and wire == _FIXED32 and isinstance(value, int):
            score = struct.unpack("<f", value.to_bytes(4, "little"))[0]
        elif number == 3 and wire == _VARINT and isinstance(value, int):
            kind = value
    return SentencePiece(piece=text, score=score, type=kind)


def parse_sentencepiece_model(data: bytes) -> SentencePieceModel:
    """Parse the bytes of a ``tokenizer.model``; raises ``ValueError`` on malformed input."""
    pieces: list[SentencePiece] = []
    trainer: dict[int, int] = {}
    normalizer: dict[int, int | bytes] = {}
    for number, wire, value in _fields(data):
        if wire != _LENGTH or not isinstance(value, bytes):
            continue
        if number == 1:
            pieces.append(_piece(value))
        elif number == 2:
            trainer.update(
                {n: v for n, w, v in _fields(value) if w == _VARINT and isinstance(v, int)}
            )
        elif number == 3:
            normalizer.update({n: v for n, _w, v in _fields(value)})
    if not pieces:
        raise _WireError("no pieces")
    name = normalizer.get(1, b"")
    return SentencePieceModel(
        pieces=tuple(pieces),
        model_type=MODEL_TYPES.get(trainer.get(3, 1), "unknown"),
        byte_fallback=bool(trainer.get(35, 0)),
        unk_id=_int32(trainer.get(40, 0)),
        bos_id=_int32(trainer.get(41, 1)),
        eos_id=_int32(trainer.get(42, 2)),
        pad_id=_int32(trainer.get(43, -1)),
        normalizer_name=name.decode("utf-8", "replace") if isinstance(name, bytes) else "",
        add_dummy_prefix=bool(normalizer.get(3, 1)),
        remove_extra_whitespaces=bool(normalizer.get(4, 1)),
        escape_whitespaces=bool(normalizer.get(5, 1)),
    )


def read_sentencepiece_model(path: Path) -> SentencePieceModel:
    """Read ``tokenizer.model``; a broken file is an :class:`InputError` naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read {path.name}: {exc.strerror or exc}",
            path=path,
            hint="Check that the file exists and is readable.",
        ) from exc
    try:
        return parse_sentencepiece_model(data)
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise InputError(
            f"{path.name} is not a valid SentencePiece model ({exc})",
            path=path,
            hint="Copy tokenizer.model again from the base model, or delete it if "
            "tokenizer.json is present (Tuneforge can use tokenizer.json alone).",
        ) from exc
