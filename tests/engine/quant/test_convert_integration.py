"""The quantizer inside ``tuneforge convert``: NaN weights are refused with the tensor's
name and nothing is written; the picker's plan and the converter agree on every type."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gguf import GGUFReader

from engine.convert import ConvertSpec, convert_job
from engine.formats.safetensors import ModelWeights
from engine.jobs import run_job

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")


@pytest.mark.parametrize("type_name", ["Q8_0", "Q4_K_M"])
def test_nan_weight_fails_with_the_tensor_name_and_leaves_nothing(
    tiny_models, tmp_path: Path, type_name: str
) -> None:
    model = shutil.copytree(tiny_models("qwen2"), tmp_path / "坏的 模型")
    with ModelWeights(model) as weights:
        info = weights.info("model.layers.1.mlp.up_proj.weight")
        path = next(p for p in model.glob("*.safetensors"))
    assert info.dtype == "BF16"
    with open(path, "r+b") as fh:
        fh.seek(info.begin + 2 * 300)
        fh.write(bytes.fromhex("c07f"))  # bf16 NaN, little-endian
    out_dir = tmp_path / "输出"
    out_dir.mkdir()
    spec = ConvertSpec(model_dir=model, output=out_dir / "m.gguf", out_type=type_name, threads=2)
    outcome = run_job(convert_job, spec)
    assert outcome.status == "failed"
    assert "NaN" in str(outcome.error) and "blk.1.ffn_up.weight" in str(outcome.error)
    assert list(out_dir.iterdir()) == []


def test_general_file_type_is_llama_cpps_number(tiny_models, tmp_path: Path) -> None:
    from engine.jobs import null_context
    from engine.quant import FILE_TYPES

    for name in ("Q5_K_S", "Q3_K_M", "Q2_K", "BF16"):
        out = tmp_path / f"m-{name}.gguf"
        convert_job(
            ConvertSpec(model_dir=tiny_models("llama3"), output=out, out_type=name), null_context()
        )
        field = GGUFReader(out).get_field("general.file_type")
        assert field is not None and field.contents() == FILE_TYPES[name].ftype
