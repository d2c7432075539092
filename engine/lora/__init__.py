"""LoRA adapters without torch: read PEFT adapter folders, find their base model, and merge
them into the base tensors in numpy — on the fly for conversion (:func:`open_merged_source`)
or into a merged Hugging Face folder (:func:`merge_job`, ``tuneforge merge``)."""

from engine.lora.adapter import AdapterInfo, read_adapter
from engine.lora.errors import (
    AdapterError,
    AdapterMismatchError,
    AdapterUnsupportedError,
    BaseModelNotFoundError,
)
from engine.lora.export import MergeResult, MergeSpec, merge_job
from engine.lora.merge import MergedSource, open_merged_source
from engine.lora.resolve import resolve_base, resolve_base_locally

__all__ = [
    "AdapterError",
    "AdapterInfo",
    "AdapterMismatchError",
    "AdapterUnsupportedError",
    "BaseModelNotFoundError",
    "MergeResult",
    "MergeSpec",
    "MergedSource",
    "merge_job",
    "open_merged_source",
    "read_adapter",
    "resolve_base",
    "resolve_base_locally",
]
