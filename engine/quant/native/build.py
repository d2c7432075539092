"""Compile ``kquant.c`` into a shared library next to it (``python -m engine.quant.native.build``).

Uses setuptools' compiler abstraction, so it works with gcc/clang and MSVC. Portable flags
only (never ``-march=native``), and floating-point contraction off: the library must do the
very float32 operations of ggml's scalar reference, so no FMA may appear in it
(``-ffp-contract=off -mno-fma``; MSVC ``/fp:precise``, which does not contract). The AVX2
code path is enabled per function in the source and chosen at run time.

A failed build is not an error for Tuneforge: without the library, quantization runs
through ggml as before.
"""

from __future__ import annotations

import importlib
import platform
import shutil
import tempfile
from pathlib import Path

from engine.quant.native import HERE, library_path, supported_machine

SOURCE = HERE / "kquant.c"

UNIX_FLAGS = ["-O2", "-std=gnu99", "-ffp-contract=off", "-fno-fast-math", "-mno-fma",
              "-fvisibility=hidden", "-fPIC"]  # fmt: skip
MSVC_FLAGS = ["/O2", "/fp:precise"]


def build(out: Path | None = None) -> Path:
    """Compile the library to ``out`` (default: next to the source); returns its path."""
    # setuptools first: it provides distutils on Python >= 3.12
    importlib.import_module("setuptools")
    ccompiler = importlib.import_module("distutils.ccompiler")
    sysconfig = importlib.import_module("distutils.sysconfig")

    target = out or library_path()
    compiler = ccompiler.new_compiler()
    sysconfig.customize_compiler(compiler)
    flags = MSVC_FLAGS if compiler.compiler_type == "msvc" else UNIX_FLAGS
    with tempfile.TemporaryDirectory(prefix="tf-kquant-") as tmp:
        objects = compiler.compile(
            [str(SOURCE)], output_dir=tmp, extra_postargs=flags, include_dirs=[str(HERE)]
        )
        partial = Path(tmp) / target.name
        compiler.link_shared_object(objects, str(partial), build_temp=tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(partial), str(target))
    return target


def main() -> int:
    if not supported_machine():
        print(f"K-quant encoder: not built on {platform.machine()} (ggml's path is used)")
        return 0
    try:
        path = build()
    except Exception as exc:  # a missing compiler must not break setup
        print(f"K-quant encoder: build failed, ggml's path will be used ({exc})")
        return 0
    print(f"K-quant encoder: built {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
