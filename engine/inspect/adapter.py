"""Inspect a PEFT LoRA adapter folder: the report of :func:`engine.lora.read_adapter`
(config and tensor headers; no tensor data), plus whether its base is on this machine."""

from __future__ import annotations

from pathlib import Path

from engine.inspect.report import AdapterInfo


def inspect_adapter(adapter_dir: Path) -> tuple[AdapterInfo, list[str]]:
    from engine.lora import read_adapter, resolve_base_locally

    adapter = read_adapter(adapter_dir)
    warnings = [f"cannot be merged: {why}" for why in adapter.unsupported]
    base = adapter.base_model_name_or_path
    found = resolve_base_locally(base, adapter_dir=adapter.adapter_dir) if base else None
    if base and found is None:
        warnings.append(f"base model {base!r} was not found locally; pass --base PATH to merge")
    info = AdapterInfo(
        peft_type=adapter.peft_type,
        base_model=base,
        rank=adapter.r,
        alpha=adapter.lora_alpha,
        target_modules=adapter.target_modules,
        modules_to_save=adapter.modules_to_save,
        use_rslora=adapter.use_rslora,
        use_dora=adapter.use_dora,
        parameters=adapter.parameters,
        disk_bytes=sum(p.stat().st_size for p in Path(adapter_dir).iterdir() if p.is_file()),
        base_found=str(found) if found else None,
    )
    return info, warnings
