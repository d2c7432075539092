"""Inspect a ``.gguf`` file from its header (the tensor data is memory-mapped, not read)."""

from __future__ import annotations

from math import prod
from pathlib import Path

from engine.formats.gguf_read import open_gguf
from engine.inspect.families import guess_family
from engine.inspect.report import GGUFInfo

# llama_ftype numbers (llama.h) → names users know
FILE_TYPE_NAMES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
}  # fmt: skip


def inspect_gguf(path: Path) -> tuple[GGUFInfo, list[str]]:
    header = open_gguf(path)
    value = header.value
    arch = value("general.architecture")
    file_type = value("general.file_type")
    chat_template = value("tokenizer.chat_template")
    context = value(f"{arch}.context_length") if arch else None
    warnings: list[str] = []
    if not chat_template:
        warnings.append("no chat template embedded: pass one or Ollama may not stop replying")
    info = GGUFInfo(
        architecture=arch,
        name=value("general.name"),
        file_type=FILE_TYPE_NAMES.get(file_type, str(file_type)) if file_type is not None else None,
        tensor_count=len(header.tensors),
        parameters=sum(int(prod(int(d) for d in t.shape)) for t in header.tensors),
        context_length=int(context) if context is not None else None,
        disk_bytes=path.stat().st_size,
        gguf_version=int(value("GGUF.version") or 0),
        chat_template=bool(chat_template),
        chat_template_family=guess_family(chat_template) if chat_template else None,
        tokenizer=value("tokenizer.ggml.model"),
    )
    return info, warnings
