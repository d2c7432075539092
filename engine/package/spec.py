"""What ``tuneforge package`` takes and gives back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.jobs.vocabulary import SourceKind, Stage
from engine.package.smoke import SmokeResult

# The stages, in order, as the CLI and the GUI show them (progress events use these names).
STAGES: tuple[Stage, ...] = tuple(Stage)
DEFAULT_QUANT = "Q4_K_M"


def package_stages(kind: str) -> tuple[Stage, ...]:
    """The stages a run for this kind of source shows: only an adapter is merged."""
    if kind == SourceKind.LORA_ADAPTER:
        return STAGES
    return tuple(stage for stage in STAGES if stage != Stage.MERGE)


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
    smoke: SmokeResult | None
    # engine.ollama.template_choice.TemplateInUse.to_dict(): which template Ollama runs
    template_in_use: dict[str, Any] | None = None
    # engine.package.prompt_check.PromptCheck.to_dict(): Ollama's prompt token counts
    # against the model's own template; None when not run (not registered, --no-smoke)
    prompt_check: dict[str, Any] | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def smoke_ok(self) -> bool | None:
        """The smoke chat's verdict; None when it was not asked for or could not run."""
        return None if self.smoke is None or not self.smoke.ran else self.smoke.ok

    @property
    def template_source(self) -> str | None:
        """Which chat template Ollama runs: "jinja", "go", "default"; None when not known."""
        return (self.template_in_use or {}).get("source")

    @property
    def template_proven(self) -> bool:
        return bool((self.template_in_use or {}).get("proven"))

    @property
    def template_summary(self) -> str:
        """The engine's English sentence about the template in use."""
        return str((self.template_in_use or {}).get("summary") or "")

    @property
    def prompt_mismatch(self) -> tuple[str, int, int] | None:
        """(probe, Ollama's prompt tokens, the model's own template's tokens) of the first
        probe conversation whose prompt differs; None when all match or none ran."""
        check = self.prompt_check
        if not check or check.get("status") != "mismatch":
            return None
        for probe in check.get("probes") or ():
            if not probe.get("ok"):
                return str(probe["name"]), int(probe.get("reported") or 0), int(probe["expected"])
        return None

    @property
    def prompt_not_checked(self) -> str:
        """Why the probe conversations could not run ("" when they ran or were not asked)."""
        check = self.prompt_check
        if not check or check.get("status") != "not_run":
            return ""
        return str(check.get("problem") or "")


def safe_file_stem(name: str) -> str:
    """A model name as a file name on every OS: ``ns/model:tag`` → ``ns-model-tag``."""
    stem = re.sub(r'[<>:"/\\|?*\s]+', "-", name).strip("-.")
    return stem.removesuffix("-latest") or "model"
