"""Errors of the LoRA package: unreadable adapters, adapters we cannot merge, bad pairings."""

from __future__ import annotations

from engine.errors import InputError, UnsupportedError


class AdapterError(InputError):
    """The adapter folder is missing, incomplete or inconsistent."""

    code = "adapter"


class AdapterUnsupportedError(UnsupportedError):
    """A valid adapter of a kind Tuneforge cannot merge (DoRA, LoHa, VeRA, …)."""


class AdapterMismatchError(InputError):
    """The adapter does not fit the base model (shapes, architecture, missing modules)."""

    code = "adapter_mismatch"


class BaseModelNotFoundError(InputError):
    """The adapter's base model is neither given, nor local, nor in a download cache."""

    code = "base_not_found"
