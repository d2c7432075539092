"""Where the local runtime lives and the small files that say how far its install got.

``<data dir>/runtime/``: ``venv/`` (the Python environment), ``install-state.json`` (the
steps finished so far, so an interrupted install continues), ``installed.json`` (written
last: only with it is the runtime "installed") and ``install.log`` (uv/pip output).
``TUNEFORGE_RUNTIME_DIR`` moves the folder alone (a short path on Windows).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import appdirs
from engine.jobs.atomic import atomic_file

RUNTIME_DIR_ENV = "TUNEFORGE_RUNTIME_DIR"
MARKER = "installed.json"
STATE = "install-state.json"
LOG = "install.log"


@dataclass(frozen=True)
class RuntimeLayout:
    root: Path

    @classmethod
    def default(cls) -> RuntimeLayout:
        override = os.environ.get(RUNTIME_DIR_ENV)
        return cls(Path(override) if override else appdirs.data_dir() / "runtime")

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        if sys.platform == "win32":
            return self.venv / "Scripts" / "python.exe"
        return self.venv / "bin" / "python"

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    @property
    def state_file(self) -> Path:
        return self.root / STATE

    @property
    def log_file(self) -> Path:
        return self.root / LOG

    @property
    def wheels(self) -> Path:
        return self.root / "wheels"

    @property
    def managed_python(self) -> Path:
        """Where uv puts a Python it downloads (so removing the runtime removes it too)."""
        return self.root / "python"

    # -- the small files ------------------------------------------------------------
    def read_marker(self) -> dict[str, Any] | None:
        return _read_json(self.marker)

    def write_marker(self, data: dict[str, Any]) -> None:
        _write_json(self.marker, data)

    def read_state(self) -> dict[str, Any]:
        return _read_json(self.state_file) or {}

    def write_state(self, data: dict[str, Any]) -> None:
        _write_json(self.state_file, data)

    def size_bytes(self) -> int:
        return tree_bytes(self.root)

    def remove(self) -> None:
        """Delete the whole runtime folder (read-only files too, as on Windows)."""
        if self.root.exists():
            shutil.rmtree(self.root, onerror=_clear_readonly)


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def _clear_readonly(func: Any, path: str, _exc: Any) -> None:
    os.chmod(path, stat.S_IWRITE)
    func(path)
