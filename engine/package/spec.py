"""What ``tuneforge package`` takes and gives back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.package.smoke import SmokeResult

# The stages, in order, as the CLI and the GUI show them (progress events use these names).
STAGES: tuple[str, ...] = ("merge", "convert", "modelfile", "upload", "create", "smoke")
DEFAULT_QUANT = "Q4_K_M"


@dataclass(frozen=True, kw_only=True)
class PackageSpec:
    """``source``: a merged model folder, a LoRA adapter folder or a ``.gguf`` file.
    ``quant_type``: None = Q4_K_M for folders, keep the file as it is for a GGUF.
    ``params``: Modelfile PARAMETERs as ``(name, value)`` pairs (repeat ``stop``).
    ``out_dir``: where ``NAME.gguf`` and ``Modelfile`` go (default ``./NAME``)."""

    source: Path
    name: str
    quant_type: str | None = None
    system: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    out_dir: Path | None = None
    host: str | None = None
    register: bool = True
    smoke: bool = True
    base_dir: Path | None = None
    allow_download: bool = False
    threads: int | None = None


@dataclass(frozen=True, kw_only=True)
class PackageResult:
    name: str  # as registered, e.g. "my-model:latest"
    out_dir: Path
    gguf_path: Path
    modelfile_path: Path
    sha256: str
    size_bytes: int
    file_type: str
    template_family: str | None
    parity: dict[str, Any] | None  # ParityReport.to_dict(); None when not checked
    registered: bool
    register_note: str | None  # why it was not registered, and how to do it by hand
    # engine.ollama.template_choice.TemplateInUse.to_dict(): which template Ollama runs
    template_in_use: dict[str, Any] | None = None
    # engine.package.prompt_check.PromptCheck.to_dict(): Ollama's prompt token counts
    # against the model's own template; None when not run (not registered, --no-smoke)
    prompt_check: dict[str, Any] | None = None
    smoke: SmokeResult | None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def safe_file_stem(name: str) -> str:
    """A model name as a file name on every OS: ``ns/model:tag`` → ``ns-model-tag``."""
    stem = re.sub(r'[<>:"/\\|?*\s]+', "-", name).strip("-.")
    return stem.removesuffix("-latest") or "model"
