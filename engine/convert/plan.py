"""The tensor plan: every GGUF tensor, its shape, where its data comes from and how.

Built from safetensors headers and ``config.json`` alone (no tensor data is read),
checked up front (unknown names, unsupported dtypes, missing layers) so a bad input
fails before anything is written. Ordered the way llama.cpp's loader visits
tensors (non-block tensors sorted by name, then ``blk.0.*``, ``blk.1.*`` …), which
is also the order ``llama_model_quantize`` writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod

import numpy as np

from engine.convert.arch.base import IDENTITY, Architecture, GeneratedTensor, TensorTransform
from engine.convert.config import ModelConfig
from engine.convert.source import TensorSource
from engine.errors import InputError, UnsupportedError

FLOAT_DTYPES = ("BF16", "F16", "F32", "F64")
_BLOCK = re.compile(r"blk\.(\d+)\.")


@dataclass(frozen=True, eq=False)
class OutputTensor:
    """One tensor of the output file."""

    name: str  # GGUF name
    shape: tuple[int, ...]  # numpy order, after the transform
    dtype: str  # as stored: "BF16", "F16", "F32", "F64"
    source_name: str | None = None  # Hugging Face name; None for generated tensors
    transform: TensorTransform = IDENTITY
    values: np.ndarray | None = None  # generated tensors (float32)

    @property
    def n_dims(self) -> int:
        return len(self.shape)

    @property
    def n_elements(self) -> int:
        return prod(self.shape)

    @property
    def n_rows(self) -> int:
        """Rows the data streams in (a 1-D tensor is one row)."""
        return self.shape[0] if len(self.shape) >= 2 else 1

    @property
    def row_alignment(self) -> int:
        """Row blocks must start at multiples of this (a whole head for the q/k un-permute)."""
        heads = self.transform.unpermute_heads
        return self.n_rows // heads if heads and self.n_dims >= 2 else 1


@dataclass(frozen=True)
class TensorPlan:
    tensors: tuple[OutputTensor, ...]
    warnings: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()  # stored tensors deliberately not written


def layer_of(name: str) -> int:
    match = _BLOCK.match(name)
    return int(match.group(1)) if match else -1


def plan_tensors(arch: Architecture, cfg: ModelConfig, source: TensorSource) -> TensorPlan:
    """All output tensors, validated; raises InputError/UnsupportedError for bad input."""
    _refuse_quantized_checkpoint(cfg)
    name_map = arch.tensor_name_map(cfg)
    # A LoRA merge may give a tied model its own output head (see engine.lora.plan).
    tied = arch.tied_embeddings(cfg) and not getattr(source, "untied_output", None)
    planned: dict[str, OutputTensor] = {}
    unmapped: list[str] = []
    dropped: list[str] = []
    warnings: list[str] = []

    for hf_name in source.names():
        if arch.is_ignored(hf_name) or (tied and hf_name == "lm_head.weight"):
            dropped.append(hf_name)
            continue
        gguf_name = arch.gguf_name(hf_name, name_map)
        if gguf_name is None:
            unmapped.append(hf_name)
            continue
        info = source.info(hf_name)
        if info.dtype not in FLOAT_DTYPES:
            raise UnsupportedError(
                f"tensor {hf_name!r} is stored as {info.dtype}; only floating-point weights "
                "can be converted",
                path=cfg.path.parent,
                field=hf_name,
                hint="Use the original (unquantized) bf16/fp16 model.",
            )
        transform = arch.transform(hf_name, gguf_name, cfg)
        shape = _checked_shape(hf_name, info.shape, transform)
        if gguf_name in planned:
            raise InputError(
                f"tensors {planned[gguf_name].source_name!r} and {hf_name!r} both map to {gguf_name}",
                field=hf_name,
            )
        planned[gguf_name] = OutputTensor(gguf_name, shape, info.dtype, hf_name, transform)

    if unmapped:
        shown = ", ".join(repr(n) for n in unmapped[:5])
        more = f" and {len(unmapped) - 5} more" if len(unmapped) > 5 else ""
        raise InputError(
            f"{len(unmapped)} tensor(s) do not belong to a {cfg.architecture} model: {shown}{more}",
            path=cfg.path.parent,
            hint="The weights do not match config.json (wrong folder, a LoRA adapter, or a "
            "model with extra parts such as vision). Use the merged text model.",
        )
    for extra in arch.generated_tensors(cfg):
        planned[extra.name] = _generated(extra)

    missing = [name for name in arch.required_tensors(arch.block_count(cfg)) if name not in planned]
    if missing:
        raise InputError(
            f"{len(missing)} tensor(s) the model needs are missing, e.g. {missing[0]}",
            path=cfg.path.parent,
            hint="The download is incomplete or the files belong to another model; "
            "download the model again.",
        )
    if not tied and "output.weight" not in planned:
        warnings.append(
            "config.json says the output layer is not tied to the embedding, but there is "
            "no lm_head.weight; llama.cpp will use the embedding"
        )
    ordered = sorted(planned.values(), key=lambda t: (layer_of(t.name), t.name))
    return TensorPlan(tuple(ordered), tuple(warnings), tuple(dropped))


def _checked_shape(
    hf_name: str, shape: tuple[int, ...], transform: TensorTransform
) -> tuple[int, ...]:
    if not shape or prod(shape) == 0:
        raise InputError(f"tensor {hf_name!r} is empty (shape {list(shape)})", field=hf_name)
    heads = transform.unpermute_heads
    if heads and shape[0] % (2 * heads):
        raise InputError(
            f"tensor {hf_name!r} has {shape[0]} rows, which does not split into {heads} heads",
            field=hf_name,
            hint="config.json's head counts do not match the weights.",
        )
    keep = transform.keep_rows
    if keep is not None and len(shape) >= 2 and 0 < keep < shape[0]:
        return (keep, *shape[1:])
    return tuple(shape)


def _generated(extra: GeneratedTensor) -> OutputTensor:
    values = np.ascontiguousarray(extra.values, dtype=np.float32)
    return OutputTensor(extra.name, tuple(values.shape), "F32", None, IDENTITY, values)


def _refuse_quantized_checkpoint(cfg: ModelConfig) -> None:
    quant = cfg.data.get("quantization_config")
    if isinstance(quant, dict) and quant:
        method = quant.get("quant_method") or quant.get("quant_algo") or "quantized"
        raise UnsupportedError(
            f"this checkpoint is already quantized ({method}); it cannot be converted",
            path=cfg.path,
            field="quantization_config",
            hint="Convert the original bf16/fp16 model instead (merge a QLoRA adapter into "
            "the unquantized base model first).",
        )
