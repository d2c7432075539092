"""The job protocol's words: what a source is (:class:`SourceKind`) and the stages a
package run reports (:class:`Stage`).

Both are ``str`` enums: a member *is* its wire string (``Stage.MERGE == "merge"``), so
NDJSON events, JSON results and older callers comparing with plain strings are unchanged.
"""

from __future__ import annotations

from enum import Enum


class _WireEnum(str, Enum):
    def __str__(self) -> str:  # the wire string, also in f-strings on every Python
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class SourceKind(_WireEnum):
    """What the user dropped."""

    HF_MODEL = "hf_model"  # a full (merged) model: config.json + *.safetensors
    LORA_ADAPTER = "lora_adapter"  # a PEFT adapter: adapter_config.json + adapter weights
    GGUF = "gguf"  # a .gguf file (or a folder holding exactly one)


class Stage(_WireEnum):
    """The stages of a package run, in order (progress events use these names)."""

    MERGE = "merge"
    CONVERT = "convert"
    MODELFILE = "modelfile"
    UPLOAD = "upload"
    CREATE = "create"
    SMOKE = "smoke"


def wire_name(name: str) -> str:
    """A stage name as a plain ``str`` (an enum member becomes its value)."""
    return str(name.value) if isinstance(name, Enum) else str(name)


__all__ = ["SourceKind", "Stage", "wire_name"]
