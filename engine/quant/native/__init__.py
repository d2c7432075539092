"""Tuneforge's own C K-quant encoder (``kquant.c``), built by ``dev.py setup`` and the
installer with :mod:`engine.quant.native.build`; loaded by :mod:`engine.quant.kquant`."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def library_name() -> str:
    if sys.platform == "win32":
        return "tf_kquant.dll"
    if sys.platform == "darwin":
        return "libtf_kquant.dylib"
    return "libtf_kquant.so"


def library_path() -> Path:
    return HERE / library_name()


def supported_machine() -> bool:
    """The encoder exists for x86-64 only (elsewhere ggml's build may fuse multiply-adds)."""
    return platform.machine().lower() in {"x86_64", "amd64", "x64"}
