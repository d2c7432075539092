"""Errors of the local training runtime. Each says what to do next in its hint."""

from __future__ import annotations

from engine.errors import ResourceError, TuneforgeError


class RuntimeSetupError(TuneforgeError):
    """Installing, checking or removing the runtime went wrong."""

    code = "runtime"


class RuntimeMissing(RuntimeSetupError):
    """Training needs the runtime and there is none (or it is broken)."""

    code = "runtime_missing"


class InstallerFailed(RuntimeSetupError):
    """uv or pip exited with an error (``details['step']`` names the install step)."""

    code = "runtime_installer"


class PreflightFailed(ResourceError):
    """A preflight problem blocks the install (no disk space, a driver that is too old …)."""

    code = "runtime_preflight"
