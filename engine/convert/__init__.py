"""Hugging Face model folder → GGUF, torch-free and streaming (``tuneforge convert``).

Public API::

    from engine.convert import ConvertSpec, convert_job
    result = convert_job(ConvertSpec(model_dir=..., output=Path("m.gguf"), out_type="f16"), ctx)
    result.sha256, result.size_bytes

Submodules: ``job`` (the job), ``arch`` (one module per model family + the registry),
``source`` (TensorSource), ``plan`` (tensor plan), ``encode`` (output types),
``stream`` (the threaded write pass), ``vocab`` (tokenizer export).
Imports are lazy so ``import engine.convert.vocab`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.convert.arch.registry import supported_architectures
    from engine.convert.job import ConvertResult, ConvertSpec, convert_job

__all__ = ["ConvertResult", "ConvertSpec", "convert_job", "supported_architectures"]


def __getattr__(name: str) -> Any:
    if name in ("ConvertResult", "ConvertSpec", "convert_job"):
        from engine.convert import job

        return getattr(job, name)
    if name == "supported_architectures":
        from engine.convert.arch.registry import supported_architectures

        return supported_architectures
    raise AttributeError(f"module 'engine.convert' has no attribute {name!r}")
