"""The tensor plan: every GGUF tensor, its shape, where its data comes from and how.

Built from safetensors headers and ``config.json`` alone (no tensor data is read),
checked up front (unknown names, unsupported dtypes, missing layers) so a bad input
fails before anything is written. Ordered the way llama.cpp's loader visits
tensors (non-block tensors sorted by name, then ``blk.0.*``, ``blk.1.*`` …), which
is also the order ``llama_model_quantize`` writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from engine.convert.arch.base import IDENTITY, Architecture, GeneratedTensor, TensorTransform
from engine.convert.config import ModelConfig
from engine.errors import InputError, UnsupportedError
from engine.hf.weights import TensorSource

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

    file_of = getattr(source, "file_of", None)
    if unmapped:
        raise InputError(
            f"{len(unmapped)} tensor(s) do not belong to a {cfg.architecture} model: "
            + _listed(unmapped, file_of),
            path=_file(unmapped[0], file_of) or cfg.path.parent,
            field=unmapped[0],
            hint="The weights do not match config.json (wrong folder, a LoRA adapter, or a "
            "model with extra parts such as vision). Use the merged text model.",
        )
    for extra in arch.generated_tensors(cfg):
        planned[extra.name] = _generated(extra)
    check_tensor_set(arch, cfg, planned, tied=tied, file_of=file_of)
    ordered = sorted(planned.values(), key=lambda t: (layer_of(t.name), t.name))
    return TensorPlan(tuple(ordered), tuple(warnings), tuple(dropped))


def check_tensor_set(
    arch: Architecture,
    cfg: ModelConfig,
    planned: Mapping[str, OutputTensor],
    *,
    tied: bool,
    file_of: Callable[[str], Path | None] | None = None,
) -> None:
    """Refuse missing or unexpected tensors (against :meth:`Architecture.expected_tensors`),
    naming each tensor and the file it is in (or should be in)."""
    expected = arch.expected_tensors(cfg, tied=tied)
    missing = sorted(expected.required - planned.keys(), key=_tensor_order)
    if missing:
        described = [_describe_missing(name, planned, file_of) for name in missing[:5]]
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        first_hf, first_files = _missing_source(missing[0], planned, file_of)
        raise InputError(
            f"{len(missing)} tensor(s) the model needs are missing: " + "; ".join(described) + more,
            path=first_files[0] if len(first_files) == 1 else cfg.path.parent,
            field=first_hf,
            hint="The download is incomplete or the files belong to another model; "
            "download the model again.",
        )
    unexpected = sorted(
        (t.source_name or t.name for t in planned.values() if not expected.allows(t.name)),
    )
    if unexpected:
        raise InputError(
            f"{len(unexpected)} tensor(s) do not belong to a {cfg.architecture} model with this "
            "config.json: " + _listed(unexpected, file_of),
            path=_file(unexpected[0], file_of) or cfg.path.parent,
            field=unexpected[0],
            hint="config.json does not describe these weights (another model's config, or "
            "extra layers); use the config.json that came with the weights.",
        )


def _tensor_order(name: str) -> tuple[int, str]:
    return layer_of(name), name


def _file(hf_name: str, file_of: Callable[[str], Path | None] | None) -> Path | None:
    return file_of(hf_name) if file_of is not None else None


def _listed(hf_names: list[str], file_of: Callable[[str], Path | None] | None) -> str:
    shown = []
    for name in hf_names[:5]:
        path = _file(name, file_of)
        shown.append(f"{name!r} in {path.name}" if path is not None else repr(name))
    more = f" and {len(hf_names) - 5} more" if len(hf_names) > 5 else ""
    return ", ".join(shown) + more


def _missing_source(
    gguf_name: str,
    planned: Mapping[str, OutputTensor],
    file_of: Callable[[str], Path | None] | None,
) -> tuple[str, list[Path]]:
    """The Hugging Face name a missing GGUF tensor would have had, and the files that hold
    its neighbours (the same tensor of another layer gives the name; the same layer's
    other tensors give the shards)."""
    hf_name = "lm_head.weight" if gguf_name == "output.weight" else gguf_name
    layer = layer_of(gguf_name)
    if layer >= 0:
        suffix = gguf_name.split(".", 2)[2]
        for other in planned.values():
            if (
                other.source_name
                and layer_of(other.name) >= 0
                and other.name.split(".", 2)[2] == suffix
            ):
                hf_name = re.sub(
                    rf"\.{layer_of(other.name)}\.", f".{layer}.", other.source_name, count=1
                )
                break
        neighbours = [
            t.source_name for t in planned.values() if layer_of(t.name) == layer and t.source_name
        ]
    else:
        neighbours = [t.source_name for t in planned.values() if t.source_name]
    files = sorted({f for n in neighbours if (f := _file(n, file_of)) is not None})
    return hf_name, files


def _describe_missing(
    gguf_name: str,
    planned: Mapping[str, OutputTensor],
    file_of: Callable[[str], Path | None] | None,
) -> str:
    hf_name, files = _missing_source(gguf_name, planned, file_of)
    where = f", expected in {' or '.join(f.name for f in files)}" if files else ""
    label = f"{hf_name!r} ({gguf_name}{where})" if hf_name != gguf_name else f"{gguf_name}{where}"
    return label


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
