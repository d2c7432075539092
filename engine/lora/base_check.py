"""Does this base model fit the adapter? Architecture family, recorded base name, and the
error that lists what does not fit (used by :mod:`engine.lora.plan` and :mod:`engine.lora.merge`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.lora.adapter import AdapterInfo
from engine.lora.errors import AdapterMismatchError


def architecture_of(config: Mapping[str, Any]) -> str | None:
    archs = config.get("architectures")
    return str(archs[0]) if isinstance(archs, list) and archs else None


def family(arch: str) -> str:
    for suffix in ("ForConditionalGeneration", "ForCausalLM", "LMHeadModel", "Model"):
        arch = arch.removesuffix(suffix)
    return arch.lower()


def check_architecture(adapter: AdapterInfo, base_config: Mapping[str, Any]) -> None:
    """The base's architecture must be the family the adapter was trained on (when recorded)."""
    base_arch = architecture_of(base_config)
    recorded = adapter.base_model_class
    if base_arch and recorded and family(base_arch) != family(recorded):
        raise AdapterMismatchError(
            f"the adapter was trained on a {recorded} model but the base is {base_arch}",
            path=adapter.adapter_dir,
            field="auto_mapping.base_model_class",
            hint=base_hint(adapter),
        )


def mismatch_error(
    adapter: AdapterInfo, base_config: Mapping[str, Any], problems: list[str]
) -> AdapterMismatchError:
    arch = architecture_of(base_config) or "unknown architecture"
    shown = "; ".join(problems[:3]) + (f"; … {len(problems) - 3} more" if len(problems) > 3 else "")
    return AdapterMismatchError(
        f"the adapter does not fit this base model ({arch}): {shown}",
        path=adapter.adapter_dir,
        hint=base_hint(adapter),
        problems=problems[:50],
    )


def base_hint(adapter: AdapterInfo) -> str:
    recorded = adapter.base_model_name_or_path
    if recorded:
        return f"The adapter records its base as {recorded!r}; pass that model with --base."
    return "Pass the exact base model the adapter was trained on with --base."


def name_warnings(adapter: AdapterInfo, base_config: Mapping[str, Any]) -> list[str]:
    recorded = (adapter.base_model_name_or_path or "").replace("\\", "/").rstrip("/")
    base_name = str(base_config.get("_name_or_path") or "").replace("\\", "/").rstrip("/")
    if (
        recorded
        and base_name
        and recorded.split("/")[-1].lower() != base_name.split("/")[-1].lower()
    ):
        return [f"the adapter was trained on {recorded!r}; the base folder says {base_name!r}"]
    return []


__all__ = [
    "architecture_of",
    "base_hint",
    "check_architecture",
    "family",
    "mismatch_error",
    "name_warnings",
]
