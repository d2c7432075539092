"""Device, compute type, and the base model with its LoRA adapter (torch imported lazily)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.jobs import JobContext
from engine.train.errors import QLoRAUnsupported, TrainSettingsError, TrainStackMissing
from engine.train.spec import TrainSpec


@dataclass(frozen=True, kw_only=True)
class Placement:
    device: str  # "cuda" | "cpu"
    compute: str  # "bf16" | "fp16" | "fp32"


def choose_placement(spec: TrainSpec, ctx: JobContext) -> Placement:
    import torch

    cuda = torch.cuda.is_available()
    if spec.device == "cuda" and not cuda:
        raise TrainSettingsError("--device cuda: no CUDA GPU is visible to PyTorch", field="device",
                                 hint="Install a CUDA build of torch, or use --device cpu (slow).")  # fmt: skip
    device = "cuda" if spec.device == "cuda" or (spec.device == "auto" and cuda) else "cpu"
    if spec.qlora and device != "cuda":
        raise QLoRAUnsupported("QLoRA (4-bit) needs a CUDA GPU with bitsandbytes; this run is on the CPU",
                               hint="Drop --qlora to train a LoRA in full precision.")  # fmt: skip
    compute = spec.compute
    if device == "cpu":
        if compute not in ("auto", "fp32"):
            ctx.warn(f"{compute} is not used on the CPU; training in fp32")
        compute = "fp32"
        ctx.warn("training on the CPU: this is slow and meant for tiny models and tests")
    elif compute == "auto":
        compute = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    elif compute == "bf16" and not torch.cuda.is_bf16_supported():
        raise TrainSettingsError("this GPU has no bf16; use --compute fp16 (loss scaling) or fp32",
                                 field="compute")  # fmt: skip
    return Placement(device=device, compute=compute)


def torch_dtype(compute: str) -> Any:
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[compute]


def load_model(spec: TrainSpec, placement: Placement, ctx: JobContext) -> Any:
    """The base model with a fresh LoRA adapter (trainable adapter weights in fp32)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {
        "dtype": torch_dtype(placement.compute),
        "attn_implementation": spec.attn,
    }
    if spec.qlora:
        if importlib.util.find_spec("bitsandbytes") is None:
            raise TrainStackMissing("QLoRA needs bitsandbytes (not installed)",
                                    hint="pip install bitsandbytes, or drop --qlora")  # fmt: skip
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch_dtype("bf16" if placement.compute == "bf16" else "fp16"),
        )  # fmt: skip
        kwargs["device_map"] = {"": 0}
    ctx.log(f"loading {Path(spec.base).name} ({placement.device}, {placement.compute})")
    model: Any  # a transformers model, then the PEFT model around it
    try:
        model = AutoModelForCausalLM.from_pretrained(str(spec.base), **kwargs)
    except (ValueError, ImportError) as exc:
        if spec.attn != "eager" and "attn" in str(exc).lower():
            kwargs["attn_implementation"] = "eager"
            model = AutoModelForCausalLM.from_pretrained(str(spec.base), **kwargs)
        else:
            raise
    if not spec.qlora:
        model.to(placement.device)
    model.config.use_cache = False
    _maybe_liger(model, spec, placement, ctx)
    if spec.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=spec.gradient_checkpointing
        )
    elif spec.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    lora: dict[str, Any] = {  # peft annotates lora_alpha as int; a float alpha works as well
        "r": spec.lora_rank,
        "lora_alpha": spec.alpha,
        "lora_dropout": spec.lora_dropout,
        "target_modules": spec.target_modules(),
        "use_rslora": spec.rslora,
        "task_type": "CAUSAL_LM",
    }
    config = LoraConfig(**lora)
    try:
        model = get_peft_model(model, config)
    except ValueError as exc:
        raise TrainSettingsError(f"--lora-targets: {exc}", field="lora_targets") from exc
    for param in model.parameters():
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    ctx.log(
        f"LoRA rank {spec.lora_rank}, alpha {spec.alpha:g}: {trainable:,} trainable of {total:,} parameters"
    )
    return model


def _maybe_liger(model: Any, spec: TrainSpec, placement: Placement, ctx: JobContext) -> None:
    """Liger's Triton kernels for RMSNorm, SwiGLU and RoPE (same arithmetic, fewer kernel
    launches and less activation memory). The loss stays ours (logits only where learned)."""
    if (
        spec.liger != "auto"
        or placement.device != "cuda"
        or importlib.util.find_spec("liger_kernel") is None
    ):
        return
    try:
        from liger_kernel.transformers.monkey_patch import _apply_liger_kernel_to_instance

        _apply_liger_kernel_to_instance(model=model, rope=True, rms_norm=True, swiglu=True,
                                        cross_entropy=False, fused_linear_cross_entropy=False)  # fmt: skip
        ctx.log("Liger kernels: RMSNorm, SwiGLU, RoPE")
    except Exception as exc:  # an optional speed-up never stops a run
        ctx.warn(f"Liger kernels not used: {type(exc).__name__}: {exc}")
