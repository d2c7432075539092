"""The per-release lock (``lock.json``): which torch build and which packages a runtime gets,
and the choice of a build for a driver."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.runtime.errors import RuntimeSetupError

LOCK_FILE = Path(__file__).with_name("lock.json")
CPU = "cpu"


@dataclass(frozen=True, kw_only=True)
class TorchBuild:
    tag: str  # "cpu" or a PyTorch CUDA tag ("cu128")
    cuda: str | None  # the CUDA version the build needs ("12.8"), None for CPU
    torch: str
    min_driver: dict[str, str] | None  # {"linux": "570.26", "windows": "570.65"}

    @property
    def is_cuda(self) -> bool:
        return self.cuda is not None


@dataclass(frozen=True, kw_only=True)
class Lock:
    python: str
    torch_index: str  # with "{tag}"
    builds: tuple[TorchBuild, ...]
    packages: tuple[str, ...]
    cuda_packages: tuple[str, ...]
    probe_modules: tuple[str, ...]
    cuda_probe_modules: tuple[str, ...]
    size_mb: dict[str, int]
    longest_relative_path: int

    def build(self, tag: str) -> TorchBuild:
        for build in self.builds:
            if build.tag == tag:
                return build
        known = ", ".join(b.tag for b in self.builds)
        raise RuntimeSetupError(f"unknown CUDA build {tag!r}", field="cuda",
                                hint=f"Use auto, or one of: {known}.")  # fmt: skip

    def cuda_builds(self) -> list[TorchBuild]:
        """CUDA builds, newest CUDA first."""
        return sorted((b for b in self.builds if b.cuda), key=lambda b: version_key(b.cuda or ""),
                      reverse=True)  # fmt: skip

    def requirements(self, build: TorchBuild) -> list[str]:
        """Everything but torch and the engine wheel."""
        return [*self.packages, *(self.cuda_packages if build.is_cuda else ())]

    def modules(self, build: TorchBuild) -> list[str]:
        return [*self.probe_modules, *(self.cuda_probe_modules if build.is_cuda else ())]

    def size_bytes(self, build: TorchBuild) -> int:
        return int(self.size_mb["cuda" if build.is_cuda else "cpu"]) * 1024 * 1024

    def torch_index_url(self, build: TorchBuild) -> str:
        return self.torch_index.format(tag=build.tag)


def version_key(text: str) -> tuple[int, ...]:
    """``"570.86.10"`` → ``(570, 86, 10)``; junk parts count as 0."""
    out = []
    for part in text.strip().split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def best_build_for(lock: Lock, *, driver_cuda: str | None, driver: str | None,
                   platform: str) -> TorchBuild | None:  # fmt: skip
    """The newest CUDA build the driver can run: its CUDA version (what ``nvidia-smi``
    reports) at least the build's, or else its driver version at least the build's minimum.
    None when no CUDA build fits."""
    for build in lock.cuda_builds():
        if driver_cuda and version_key(driver_cuda) >= version_key(build.cuda or ""):
            return build
        minimum = (build.min_driver or {}).get(platform)
        if not driver_cuda and driver and minimum and version_key(driver) >= version_key(minimum):
            return build
    return None


def _parse(data: dict[str, Any]) -> Lock:
    builds = tuple(TorchBuild(tag=b["tag"], cuda=b.get("cuda"), torch=b["torch"],
                              min_driver=b.get("min_driver")) for b in data["builds"])  # fmt: skip
    return Lock(
        python=str(data["python"]), torch_index=str(data["torch_index"]), builds=builds,
        packages=tuple(data["packages"]), cuda_packages=tuple(data.get("cuda_packages", ())),
        probe_modules=tuple(data["probe_modules"]),
        cuda_probe_modules=tuple(data.get("cuda_probe_modules", ())),
        size_mb=dict(data["size_mb"]), longest_relative_path=int(data["longest_relative_path"]),
    )  # fmt: skip


def load_lock(path: Path | None = None) -> Lock:
    return _load(str(path or LOCK_FILE))


@lru_cache(maxsize=4)
def _load(path: str) -> Lock:
    try:
        return _parse(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeSetupError(f"the runtime lock file is unreadable: {exc}", path=path,
                                hint="Reinstall Tuneforge.") from exc  # fmt: skip
