"""Inspect a PEFT LoRA adapter folder (config and tensor headers only)."""

from __future__ import annotations

from pathlib import Path

from engine.errors import InputError
from engine.formats.safetensors import SafetensorsFile, lfs_pointer_error, looks_like_lfs_pointer
from engine.inspect.hf_model import read_json
from engine.inspect.report import AdapterInfo

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def inspect_adapter(adapter_dir: Path) -> tuple[AdapterInfo, list[str]]:
    warnings: list[str] = []
    config_path = adapter_dir / ADAPTER_CONFIG
    config = read_json(config_path)
    weights = adapter_dir / ADAPTER_WEIGHTS
    if not weights.is_file():
        if (adapter_dir / "adapter_model.bin").is_file():
            raise InputError(
                "the adapter weights are a PyTorch pickle (adapter_model.bin), which Tuneforge "
                "never opens because loading a pickle can run arbitrary code",
                path=adapter_dir / "adapter_model.bin",
                hint="Re-save the adapter with safetensors: "
                "model.save_pretrained(dir, safe_serialization=True) in PEFT, "
                "or export from LLaMA-Factory with save_safetensors enabled.",
            )
        raise InputError(
            f"{ADAPTER_WEIGHTS} is missing next to {ADAPTER_CONFIG}",
            path=adapter_dir,
            hint="Copy the whole adapter folder from the training output.",
        )
    if looks_like_lfs_pointer(weights):
        raise lfs_pointer_error(weights)
    with SafetensorsFile(weights) as sf:
        parameters = sum(t.n_elements for t in sf.tensors.values())

    peft_type = str(config.get("peft_type", "LORA")).upper()
    if peft_type != "LORA":
        warnings.append(f"{peft_type} adapters cannot be merged; only LoRA is supported")
    use_dora = bool(config.get("use_dora", False))
    if use_dora:
        warnings.append("DoRA adapters cannot be merged yet")
    targets = config.get("target_modules") or ()
    if isinstance(targets, str):  # a regex in PEFT
        targets = (targets,)
    info = AdapterInfo(
        peft_type=peft_type,
        base_model=config.get("base_model_name_or_path"),
        rank=config.get("r"),
        alpha=config.get("lora_alpha"),
        target_modules=tuple(sorted(str(t) for t in targets)),
        modules_to_save=tuple(str(m) for m in (config.get("modules_to_save") or ())),
        use_rslora=bool(config.get("use_rslora", False)),
        use_dora=use_dora,
        parameters=parameters,
        disk_bytes=sum(p.stat().st_size for p in adapter_dir.iterdir() if p.is_file()),
        base_found=_local_base(adapter_dir, config.get("base_model_name_or_path")),
    )
    if info.base_model and not info.base_found:
        warnings.append(
            f"base model {info.base_model!r} was not found locally; pass --base PATH to merge"
        )
    return info, warnings


def _local_base(adapter_dir: Path, base: object) -> str | None:
    if not isinstance(base, str) or not base:
        return None
    candidate = Path(base)
    if not candidate.is_absolute():
        candidate = (adapter_dir / candidate).resolve()
    if (candidate / "config.json").is_file():
        return str(candidate)
    try:
        from engine.lora import resolve_base_locally
    except ImportError:
        return None
    found = resolve_base_locally(base)
    return str(found) if found else None
