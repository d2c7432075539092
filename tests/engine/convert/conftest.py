"""Session fixtures of the converter tests: converted tiny models (cached per family and
type) and llama.cpp's own conversion of the same folders, for comparison."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.convert import ConvertResult, ConvertSpec, convert_job
from engine.jobs import null_context
from tests.engine.convert.helpers import read_gguf
from tests.fixtures.models import FAMILIES

REFERENCE_SCRIPT = Path(__file__).with_name("llama_reference.py")


@pytest.fixture(scope="session")
def gguf_out_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("转换 输出")


@pytest.fixture(scope="session")
def converted(tiny_models, gguf_out_root):
    """Factory: converted(family, out_type="f16", dtype="bfloat16", shards=1,
    config_style="hub") -> ConvertResult (GGUF of the tiny model, built once)."""
    cache: dict[tuple, ConvertResult] = {}

    def get(
        family: str,
        out_type: str = "f16",
        *,
        dtype: str = "bfloat16",
        shards: int = 1,
        config_style: str = "hub",
    ) -> ConvertResult:
        key = (family, out_type, dtype, shards, config_style)
        if key not in cache:
            model_dir = tiny_models(family, dtype=dtype, shards=shards, config_style=config_style)
            output = (
                gguf_out_root / f"{family} {dtype} {shards} {config_style} 模型-{out_type}.gguf"
            )
            spec = ConvertSpec(
                model_dir=model_dir, output=output, out_type=out_type, model_name=family
            )
            cache[key] = convert_job(spec, null_context())
        return cache[key]

    return get


@pytest.fixture(scope="session")
def llama_reference(llama_src_dir, tiny_models, converted, gguf_out_root):
    """Factory: llama_reference(family) -> Path of llama.cpp's own f16 conversion.

    All families are converted in one child process (torch and transformers are
    imported once). Skips when llama.cpp's converter cannot run here."""
    pytest.importorskip("torch", reason="llama.cpp's converter needs torch")
    script = llama_src_dir / "convert_hf_to_gguf.py"
    if not script.is_file():
        pytest.skip(f"convert_hf_to_gguf.py is not in {llama_src_dir}")
    outputs: dict[str, Path] = {}
    args: list[str] = []
    for family in FAMILIES:
        ours = read_gguf(converted(family).output)
        out = gguf_out_root / f"{family} llama.cpp-f16.gguf"
        args += [str(tiny_models(family)), str(out), ours.keys["tokenizer.ggml.pre"][1]]
        outputs[family] = out
    proc = subprocess.run(
        [sys.executable, str(REFERENCE_SCRIPT), str(llama_src_dir), "f16", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"llama.cpp's converter failed:\n{proc.stderr[-3000:]}")
    return outputs.__getitem__
