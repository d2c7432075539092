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
INSTALLERS = ("pip", "uv")


@dataclass(frozen=True, kw_only=True)
class RuntimePlan:
    venv: str  # folder of the venv (POSIX path on a box)
    wheel: str  # path of the engine wheel where the commands run
    base_python: str = "python3"
    index_url: str | None = None
    hf_endpoint: str | None = None
    version: str = __version__
    # on top of the base Python's packages (a rented box's image often ships torch already)
    system_site_packages: bool = False
    find_links: tuple[str, ...] = ()  # folders of wheels (an offline or local wheelhouse)
    no_index: bool = False  # only the find-links folders, never a package index
    installer: str = "pip"  # "pip" or "uv" (INSTALLERS)
    uv: str = "uv"  # the uv executable, when installer is "uv"
    # exact versions installed with the wheel (the release's lock, :func:`lock_pins`); none on
    # top of an image's packages, which are reused within the train extra's bounds
    pins: tuple[str, ...] = ()

    @property
    def python(self) -> str:
        return posixpath.join(self.venv, "bin", "python")

    def pip_index_args(self) -> list[str]:
        """Index, wheel folders and offline switch: the same spelling for pip and ``uv pip``."""
        args = ["--index-url", self.index_url] if self.index_url and not self.no_index else []
        for folder in self.find_links:
            args += ["--find-links", folder]
        return [*args, "--no-index"] if self.no_index else args

    def commands(self) -> list[list[str]]:
        """Create the venv, (pip: upgrade pip), install the wheel with its ``train`` extra."""
        system = ["--system-site-packages"] if self.system_site_packages else []
        requirements = [f"{self.wheel}[{EXTRA}]", *self.pins]
        if self.installer == "uv":
            return [
                [self.uv, "venv", *system, "--python", self.base_python, self.venv],
                [self.uv, "pip", "install", "--python", self.python, *requirements, *self.pip_index_args()],
            ]  # fmt: skip
        if self.installer != "pip":
            raise TuneforgeError(f"unknown installer {self.installer!r}", field="installer",
                                 hint=f"Choose one of: {', '.join(INSTALLERS)}.")  # fmt: skip
        return [
            [self.base_python, "-m", "venv", *system, self.venv],
            [self.python, "-m", "pip", "install", "--upgrade", "pip", *self.pip_index_args()],
            [self.python, "-m", "pip", "install", *requirements, *self.pip_index_args()],
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
            if self.installer == "uv":
                env["UV_INDEX_URL"] = self.index_url
        return env


def lock_pins(*, cuda: bool = True) -> tuple[str, ...]:
    """The release's tested versions (``lock.json``, shared with the local runtime): torch
    (from the chosen index: PyPI's Linux torch is a CUDA build), the training stack, and
    bitsandbytes for CUDA."""
    from engine.runtime.lock import CPU, load_lock

    lock = load_lock()
    build = lock.cuda_builds()[0] if cuda else lock.build(CPU)  # cuda_builds: newest first
    return (f"torch=={build.torch}", *lock.packages, *(lock.cuda_packages if cuda else ()))


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
