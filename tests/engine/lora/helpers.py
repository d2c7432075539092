"""Reference results for LoRA tests: real PEFT adapters and PEFT's own merge (torch)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.formats.safetensors import to_f32
from engine.hf.weights import SafetensorsSource
from engine.lora import open_merged_source

IDS = [[1, 17, 42, 99, 5, 120, 77, 3, 64, 200, 11, 150]]


def make_adapter(
    base_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    adapter_dtype: str = "float32",
    **lora_kwargs: Any,
) -> Path:
    """A real PEFT adapter for ``base_dir`` with random non-zero A, B (and copies, rows, biases).

    PEFT initialises B to zero; every trainable tensor is randomised here, including
    ``modules_to_save`` copies and trainable-token rows, so nothing merges to a no-op.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    lora_kwargs.setdefault("r", 8)
    lora_kwargs.setdefault("lora_alpha", 16)
    lora_kwargs.setdefault("lora_dropout", 0.0)
    lora_kwargs.setdefault("task_type", "CAUSAL_LM")
    peft_model = get_peft_model(model, LoraConfig(**lora_kwargs))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in sorted(peft_model.named_parameters(), key=lambda kv: kv[0]):
            if not param.requires_grad:
                continue
            noise = torch.randn(param.shape, generator=gen)
            if "lora_A" in name or "lora_embedding_A" in name:
                param.copy_(noise * 0.05)
            elif "lora_B" in name or "lora_embedding_B" in name:
                param.copy_(noise * 0.02)
            else:  # modules_to_save copies, trainable-token rows, lora biases
                param.add_(noise * 0.02)
    if adapter_dtype != "float32":
        peft_model.to(getattr(torch, adapter_dtype))
    peft_model.save_pretrained(out_dir)
    return Path(out_dir)


@dataclass
class Reference:
    merged: dict[str, np.ndarray]  # raw (BF16 as uint16) tensors of merge_and_unload()
    merged_logits: np.ndarray  # merge_and_unload() model, in the checkpoint dtype
    unmerged_logits: np.ndarray  # the PEFT model as trained (adapter on the fly), float32
    base_logits: np.ndarray  # float32


def peft_reference(base_dir: Path, adapter_dir: Path) -> Reference:
    """PEFT on CPU: the unmerged model's logits, then merge_and_unload() weights and logits.

    The unmerged and base logits are computed in float32 (bf16 weights widen exactly), so
    comparing a merged model with them measures the merge, not bf16 activation noise.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    ids = torch.tensor(IDS)
    with torch.no_grad():
        base32 = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32).eval()
        base_logits = base32(ids).logits.numpy()
        unmerged = PeftModel.from_pretrained(base32, adapter_dir).eval()(ids).logits.numpy()
        base = AutoModelForCausalLM.from_pretrained(base_dir, dtype="auto").eval()
        merged_model = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload().eval()
        merged_logits = merged_model(ids).logits.float().numpy()
    state = {k: torch_raw(v) for k, v in merged_model.state_dict().items()}
    return Reference(state, merged_logits, unmerged, base_logits)


def hf_logits(model_dir: Path, *, float32: bool = False) -> np.ndarray:
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.float32 if float32 else "auto"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
    with torch.no_grad():
        return model(torch.tensor(IDS)).logits.float().numpy()


def torch_raw(tensor: Any) -> np.ndarray:
    import torch

    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(np.uint16)
    return tensor.numpy()


def ours(
    base_dir: Path, adapter_dir: Path, *, exact: bool = True
) -> tuple[dict[str, np.ndarray], Any]:
    """Every tensor of our merged source, and the source itself (closed)."""
    with (
        SafetensorsSource(base_dir) as base,
        open_merged_source(
            base_dir=base_dir, adapter_dir=adapter_dir, base_source=base, exact=exact
        ) as merged,
    ):
        tensors = {name: merged.read(name) for name in merged.names()}
        for name, raw in tensors.items():  # the quantizer's float32 view is the same values
            rows = raw.shape[0] if raw.ndim >= 2 else 1
            values = merged.read_values(name, 0, rows)
            widened = to_f32(raw, merged.info(name).dtype)
            assert values.dtype == np.float32 and values.shape == widened.shape, name
            assert np.array_equal(values.view(np.uint32), widened.view(np.uint32)), name
    return tensors, merged


def ordered(raw: np.ndarray) -> np.ndarray:
    """Raw float bits → integers in the same order as the values (for ulp distances)."""
    if raw.dtype == np.uint16:  # bf16 bits
        bits = raw.astype(np.int64)
        sign = 0x8000
    elif raw.dtype == np.float16:
        bits = raw.view(np.uint16).astype(np.int64)
        sign = 0x8000
    else:
        bits = raw.astype(np.float32).view(np.uint32).astype(np.int64)
        sign = 0x80000000
    return np.where(bits >= sign, sign - bits, bits)


def ulp_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    return np.abs(ordered(a) - ordered(b))


def compare_to_peft(
    mine: dict[str, np.ndarray], ref: dict[str, np.ndarray]
) -> tuple[int, int, list[str]]:
    """(max ulp, number of differing elements, names compared) over shared tensor names."""
    worst, count, names = 0, 0, []
    for name, ours_raw in mine.items():
        if name not in ref:
            continue
        diff = ulp_diff(ours_raw, ref[name])
        worst = max(worst, int(diff.max(initial=0)))
        count += int((diff > 0).sum())
        names.append(name)
    return worst, count, names


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def trained_model_error(logits32: np.ndarray, ref: Reference) -> float:
    """How far float32 logits are from the trained (unmerged) PEFT model, relative to how far
    the base model is from it: ~0 is the trained model, 1 is as far off as no adapter."""
    return rel_err(logits32, ref.unmerged_logits) / rel_err(ref.base_logits, ref.unmerged_logits)
