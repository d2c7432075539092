"""Before installing: the GPU and driver, the torch build they can run, free disk, and the
Windows path-length limit. Each problem is a plain message and what to do about it."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.runtime.layout import RuntimeLayout
from engine.runtime.lock import CPU, Lock, TorchBuild, best_build_for, load_lock
from engine.runtime.nvidia import DriverInfo, detect
from engine.sizes import format_size

GB = 1024**3
MAX_PATH = 260


@dataclass(frozen=True, kw_only=True)
class Problem:
    code: str  # "no_gpu", "driver_too_old", "disk", "long_paths" …
    message: str
    hint: str
    blocking: bool = True  # False: a warning, the install may go on


@dataclass(frozen=True, kw_only=True)
class PreflightReport:
    driver: DriverInfo
    build: TorchBuild | None  # the torch build to install; None when none fits
    free_bytes: int
    needed_bytes: int
    path: Path
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not any(p.blocking for p in self.problems)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok, "path": str(self.path),
            "gpus": [{"name": g.name, "memory_mb": g.memory_mb} for g in self.driver.gpus],
            "driver": self.driver.driver, "driver_cuda": self.driver.cuda,
            "build": self.build.tag if self.build else None,
            "torch": self.build.torch if self.build else None,
            "free_bytes": self.free_bytes, "needed_bytes": self.needed_bytes,
            "problems": [{"code": p.code, "message": p.message, "hint": p.hint,
                          "blocking": p.blocking} for p in self.problems],
        }  # fmt: skip


def platform_name(platform: str = sys.platform) -> str:
    return "windows" if platform == "win32" else ("macos" if platform == "darwin" else "linux")


def choose_build(lock: Lock, cuda: str, driver: DriverInfo, *, platform: str) -> tuple[TorchBuild | None, list[Problem]]:  # fmt: skip
    """The build for ``cuda`` ("auto", "cpu" or a tag) and the problems that choice has."""
    if cuda == CPU:
        return lock.build(CPU), []
    if platform == "darwin":
        return lock.build(CPU), [Problem(code="no_cuda_on_mac", blocking=False,
            message="CUDA does not exist on macOS: the runtime uses the CPU (and Apple's MPS).",
            hint="Training works but is slow; a rented GPU box is faster (Remote).")]  # fmt: skip
    if not driver.gpus and cuda == "auto":
        reason = f" ({driver.error})" if driver.error else ""
        return lock.build(CPU), [Problem(code="no_gpu", blocking=False,
            message=f"No NVIDIA GPU was found{reason}; the runtime will train on the CPU, which is very slow.",
            hint="If this PC has an NVIDIA card, install its current driver from nvidia.com and check again; "
                 "otherwise train on a rented GPU box (Remote).")]  # fmt: skip
    best = best_build_for(lock, driver_cuda=driver.cuda, driver=driver.driver,
                          platform=platform_name(platform))  # fmt: skip
    if cuda != "auto":
        wanted = lock.build(cuda)
        if best is not None and best.cuda and wanted.cuda and _newer(wanted, best):
            return wanted, [Problem(code="driver_too_old",
                message=f"The driver ({driver.driver}, CUDA {driver.cuda}) cannot run the {wanted.tag} build.",
                hint=f"Update the NVIDIA driver, or install the {best.tag} build (--cuda {best.tag}).")]  # fmt: skip
        return wanted, []
    if best is None:
        oldest = lock.cuda_builds()[-1]
        minimum = (oldest.min_driver or {}).get(platform_name(platform), "?")
        return None, [Problem(code="driver_too_old",
            message=f"The NVIDIA driver {driver.driver or '?'} (CUDA {driver.cuda or '?'}) is too old for "
                    f"this Tuneforge's PyTorch (needs CUDA {oldest.cuda} or newer).",
            hint=f"Install a current driver from nvidia.com (version {minimum} or newer), then check again; "
                 "or install the CPU runtime (slow).")]  # fmt: skip
    return best, []


def _newer(a: TorchBuild, b: TorchBuild) -> bool:
    from engine.runtime.lock import version_key

    return version_key(a.cuda or "") > version_key(b.cuda or "")


def disk_problem(*, free_bytes: int, needed_bytes: int, path: Path) -> Problem | None:
    if free_bytes >= needed_bytes:
        return None
    return Problem(code="disk",
        message=f"Not enough free disk space at {path}: {format_size(free_bytes)} free, "
                f"{format_size(needed_bytes)} needed (the runtime and the base model).",
        hint="Free some space on that drive, or move Tuneforge's data folder to a larger "
             "drive (Settings, or the TUNEFORGE_HOME variable).")  # fmt: skip


def long_path_problem(*, path: Path, longest_relative: int, enabled: bool | None) -> Problem | None:
    """Windows: with long paths off, a path over 260 characters cannot be written, and
    torch's deepest files are ``longest_relative`` characters below the venv."""
    if enabled is not False:
        return None
    length = len(str(path)) + 1 + longest_relative
    if length <= MAX_PATH:
        return None
    return Problem(code="long_paths",
        message=f"Windows long paths are off, and files of the runtime would get {length} characters "
                f"long (the limit is {MAX_PATH}) under {path}.",
        hint="Enable long paths (run as administrator: reg add HKLM\\SYSTEM\\CurrentControlSet\\"
             "Control\\FileSystem /v LongPathsEnabled /t REG_DWORD /d 1 /f), or set "
             "TUNEFORGE_RUNTIME_DIR to a short folder such as C:\\TF.")  # fmt: skip


def windows_long_paths_enabled() -> bool | None:
    """None off Windows (no limit) or when unknown."""
    if sys.platform != "win32":
        return None
    try:
        import winreg

        key = winreg.OpenKey(
            winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\FileSystem"
        )
        value, _type = winreg.QueryValueEx(key, "LongPathsEnabled")
        return bool(value)
    except OSError:
        return False


def free_space(path: Path) -> int:
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def run_preflight(*, cuda: str = "auto", layout: RuntimeLayout | None = None, model_bytes: int = 0,
                  driver: DriverInfo | None = None, lock: Lock | None = None,
                  platform: str = sys.platform, long_paths: bool | None = None,
                  free_bytes: int | None = None) -> PreflightReport:  # fmt: skip
    """Everything is measured unless given (tests give recorded driver outputs)."""
    layout = layout or RuntimeLayout.default()
    lock = lock or load_lock()
    if driver is None:
        driver = (
            detect() if cuda != CPU else DriverInfo(gpus=(), driver=None, cuda=None, source="none")
        )
    build, problems = choose_build(lock, cuda, driver, platform=platform)
    installed = layout.size_bytes() if layout.root.exists() else 0
    needed = max(0, lock.size_bytes(build or lock.build(CPU)) - installed) + max(0, model_bytes)
    free = free_space(layout.root) if free_bytes is None else free_bytes
    for extra in (
        disk_problem(free_bytes=free, needed_bytes=needed, path=layout.root),
        long_path_problem(path=layout.venv, longest_relative=lock.longest_relative_path,
                          enabled=windows_long_paths_enabled() if long_paths is None and platform == "win32" else long_paths),
    ):  # fmt: skip
        if extra is not None:
            problems.append(extra)
    return PreflightReport(driver=driver, build=build, free_bytes=free, needed_bytes=needed,
                           path=layout.root, problems=tuple(problems))  # fmt: skip
