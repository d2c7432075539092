"""What the double learns from an uploaded GGUF, as Ollama's ``fs/ggml`` decoder would.

Only what ``/api/tags`` and ``/api/show`` report: architecture, file type, parameter
count, the scalar metadata (``model_info``). Read with the ``gguf`` package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GGUF_MAGIC = b"GGUF"


@dataclass
class GGUFInfo:
    architecture: str
    file_type: str
    parameter_count: int
    model_info: dict[str, Any] = field(default_factory=dict)


def read_gguf_info(path: Path) -> GGUFInfo:
    """Raises ``ValueError`` with a decoder-like message when the file is not a GGUF."""
    import gguf

    with open(path, "rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise ValueError("supplied file was not in GGUF format")
    reader = gguf.GGUFReader(path)
    info: dict[str, Any] = {}
    for name, fld in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        types = fld.types
        if types and types[0] == gguf.GGUFValueType.ARRAY:
            # Ollama's show drops the big tokenizer arrays unless verbose=true
            info[name] = None
            continue
        info[name] = fld.contents()
    count = sum(int(t.n_elements) for t in reader.tensors)
    info["general.parameter_count"] = count
    arch = str(info.get("general.architecture") or "")
    file_type = info.get("general.file_type")
    return GGUFInfo(
        architecture=arch,
        file_type=_file_type_name(file_type),
        parameter_count=count,
        model_info=info,
    )


def _file_type_name(value: Any) -> str:
    import gguf

    if value is None:
        return "unknown"
    try:
        name = gguf.LlamaFileType(int(value)).name
    except ValueError:
        return "unknown"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def human_number(n: int) -> str:
    """Ollama's ``format.HumanNumber`` (parameter sizes like ``19.53M``)."""
    for size, suffix, decimals in ((10**9, "B", 1), (10**6, "M", 2)):
        if n >= size:
            number = n / size
            return (
                f"{number:.0f}{suffix}" if number.is_integer() else f"{number:.{decimals}f}{suffix}"
            )
    if n >= 1000:
        return f"{n / 1000:.0f}K"
    return str(n)
