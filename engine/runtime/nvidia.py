"""What this PC's NVIDIA driver says: GPUs, driver version, and the newest CUDA it runs.

NVML (``pynvml``, from the ``nvidia-ml-py`` package) is used when it is installed; else
``nvidia-smi`` (installed with every NVIDIA driver). The parsers take the tool's text, so
tests feed them recorded outputs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

QUERY = ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader,nounits"]
_CUDA_RE = re.compile(r"CUDA Version\s*:\s*([0-9]+\.[0-9]+)")
_DRIVER_RE = re.compile(r"Driver Version\s*:\s*([0-9.]+)")


@dataclass(frozen=True, kw_only=True)
class Gpu:
    name: str
    memory_mb: int


@dataclass(frozen=True, kw_only=True)
class DriverInfo:
    gpus: tuple[Gpu, ...]
    driver: str | None  # "572.16"
    cuda: str | None  # the newest CUDA the driver runs, "12.8"
    source: str  # "nvml" | "nvidia-smi" | "none"
    error: str | None = None  # why nothing was found (tool missing, tool failed …)


def parse_query(text: str) -> tuple[list[Gpu], str | None]:
    """``nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits``."""
    gpus, driver = [], None
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 3 or not parts[0]:
            continue
        try:
            memory = int(float(parts[-1]))
        except ValueError:
            memory = 0
        gpus.append(Gpu(name=",".join(parts[:-2]).strip(), memory_mb=memory))
        driver = driver or parts[-2]
    return gpus, driver


def parse_header(text: str) -> tuple[str | None, str | None]:
    """(driver, CUDA) from plain ``nvidia-smi`` output (its header line)."""
    cuda = _CUDA_RE.search(text)
    driver = _DRIVER_RE.search(text)
    return (driver.group(1) if driver else None, cuda.group(1) if cuda else None)


def nvidia_smi_path() -> str | None:
    found = shutil.which("nvidia-smi")
    if found or sys.platform != "win32":
        return found
    candidate = os.path.join(
        os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32", "nvidia-smi.exe"
    )
    return candidate if os.path.isfile(candidate) else None


def _run(cmd: list[str]) -> str:
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, creationflags=flags,
                          encoding="utf-8", errors="replace")  # fmt: skip
    if proc.returncode != 0:
        raise OSError((proc.stdout + proc.stderr).strip()[-300:] or f"exit {proc.returncode}")
    return proc.stdout


def from_nvml() -> DriverInfo | None:
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:
        return None
    try:
        driver = pynvml.nvmlSystemGetDriverVersion()
        cuda_int = int(pynvml.nvmlSystemGetCudaDriverVersion())  # 12080 → 12.8
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle).total // (1024 * 1024)
            gpus.append(Gpu(name=name.decode() if isinstance(name, bytes) else str(name),
                            memory_mb=int(memory)))  # fmt: skip
        return DriverInfo(gpus=tuple(gpus), source="nvml",
                          driver=driver.decode() if isinstance(driver, bytes) else str(driver),
                          cuda=f"{cuda_int // 1000}.{(cuda_int % 1000) // 10}")  # fmt: skip
    except Exception:
        return None
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


def from_nvidia_smi(tool: str | None = None) -> DriverInfo:
    tool = tool or nvidia_smi_path()
    if not tool:
        return DriverInfo(gpus=(), driver=None, cuda=None, source="none",
                          error="nvidia-smi was not found (no NVIDIA driver installed)")  # fmt: skip
    try:
        gpus, driver = parse_query(_run([tool, *QUERY]))
        header_driver, cuda = parse_header(_run([tool]))
    except (OSError, subprocess.SubprocessError) as exc:
        return DriverInfo(gpus=(), driver=None, cuda=None, source="nvidia-smi",
                          error=f"nvidia-smi failed: {exc}")  # fmt: skip
    return DriverInfo(gpus=tuple(gpus), driver=driver or header_driver, cuda=cuda,
                      source="nvidia-smi")  # fmt: skip


def detect() -> DriverInfo:
    return from_nvml() or from_nvidia_smi()
