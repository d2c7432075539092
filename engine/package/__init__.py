"""``tuneforge package``: one job from a model folder, LoRA adapter or GGUF to a
chat-tested Ollama model."""

from engine.package.pipeline import package_job
from engine.package.prepare import PreparedSource, TemplatePreview, prepare
from engine.package.smoke import SmokeResult, check_reply
from engine.package.spec import (
    STAGES,
    PackageResult,
    PackageSpec,
    package_stages,
    safe_file_stem,
)

__all__ = [
    "STAGES",
    "PackageResult",
    "PackageSpec",
    "PreparedSource",
    "SmokeResult",
    "TemplatePreview",
    "check_reply",
    "package_job",
    "package_stages",
    "prepare",
    "safe_file_stem",
]
