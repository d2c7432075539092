"""Open a ``.gguf`` file's header safely (magic check, clear errors) with the ``gguf`` reader.

The reader memory-maps the file; tensor data is not read unless a caller touches it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import InputError, TuneforgeError

GGUF_MAGIC = b"GGUF"


class GGUFHeader:
    """The parsed header of a GGUF file: ``value(key)`` for metadata, ``tensors`` for infos."""

    def __init__(self, path: Path, reader: Any) -> None:
        self.path = path
        self.reader = reader

    def value(self, key: str) -> Any:
        """A metadata value (str, int, float, bool or list), or None when absent."""
        field = self.reader.get_field(key)
        return None if field is None else field.contents()

    def token(self, id_key: str) -> str | None:
        """The text of the token whose id is stored under ``id_key``, if any."""
        token_id = self.value(id_key)
        tokens = self.reader.get_field("tokenizer.ggml.tokens")
        if tokens is None or not isinstance(token_id, int) or not 0 <= token_id < len(tokens.data):
            return None
        return str(tokens.contents(token_id))

    @property
    def tensors(self) -> list[Any]:
        return list(self.reader.tensors)

    @property
    def data_offset(self) -> int:
        return int(self.reader.data_offset)


def open_gguf(
    path: Path, *, error: type[TuneforgeError] = InputError, not_gguf_hint: str | None = None
) -> GGUFHeader:
    """Check the magic bytes and parse the header; problems raise ``error`` naming the file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError as exc:
        raise error("file not found", path=path, hint="Check the path.") from exc
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    if magic != GGUF_MAGIC:
        raise error(
            "not a GGUF file (wrong magic bytes)",
            path=path,
            hint=not_gguf_hint
            or "Drop a .gguf model file, a Hugging Face model folder or a LoRA adapter folder.",
        )
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
    except Exception as exc:  # the reader raises ValueError/IndexError/struct errors
        raise error(
            f"the GGUF file is truncated or corrupt ({type(exc).__name__}: {exc})",
            path=path,
            hint="Create or download the file again.",
        ) from exc
    return GGUFHeader(path, reader)
