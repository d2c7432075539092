"""One module per model family; :mod:`engine.convert.arch.registry` is the table."""

from engine.convert.arch.base import Architecture, GeneratedTensor, TensorTransform
from engine.convert.arch.registry import architecture_for, supported_architectures

__all__ = [
    "Architecture",
    "GeneratedTensor",
    "TensorTransform",
    "architecture_for",
    "supported_architectures",
]
