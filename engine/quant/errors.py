"""Errors of the quantizer (one module, as the house style asks)."""

from __future__ import annotations

from engine.errors import InputError, ResourceError, UnsupportedError


class UnknownFileTypeError(InputError):
    """``--type`` names no file type we write."""


class QuantLibraryError(ResourceError):
    """ggml's shared library (from llama-cpp-python) is missing or not what we expect."""


class EncodeError(UnsupportedError):
    """A tensor cannot be encoded to the requested ggml type (checked before any native call)."""


class NotEnoughDiskError(ResourceError):
    """The output would not fit on the destination drive."""


class QuantizeInputError(InputError):
    """The GGUF given to ``tuneforge quantize`` cannot be quantized (already quantized, broken …)."""
