"""The ``general.*`` keys: architecture, name, size label, and the sampling defaults
from ``generation_config.json`` (``general.sampling.*``, as llama.cpp's converter writes
them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gguf
from gguf import GGUFValueType

from engine.convert.arch.base import MetadataKey

G = gguf.Keys.General
F32, I32 = GGUFValueType.FLOAT32, GGUFValueType.INT32
# generation_config.json field(s), first found wins → GGUF key and type
_SAMPLING: tuple[tuple[tuple[str, ...], str, GGUFValueType], ...] = (
    (("sequence",), G.SAMPLING_SEQUENCE, GGUFValueType.STRING),
    (("top_k",), G.SAMPLING_TOP_K, I32),
    (("top_p",), G.SAMPLING_TOP_P, F32),
    (("min_p",), G.SAMPLING_MIN_P, F32),
    (("xtc_probability",), G.SAMPLING_XTC_PROBABILITY, F32),
    (("xtc_threshold",), G.SAMPLING_XTC_THRESHOLD, F32),
    (("temperature",), G.SAMPLING_TEMP, F32),
    (("penalty_last_n",), G.SAMPLING_PENALTY_LAST_N, I32),
    (("penalty_repeat", "repetition_penalty"), G.SAMPLING_PENALTY_REPEAT, F32),
    (("mirostat",), G.SAMPLING_MIROSTAT, I32),
    (("mirostat_tau",), G.SAMPLING_MIROSTAT_TAU, F32),
    (("mirostat_eta",), G.SAMPLING_MIROSTAT_ETA, F32),
)


def general_keys(
    *, arch: str, name: str, n_params: int, generation_config: Mapping[str, Any]
) -> list[MetadataKey]:
    keys: list[MetadataKey] = [
        (G.ARCHITECTURE, arch, GGUFValueType.STRING),
        (G.TYPE, "model", GGUFValueType.STRING),
        (G.NAME, name, GGUFValueType.STRING),
        (G.SIZE_LABEL, gguf.size_label(n_params, n_params, 0, 0), GGUFValueType.STRING),
    ]
    keys.extend(sampling_keys(generation_config))
    return keys


def sampling_keys(config: Mapping[str, Any]) -> list[MetadataKey]:
    """``general.sampling.*`` from generation_config.json (:attr:`HFFolder.generation_config`;
    a broken file reads as empty there: it only holds defaults)."""
    keys: list[MetadataKey] = []
    for fields, key, value_type in _SAMPLING:
        value = next((config[f] for f in fields if config.get(f) is not None), None)
        if value is None or isinstance(value, bool):
            continue
        if (value_type == GGUFValueType.STRING and isinstance(value, str)) or (
            value_type == I32 and isinstance(value, int)
        ):
            keys.append((key, value, value_type))
        elif value_type == F32 and isinstance(value, (int, float)):
            keys.append((key, float(value), value_type))
    return keys
