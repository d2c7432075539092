"""The explicit table: ``config.json`` ``architectures[0]`` → architecture module.

Adding a family = one module in this package (its ``hf_architectures`` name the
``config.json`` architectures it converts) + one line in :data:`MODULES`.
"""

from __future__ import annotations

from types import MappingProxyType

from engine.convert.arch.base import Architecture
from engine.convert.arch.gemma2 import Gemma2Architecture
from engine.convert.arch.gemma3 import Gemma3Architecture
from engine.convert.arch.llama import LlamaArchitecture, MistralArchitecture
from engine.convert.arch.phi3 import Phi3Architecture
from engine.convert.arch.qwen2 import Qwen2Architecture
from engine.convert.arch.qwen3 import Qwen3Architecture
from engine.errors import UnsupportedError

# Each module lists the Hugging Face architecture names it converts (hf_architectures).
MODULES: tuple[Architecture, ...] = (
    LlamaArchitecture(),  # Llama 2, Llama 3.x
    MistralArchitecture(),  # GGUF arch "llama", as llama.cpp writes it
    Qwen2Architecture(),  # Qwen2/2.5, DeepSeek-R1-Distill-Qwen
    Qwen3Architecture(),
    Gemma2Architecture(),
    Gemma3Architecture(),  # text-only Gemma 3
    Phi3Architecture(),
)
ARCHITECTURES: MappingProxyType[str, Architecture] = MappingProxyType(
    {hf_name: module for module in MODULES for hf_name in module.hf_architectures}
)


def architecture_named(gguf_name: str) -> Architecture | None:
    """The module that writes GGUF architecture ``gguf_name`` (``llama``, ``gemma2`` …)."""
    return next((m for m in MODULES if m.name == gguf_name), None)


def supported_architectures() -> tuple[str, ...]:
    """Hugging Face architecture names the converter handles."""
    return tuple(ARCHITECTURES)


def architecture_for(hf_architecture: str) -> Architecture:
    """The module for ``hf_architecture``; an :class:`UnsupportedError` listing the
    supported ones otherwise."""
    arch = ARCHITECTURES.get(hf_architecture)
    if arch is None:
        raise UnsupportedError(
            f"model architecture {hf_architecture!r} is not supported",
            field="architectures",
            hint="Supported architectures: " + ", ".join(supported_architectures()) + ".",
            supported=list(supported_architectures()),
        )
    return arch
