"""The GGUF file types Tuneforge writes (``--type``), read from ``filetypes.json``.

A *file type* (llama.cpp's ``llama_ftype``, e.g. Q4_K_M = 15) is a recipe: most
weight matrices get its ``default_type`` (a ggml tensor type such as Q4_K) and
:mod:`engine.quant.plan` decides the exceptions per tensor. ``general.file_type``
in the written GGUF is ``FileType.ftype``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from gguf import GGMLQuantizationType

from engine.quant.errors import UnknownFileTypeError

UNQUANTIZED_TYPES = frozenset(
    {GGMLQuantizationType.F32, GGMLQuantizationType.F16, GGMLQuantizationType.BF16}
)


@dataclass(frozen=True, kw_only=True)
class FileType:
    """One entry of the quant picker / ``--type`` choices."""

    name: str  # canonical spelling, e.g. "Q4_K_M"
    ftype: int  # llama_ftype number, written as general.file_type
    default_type: GGMLQuantizationType
    bits_per_weight: float  # rough average for a 7-8B model, for display only
    description: str
    recommendation: str
    aliases: tuple[str, ...] = ()

    @property
    def is_quantized(self) -> bool:
        """False for F32/F16/BF16 (no per-tensor mixing rules apply)."""
        return self.default_type not in UNQUANTIZED_TYPES


def _load() -> tuple[dict[str, FileType], str]:
    text = resources.files("engine.quant").joinpath("filetypes.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    table: dict[str, FileType] = {}
    for entry in data["file_types"]:
        file_type = FileType(
            name=entry["name"],
            ftype=int(entry["ftype"]),
            default_type=GGMLQuantizationType[entry["default_type"]],
            bits_per_weight=float(entry["bits_per_weight"]),
            description=entry["description"],
            recommendation=entry["recommendation"],
            aliases=tuple(entry.get("aliases", ())),
        )
        table[file_type.name] = file_type
    return table, str(data["recommended"])


@dataclass(frozen=True, kw_only=True)
class SizeAdvice:
    """One row of ``by_model_size``: models up to ``up_to_params`` (None: any) get ``type``."""

    up_to_params: int | None
    models: str  # the same limit in words: "up to about 2B"
    type: str
    reason: str


@lru_cache(maxsize=1)
def size_advice() -> tuple[SizeAdvice, ...]:
    text = resources.files("engine.quant").joinpath("filetypes.json").read_text(encoding="utf-8")
    rows = json.loads(text)["by_model_size"]
    return tuple(
        SizeAdvice(
            up_to_params=None if row["up_to_params"] is None else int(row["up_to_params"]),
            models=str(row["models"]),
            type=str(row["type"]),
            reason=str(row["reason"]),
        )
        for row in rows
    )


@lru_cache(maxsize=1)
def _table() -> tuple[MappingProxyType[str, FileType], str]:
    table, recommended = _load()
    return MappingProxyType(table), recommended


FILE_TYPES: MappingProxyType[str, FileType] = _table()[0]
RECOMMENDED_FILE_TYPE: str = _table()[1]


def parse_file_type(text: str) -> FileType:
    """``"q4_k_m"`` → the Q4_K_M :class:`FileType` (case-insensitive; aliases such as Q4_K too).

    Raises :class:`UnknownFileTypeError` listing the valid names.
    """
    wanted = text.strip().upper().replace("-", "_")
    for file_type in FILE_TYPES.values():
        if wanted == file_type.name or wanted in file_type.aliases:
            return file_type
    raise UnknownFileTypeError(
        f"unknown GGUF type {text!r}",
        field="type",
        hint=f"Choose one of: {', '.join(FILE_TYPES)} (not case-sensitive). "
        f"If unsure, use {RECOMMENDED_FILE_TYPE}.",
        valid=list(FILE_TYPES),
    )


def file_type_by_ftype(ftype: int) -> FileType | None:
    """The table entry for a ``general.file_type`` number, or None if we don't write it."""
    for file_type in FILE_TYPES.values():
        if file_type.ftype == ftype:
            return file_type
    return None
