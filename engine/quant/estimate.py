"""Expected GGUF size per file type, a plain recommendation, and the free-disk check.

Tensor data sizes are exact (they come from the same plan the quantizer uses);
only the metadata block (tokenizer, chat template …) is estimated, which is a few
MB out of hundreds or thousands.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.quant.errors import NotEnoughDiskError
from engine.quant.ggml import tensor_bytes
from engine.quant.plan import PlannedTensor, plan_tensor_types
from engine.quant.types import FILE_TYPES, RECOMMENDED_FILE_TYPE, FileType, size_advice
from engine.sizes import format_size

GGUF_ALIGNMENT = 32
FIXED_HEADER_BYTES = 64 * 1024  # architecture keys, chat template, small arrays
DISK_MARGIN_BYTES = 64 * 2**20  # never fill a drive to the last byte


def _pad(n: int) -> int:
    return -(-n // GGUF_ALIGNMENT) * GGUF_ALIGNMENT


def estimate_output_bytes(
    tensors: Sequence[PlannedTensor],
    file_type: FileType,
    *,
    arch: str,
    n_layer: int,
    n_head: int | None = None,
    n_head_kv: int | None = None,
    n_expert: int = 0,
    metadata_bytes: int = FIXED_HEADER_BYTES,
) -> int:
    """Bytes of the GGUF that converting/quantizing these tensors to ``file_type`` writes.

    ``metadata_bytes``: size of the header + key/value block (mostly the tokenizer); see
    :func:`metadata_bytes_guess` when only the model folder is known.
    """
    plan = plan_tensor_types(
        tensors,
        file_type=file_type,
        arch=arch,
        n_layer=n_layer,
        n_head=n_head,
        n_head_kv=n_head_kv,
        n_expert=n_expert,
    )
    total = metadata_bytes + tensor_info_bytes(tensors)
    for tensor in tensors:
        total += _pad(tensor_bytes(plan[tensor.name], tensor.shape))
    return _pad(total)


def tensor_info_bytes(tensors: Sequence[PlannedTensor]) -> int:
    """Size of the GGUF tensor-info table: per tensor its name, n_dims, dims, type, offset."""
    return sum(8 + len(t.name.encode("utf-8")) + 4 + 8 * len(t.shape) + 4 + 8 for t in tensors)


def metadata_bytes_guess(model_dir: Path) -> int:
    """The GGUF key/value block is dominated by the vocabulary: guess it from the
    tokenizer files (a GGUF stores tokens + merges more compactly than JSON)."""
    size = FIXED_HEADER_BYTES
    for name in ("tokenizer.json", "tokenizer.model"):
        path = Path(model_dir) / name
        if path.is_file():
            size += int(path.stat().st_size * 0.6)
            break
    return size


@dataclass(frozen=True, kw_only=True)
class QuantChoice:
    """One row of the quant picker."""

    file_type: FileType
    output_bytes: int
    recommended: bool
    reason: str = ""  # why it is recommended (on the recommended one)

    @property
    def text(self) -> str:
        """``"Q4_K_M · 1.1 GB — Best size/quality balance …"``"""
        star = " (recommended)" if self.recommended else ""
        return (
            f"{self.file_type.name}{star} · {format_size(self.output_bytes)} — "
            f"{self.file_type.recommendation}"
        )


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    file_type: FileType
    reason: str

    @property
    def text(self) -> str:
        return f"{self.file_type.name}: {self.reason}"


# Best-first order when memory is short.
_SMALLER_STEPS = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_K_S", "Q3_K_M", "Q2_K")
RUNTIME_OVERHEAD_BYTES = 1536 * 2**20  # context cache, runtime, the OS


def recommend(
    *,
    n_params: int,
    sizes: Mapping[str, int] | None = None,
    memory_bytes: int | None = None,
) -> Recommendation:
    """A plain choice for users who don't know what Q4_K_M means.

    Small models lose noticeably more to 4-bit quantization and stay small anyway,
    so they get more bits; from 4B parameters Q4_K_M is the usual sweet spot.
    With ``memory_bytes`` (RAM or VRAM that will run the model) and ``sizes``
    (file type name → expected bytes) the choice steps down until it fits.
    """
    row = next(
        (r for r in size_advice() if r.up_to_params is None or n_params <= r.up_to_params),
        None,
    )
    name = row.type if row else RECOMMENDED_FILE_TYPE
    reason = row.reason if row else "best size/quality balance for most users"
    if memory_bytes is not None and sizes:
        budget = memory_bytes - RUNTIME_OVERHEAD_BYTES
        start = _SMALLER_STEPS.index(name) if name in _SMALLER_STEPS else 0
        for candidate in _SMALLER_STEPS[start:]:
            if candidate in sizes and sizes[candidate] <= budget:
                if candidate != name:
                    reason = f"the largest type that fits in {format_size(memory_bytes)} of memory"
                name = candidate
                break
        else:
            name = _SMALLER_STEPS[-1]
            reason = (
                f"even the smallest type may not fit in {format_size(memory_bytes)} of memory; "
                "expect it to be slow"
            )
    return Recommendation(file_type=FILE_TYPES[name], reason=reason)


def quant_choices(
    tensors: Sequence[PlannedTensor],
    *,
    arch: str,
    n_layer: int,
    n_head: int | None = None,
    n_head_kv: int | None = None,
    n_expert: int = 0,
    metadata_bytes: int = FIXED_HEADER_BYTES,
    memory_bytes: int | None = None,
) -> list[QuantChoice]:
    """Every file type with its expected size, the recommended one marked (picker order)."""
    sizes = {
        ft.name: estimate_output_bytes(
            tensors,
            ft,
            arch=arch,
            n_layer=n_layer,
            n_head=n_head,
            n_head_kv=n_head_kv,
            n_expert=n_expert,
            metadata_bytes=metadata_bytes,
        )
        for ft in FILE_TYPES.values()
    }
    n_params = sum(_count(t.shape) for t in tensors)
    best = recommend(n_params=n_params, sizes=sizes, memory_bytes=memory_bytes)
    return [
        QuantChoice(
            file_type=ft,
            output_bytes=sizes[ft.name],
            recommended=ft is best.file_type,
            reason=best.reason if ft is best.file_type else "",
        )
        for ft in FILE_TYPES.values()
    ]


def _count(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def check_free_disk(output_path: Path, needed_bytes: int, *, what: str = "the GGUF") -> None:
    """Raise :class:`NotEnoughDiskError` unless ``needed_bytes`` (+ a margin) fit where
    ``output_path`` will be written. An existing file of that name is not counted as
    free space: the new file is written next to it and swapped in at the end."""
    folder = Path(output_path).resolve().parent
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed_bytes + DISK_MARGIN_BYTES > free:
        raise NotEnoughDiskError(
            f"not enough free disk space for {what}: needs about {format_size(needed_bytes)}, "
            f"{format_size(free)} free",
            path=folder,
            hint=f"Free up at least {format_size(needed_bytes + DISK_MARGIN_BYTES - free)} "
            "on that drive, or choose an output folder on another drive.",
            needed_bytes=needed_bytes,
            free_bytes=free,
        )
