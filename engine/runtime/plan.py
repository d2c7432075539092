"""What a training runtime needs and the commands that install it (shared by remote setup and
the local runtime).

A plan is pure data: the venv folder, the engine wheel of this exact version, the extra to
install, the package index (a mirror for users who need one) and ``HF_ENDPOINT``. The commands
are argument lists (never shell text); a caller quotes or runs them.
"""

from __future__ import annotations

import posixpath
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine import __version__
from engine.errors import TuneforgeError

EXTRA = "train"


@dataclass(frozen=True, kw_only=True)
class RuntimePlan:
    venv: str  # folder of the venv (POSIX path on a box)
    wheel: str  # path of the engine wheel where the commands run
    base_python: str = "python3"
    index_url: str | None = None
    hf_endpoint: str | None = None
    version: str = __version__

    @property
    def python(self) -> str:
        return posixpath.join(self.venv, "bin", "python")

    def pip_index_args(self) -> list[str]:
        return ["--index-url", self.index_url] if self.index_url else []

    def commands(self) -> list[list[str]]:
        """Create the venv, upgrade pip, install the wheel with its ``train`` extra."""
        return [
            [self.base_python, "-m", "venv", self.venv],
            [self.python, "-m", "pip", "install", "--upgrade", "pip", *self.pip_index_args()],
            [self.python, "-m", "pip", "install", f"{self.wheel}[{EXTRA}]", *self.pip_index_args()],
        ]

    def check_command(self) -> list[str]:
        """Prints the installed engine version (the runtime's own check)."""
        return [self.python, "-c", "import engine; print(engine.__version__)"]

    def environment(self) -> dict[str, str]:
        """Variables every training run on this runtime gets."""
        env = {}
        if self.hf_endpoint:
            env["HF_ENDPOINT"] = self.hf_endpoint
        if self.index_url:
            env["PIP_INDEX_URL"] = self.index_url
        return env


def wheel_name(version: str = __version__) -> str:
    return f"tuneforge-{version}-py3-none-any.whl"


def build_wheel(source: Path, out_dir: Path) -> Path:
    """Build this checkout's wheel (offline: no build isolation, no dependencies)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out_dir), str(source)],
        capture_output=True, text=True,
    )  # fmt: skip
    wheel = out_dir / wheel_name()
    if proc.returncode != 0 or not wheel.is_file():
        raise TuneforgeError(f"building the engine wheel failed: {proc.stderr.strip()[-600:]}",
                             path=source, hint="Run from a Tuneforge checkout with setuptools installed.")  # fmt: skip
    return wheel


def source_root() -> Path | None:
    """The checkout this engine runs from, when it is one (has pyproject.toml)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None
