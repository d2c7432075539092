"""Tiny stand-in wheels for the runtime's packages, built in-process (offline installs).

Each wheel holds one module that reports the pinned version; the ``torch`` one also has
``torch.version.cuda`` and ``torch.cuda.is_available()`` like the real thing."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

from engine.runtime.lock import Lock, TorchBuild

TORCH_CODE = """__version__ = {version!r}
class version:
    cuda = {cuda!r}
class cuda:
    @staticmethod
    def is_available():
        return False
"""


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(folder: Path, dist: str, version: str, *, code: str | None = None) -> Path:
    """A pure-Python wheel ``dist==version`` with one module (``dist`` with ``_``)."""
    norm = re.sub(r"[-_.]+", "_", dist).lower()
    module = norm
    info = f"{norm}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": (code or f"__version__ = {version!r}\n").encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tuneforge-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for name, data in files.items():
            whl.writestr(name, data)
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def pins(requirements: list[str]) -> list[tuple[str, str]]:
    out = []
    for req in requirements:
        name, _sep, version = req.split(";")[0].strip().partition("==")
        out.append((name.strip(), version.strip()))
    return out


def make_wheelhouse(folder: Path, lock: Lock, build: TorchBuild) -> Path:
    """Every package of ``build``'s runtime at its pinned version."""
    make_wheel(folder, "torch", build.torch,
               code=TORCH_CODE.format(version=build.torch, cuda=build.cuda))  # fmt: skip
    for name, version in pins(lock.requirements(build)):
        make_wheel(folder, name, version)
    return folder
