"""Errors of the Modelfile package."""

from __future__ import annotations

from engine.errors import InputError


class ModelfileError(InputError):
    """A Modelfile (or a value meant for one) is invalid."""


class ParameterError(ModelfileError):
    """A PARAMETER has an unknown name or a value of the wrong type."""
