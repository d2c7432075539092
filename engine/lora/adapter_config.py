"""Read ``adapter_config.json``: the file itself, its typed fields, and the adapter kinds
(DoRA, residual initialisations, …) whose merge is not implemented.

:func:`engine.lora.adapter.read_adapter` builds :class:`~engine.lora.adapter.AdapterInfo`
from these; nothing here reads tensors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.hf import ADAPTER_CONFIG, read_json_object
from engine.lora.errors import AdapterError

# Config switches that change what a merge must compute; any of them set → refuse.
_VARIANT_SWITCHES: tuple[tuple[str, str], ...] = (
    ("use_dora", "DoRA (use_dora)"),
    ("use_qalora", "QA-LoRA (use_qalora)"),
    ("use_bdlora", "BD-LoRA (use_bdlora)"),
    ("velora_config", "VeLoRA (velora_config)"),
    ("alora_invocation_tokens", "activated LoRA (alora_invocation_tokens)"),
    ("arrow_config", "Arrow routing (arrow_config)"),
    ("kasa_config", "KaSA (kasa_config)"),
    ("monteclora_config", "MonteCLoRA (monteclora_config)"),
    ("layer_replication", "layer replication (layer_replication)"),
    ("target_parameters", "LoRA on raw parameters (target_parameters)"),
    ("megatron_config", "Megatron parallel layers (megatron_config)"),
)
# Initialisations that rewrite the base weights: the adapter needs that residual base.
_RESIDUAL_INITS = ("pissa", "olora", "corda", "loftq", "lora_ga")


def unsupported_kinds(config: Mapping[str, Any]) -> tuple[str, ...]:
    """Why the config alone makes the adapter unmergeable (empty: nothing found)."""
    reasons: list[str] = []
    peft_type = str(config.get("peft_type") or "LORA").upper()
    if peft_type != "LORA":
        reasons.append(f"it is a {peft_type} adapter, not LoRA")
    for switch, label in _VARIANT_SWITCHES:
        if config.get(switch):
            reasons.append(f"{label} is not implemented")
    init = str(config.get("init_lora_weights", True)).lower()
    if init.startswith(_RESIDUAL_INITS):
        reasons.append(
            f"init_lora_weights={config.get('init_lora_weights')!r} adapters belong to a rewritten "
            "(residual) base model; convert the adapter with PEFT's "
            "path_initial_model_for_weight_conversion first"
        )
    return tuple(reasons)


def read_config(adapter_dir: Path) -> dict[str, Any]:
    path = adapter_dir / ADAPTER_CONFIG
    if not adapter_dir.is_dir():
        raise AdapterError("adapter folder not found", path=adapter_dir)
    if not path.is_file():
        raise AdapterError(
            f"{ADAPTER_CONFIG} is missing: this is not a PEFT adapter folder",
            path=adapter_dir,
            hint="Drop the folder that holds adapter_config.json and adapter_model.safetensors "
            "(LLaMA-Factory: saves/<model>/lora/<run>; a checkpoint-N subfolder works too).",
        )
    try:
        return read_json_object(path)
    except InputError as exc:
        raise AdapterError(
            f"cannot read {ADAPTER_CONFIG}: {exc.message}", path=path, line=exc.line, hint=exc.hint
        ) from exc


def token_indices(value: Any) -> dict[str, tuple[int, ...]]:
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k): tuple(int(i) for i in v) for k, v in value.items()}
    return {"embed_tokens": tuple(int(i) for i in value)}


def opt_str(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def int_field(config: Mapping[str, Any], key: str, default: int, adapter_dir: Path) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise AdapterError(
            f"{key} must be a positive integer, not {value!r}",
            path=adapter_dir / ADAPTER_CONFIG,
            field=key,
        )
    return value


def float_field(config: Mapping[str, Any], key: str, default: float, adapter_dir: Path) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AdapterError(
            f"{key} must be a number, not {value!r}",
            path=adapter_dir / ADAPTER_CONFIG,
            field=key,
        )
    return float(value)


__all__ = [
    "float_field",
    "int_field",
    "opt_str",
    "read_config",
    "token_indices",
    "unsupported_kinds",
]
