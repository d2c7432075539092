"""The llama.cpp we test and ship is the portable build dev.py defines, never a native one.

A native build (``-march=native``) on a machine with AVX-512/AMX puts those instructions into
ggml's CPU backend; on other CPUs the library then dies with SIGILL, and ggml's AMX matmul
crashes on quantized models on Sapphire Rapids class CPUs. dev.py's ``llama_cmake_args()`` is
the one place that sets the flags; this test reads the machine code of the installed library.
"""

from __future__ import annotations

import importlib.util
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dev_module():
    spec = importlib.util.spec_from_file_location("tuneforge_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flags_are_portable_and_key_the_wheel_cache():
    dev = _dev_module()
    args = dev.LLAMA_CMAKE_ARGS_X86.split()
    assert "-DGGML_NATIVE=OFF" in args
    for feature in ("AVX2", "FMA", "F16C"):
        assert f"-DGGML_{feature}=ON" in args
    for feature in ("AVX512", "AMX_TILE", "AMX_INT8", "AMX_BF16"):
        assert f"-DGGML_{feature}=OFF" in args
    assert "native" not in dev.LLAMA_CMAKE_ARGS_OTHER.replace("NATIVE=OFF", "")
    # The cache folder changes with the flags, so a wheel built otherwise is never reused.
    first = dev.llama_wheel_dir()
    dev.LLAMA_CMAKE_ARGS_X86 += " -DGGML_AVX512=ON"
    dev.LLAMA_CMAKE_ARGS_OTHER += " -DGGML_CPU_ALL_VARIANTS=ON"
    assert dev.llama_wheel_dir() != first


def _ggml_cpu_library() -> Path:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        pytest.skip("llama-cpp-python is not installed")
    lib_dir = Path(spec.origin).parent / "lib"
    names = sorted(lib_dir.glob("libggml-cpu*.so")) or sorted(lib_dir.glob("libggml*.so"))
    if not names:
        pytest.skip(f"no ggml shared library in {lib_dir}")
    return names[0]


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() != "x86_64",
    reason="reads x86-64 ELF machine code",
)
def test_installed_ggml_has_no_avx512_or_amx_code():
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump (binutils) is not installed")
    library = _ggml_cpu_library()
    listing = subprocess.run(
        [objdump, "-d", "--no-show-raw-insn", str(library)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    avx512 = len(re.findall(r"%zmm\d+|%k[1-7]\b", listing))
    amx = len(re.findall(r"\b(tdpb\w+|tileloadd\w*|ldtilecfg)\b", listing))
    avx2 = len(re.findall(r"%ymm\d+", listing))
    assert avx512 == 0, f"{library.name} holds {avx512} AVX-512 operands: a native build"
    assert amx == 0, f"{library.name} holds {amx} AMX instructions: a native build"
    assert avx2 > 1000, f"{library.name} has almost no AVX2 code ({avx2}): not the baseline"
