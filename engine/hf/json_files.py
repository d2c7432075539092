"""The one JSON reader of a Hugging Face folder: a broken file is an ``InputError``
naming the file and the line, and a Git LFS pointer is recognised as such."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.formats.safetensors import LFS_POINTER_PREFIX, lfs_pointer_error

RESAVE_HINT = "Fix the file, or download it (or copy it from the base model) again."


def read_json(path: Path, *, hint: str = RESAVE_HINT) -> Any:
    """Parse the UTF-8 JSON file ``path`` (a BOM is allowed)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path.name} not found", path=path, hint=hint) from exc
    except OSError as exc:
        raise InputError(
            f"cannot read {path.name}: {exc.strerror or exc}", path=path, hint=hint
        ) from exc
    if raw.startswith(LFS_POINTER_PREFIX):
        raise lfs_pointer_error(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text", path=path, hint=hint) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name}: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            path=path,
            line=exc.lineno,
            hint=hint,
        ) from exc


def read_json_object(path: Path, *, hint: str = RESAVE_HINT) -> dict[str, Any]:
    """Like :func:`read_json`, but the file must hold a JSON object."""
    data = read_json(path, hint=hint)
    if not isinstance(data, dict):
        raise InputError(f"{Path(path).name} must hold a JSON object", path=path, hint=hint)
    return data


def optional_json_object(path: Path, *, hint: str = RESAVE_HINT) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when the file does not exist."""
    return read_json_object(path, hint=hint) if Path(path).is_file() else None
