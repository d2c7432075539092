"""``engine.package.prepare``: what packaging a source will do, read once for CLI and GUI."""

from __future__ import annotations

import json
import shutil

import pytest

from engine.cli.main import main
from engine.convert import ConvertSpec, convert_job
from engine.convert.estimate import quant_choices_for_model
from engine.jobs import SourceKind, Stage, null_context
from engine.jobs.codec import to_plain
from engine.package import package_stages, prepare

pytestmark = pytest.mark.slow


def _sizes(choices):
    return {c.file_type.name: c.output_bytes for c in choices}


def test_model_folder(tiny_models):
    model = tiny_models("qwen2")
    prepared = prepare(model)
    assert prepared.kind is SourceKind.HF_MODEL and prepared.kind == "hf_model"
    assert prepared.report.model.architecture == "Qwen2ForCausalLM"
    # the exact sizes of the converter's tensor plan, one recommended with its reason
    assert _sizes(prepared.quant_choices) == _sizes(quant_choices_for_model(model))
    (best,) = [c for c in prepared.quant_choices if c.recommended]
    assert best.reason
    assert prepared.template is not None and prepared.template.parity is True
    assert "<|im_start|>" in prepared.template.template
    assert prepared.stages == package_stages("hf_model") and Stage.MERGE not in prepared.stages
    assert not prepared.needs_base


def test_adapter_uses_its_base(tiny_lora_adapter, tiny_models, tmp_path):
    base = tiny_models("qwen2")
    adapter = tmp_path / "我的 adapter"
    shutil.copytree(tiny_lora_adapter, adapter)
    prepared = prepare(adapter, base)
    assert prepared.kind is SourceKind.LORA_ADAPTER
    assert prepared.base_report is not None and prepared.base_report.path == str(base)
    assert _sizes(prepared.quant_choices) == _sizes(quant_choices_for_model(base))
    assert prepared.template is not None and prepared.template.parity is True
    assert prepared.stages[0] == Stage.MERGE and len(prepared.stages) == 6


def test_adapter_without_a_base_says_so(tiny_lora_adapter, tmp_path):
    adapter = tmp_path / "adapter"
    shutil.copytree(tiny_lora_adapter, adapter)
    config = adapter / "adapter_config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["base_model_name_or_path"] = str(tmp_path / "gone")
    config.write_text(json.dumps(data), encoding="utf-8")
    prepared = prepare(adapter)
    assert prepared.needs_base and prepared.quant_choices == ()
    assert "base model" in prepared.quant_note


def test_gguf_sources(tiny_models, tmp_path):
    model = tiny_models("qwen2")
    f16 = tmp_path / "模型 f16.gguf"
    q8 = tmp_path / "q8.gguf"
    for out, kind in ((f16, "F16"), (q8, "Q8_0")):
        convert_job(ConvertSpec(model_dir=model, output=out, out_type=kind), null_context())
    unquantized = prepare(f16)
    assert unquantized.kind is SourceKind.GGUF and unquantized.kept_file_type == "F16"
    # re-quantizing an F16 GGUF offers the same tensor plan as converting the folder
    from_folder = _sizes(quant_choices_for_model(model))
    for name, size in _sizes(unquantized.quant_choices).items():
        assert abs(size - from_folder[name]) < 0.05 * size + 64 * 1024, name
    assert unquantized.template is not None and unquantized.template.parity is True
    quantized = prepare(q8)
    assert quantized.quant_choices == () and "already quantized" in quantized.quant_note
    assert quantized.kept_file_type == "Q8_0"
    # it travels as plain JSON (stages and kinds as strings)
    plain = json.loads(json.dumps(to_plain(quantized)))
    assert plain["kind"] == "gguf" and plain["stages"][0] == "convert"


def test_inspect_plan_cli(tiny_models, capsys):
    model = tiny_models("qwen2")
    assert main(["inspect", str(model), "--plan"]) == 0
    out = capsys.readouterr().out
    assert "Q4_K_M" in out and "recommended" in out and "parity identical" in out
    assert main(["inspect", str(model), "--plan", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    sizes = {row["type"]: row["bytes"] for row in data["plan"]["quant_choices"]}
    assert sizes == _sizes(quant_choices_for_model(model))
    assert data["plan"]["stages"] == ["convert", "modelfile", "upload", "create", "smoke"]
