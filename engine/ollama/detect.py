"""Is Ollama installed on this machine? (Whether it *runs* is asked over HTTP by the client.)

Installed means: an ``ollama`` executable on ``PATH``, or in the place each official
installer puts it:

- Windows: ``%LOCALAPPDATA%\\Programs\\Ollama\\ollama.exe`` (per-user installer),
  ``%ProgramFiles%\\Ollama\\ollama.exe``;
- macOS: ``/Applications/Ollama.app`` (or ``~/Applications``), ``/usr/local/bin/ollama``,
  Homebrew's ``/opt/homebrew/bin/ollama``;
- Linux: ``/usr/local/bin/ollama`` (install script), ``/usr/bin/ollama`` (packages),
  ``/snap/bin/ollama``.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Mapping
from pathlib import Path


def candidate_paths(
    system: str | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """Where the official installers put Ollama on ``system`` ("Windows", "Darwin", "Linux")."""
    system = system or platform.system()
    env = os.environ if environ is None else environ
    if system == "Windows":
        out = []
        local = env.get("LOCALAPPDATA")
        if local:
            out.append(Path(local) / "Programs" / "Ollama" / "ollama.exe")
        for var in ("ProgramFiles", "ProgramW6432"):
            base = env.get(var)
            if base:
                out.append(Path(base) / "Ollama" / "ollama.exe")
        return out
    if system == "Darwin":
        home = env.get("HOME")
        out = [Path("/Applications/Ollama.app")]
        if home:
            out.append(Path(home) / "Applications" / "Ollama.app")
        return [*out, Path("/usr/local/bin/ollama"), Path("/opt/homebrew/bin/ollama")]
    return [Path("/usr/local/bin/ollama"), Path("/usr/bin/ollama"), Path("/snap/bin/ollama")]


def find_ollama(
    *,
    system: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path | None:
    """The Ollama executable (or macOS app bundle), or ``None`` if it is not installed."""
    env = os.environ if environ is None else environ
    found = shutil.which("ollama", path=env.get("PATH"))
    if found:
        return Path(found)
    for path in candidate_paths(system, env):
        if path.exists():
            return path
    return None


def is_installed(*, system: str | None = None, environ: Mapping[str, str] | None = None) -> bool:
    return find_ollama(system=system, environ=environ) is not None
