"""``tuneforge package``: one job from a model folder, LoRA adapter or GGUF to a
chat-tested Ollama model."""

from engine.package.pipeline import package_job
from engine.package.smoke import SmokeResult, check_reply
from engine.package.spec import STAGES, PackageResult, PackageSpec, safe_file_stem

__all__ = [
    "STAGES",
    "PackageResult",
    "PackageSpec",
    "SmokeResult",
    "check_reply",
    "package_job",
    "safe_file_stem",
]
