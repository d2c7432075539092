"""What ``tuneforge inspect`` tells the user: frozen dataclasses with a stable JSON form.

The JSON form (``to_dict``) is documented in the README; add fields, never rename or
remove them without bumping ``SCHEMA_VERSION``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ModelInfo:
    """A merged Hugging Face model folder."""

    architecture: str
    model_type: str | None
    parameters: int
    dtype: str  # the weights' dtype as stored: "bfloat16", "float16", "float32", "mixed"
    weight_bytes: int
    disk_bytes: int
    weight_files: int
    context_length: int | None
    vocab_size: int | None
    hidden_size: int | None
    layers: int | None
    tokenizer: str | None  # "bpe" | "sentencepiece" | "wordpiece" | "unigram" | None
    chat_template: bool
    chat_template_family: str | None
    generation_defaults: dict[str, Any] = field(default_factory=dict)
    tied_embeddings: bool = False
    supported: bool = True  # can ``tuneforge convert`` handle this architecture?


@dataclass(frozen=True)
class AdapterInfo:
    """A PEFT LoRA adapter folder."""

    peft_type: str
    base_model: str | None
    rank: int | None
    alpha: float | None
    target_modules: tuple[str, ...]
    modules_to_save: tuple[str, ...]
    use_rslora: bool
    use_dora: bool
    parameters: int
    disk_bytes: int
    base_found: str | None = None  # a local folder that holds the base model, if found


@dataclass(frozen=True)
class GGUFInfo:
    """A ``.gguf`` file."""

    architecture: str | None
    name: str | None
    file_type: str | None  # "Q4_K_M", "BF16", … (from general.file_type)
    tensor_count: int
    parameters: int
    context_length: int | None
    disk_bytes: int
    gguf_version: int
    chat_template: bool
    chat_template_family: str | None
    tokenizer: str | None  # tokenizer.ggml.model: "gpt2" (BPE), "llama" (SentencePiece), …


@dataclass(frozen=True)
class InspectReport:
    kind: str  # an engine.jobs.SourceKind: "hf_model" | "lora_adapter" | "gguf"
    path: str
    model: ModelInfo | None = None
    adapter: AdapterInfo | None = None
    gguf: GGUFInfo | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        data["warnings"] = list(self.warnings)
        for key in ("model", "adapter", "gguf"):
            if data[key] is None:
                del data[key]
        return data
