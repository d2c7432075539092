"""Issue 12 §3: a model with a missing or an unexpected tensor is refused before anything
is written, naming the tensor and the file; ``inspect`` reports the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.convert import ConvertSpec, convert_job
from engine.errors import InputError
from engine.inspect import inspect_path
from engine.jobs import null_context
from tests.engine.convert.helpers import rewrite_safetensors_header


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


_edit_header = rewrite_safetensors_header


def _shard_with(folder: Path, name: str) -> Path:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return folder / weight_map[name]
    return folder / "model.safetensors"


def _drop(folder: Path, name: str) -> Path:
    shard = _shard_with(folder, name)
    _edit_header(shard, lambda h: h.pop(name))
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        data = json.loads(index.read_text(encoding="utf-8"))
        del data["weight_map"][name]
        index.write_text(json.dumps(data), encoding="utf-8")
    return shard


def _add(folder: Path, name: str, like: str) -> Path:
    shard = _shard_with(folder, like)
    _edit_header(shard, lambda h: h.__setitem__(name, dict(h[like])))
    return shard


def _refused(folder: Path, tmp_path: Path) -> InputError:
    output = tmp_path / "out" / "refused.gguf"
    with pytest.raises(InputError) as err:
        convert_job(ConvertSpec(model_dir=folder, output=output), null_context())
    assert not output.exists() and not output.with_name(output.name + ".partial").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert err.value.hint
    return err.value


def test_missing_down_proj_is_refused_in_every_family(tiny_model, tiny_family, tmp_path):
    folder = _copy(tiny_model, tmp_path / "少了 一个")
    name = "model.layers.1.mlp.down_proj.weight"
    shard = _drop(folder, name)
    err = _refused(folder, tmp_path)
    assert name in str(err) and shard.name in str(err)
    assert "blk.1.ffn_down.weight" in str(err)
    report = inspect_path(folder)
    assert any(name in w and shard.name in w for w in report.warnings)


def test_missing_tensor_names_its_shard(tiny_models, tmp_path):
    folder = _copy(tiny_models("llama3", shards=3), tmp_path / "分片 模型")
    name = "model.layers.1.mlp.down_proj.weight"
    shard = _drop(folder, name)
    err = _refused(folder, tmp_path)
    assert f"'{name}' (blk.1.ffn_down.weight, expected in " in str(err)
    assert shard.name in str(err)  # the shards that hold the rest of layer 1
    assert err.field == name


@pytest.mark.parametrize(
    ("family", "extra", "like"),
    [
        (
            "qwen2",
            "model.layers.0.self_attn.q_norm.weight",
            "model.layers.0.input_layernorm.weight",
        ),
        ("qwen2", "model.layers.1.self_attn.o_proj.bias", "model.layers.1.self_attn.q_proj.bias"),
        ("qwen3", "model.layers.0.self_attn.q_proj.bias", "model.layers.0.input_layernorm.weight"),
        ("llama3", "model.layers.1.mlp.down_proj.bias", "model.layers.1.input_layernorm.weight"),
    ],
)
def test_unexpected_tensor_is_refused(tiny_models, tmp_path, family, extra, like):
    folder = _copy(tiny_models(family), tmp_path / "多了 一个")
    shard = _add(folder, extra, like)
    err = _refused(folder, tmp_path)
    assert f"'{extra}' in {shard.name}" in str(err)
    assert any(extra in w for w in inspect_path(folder).warnings)


def _edit_config(folder: Path, **changes: object) -> None:
    path = folder / "config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    cfg.update(changes)
    path.write_text(json.dumps(cfg), encoding="utf-8")


def test_config_with_more_layers_than_the_weights(tiny_models, tmp_path):
    folder = _copy(tiny_models("mistral"), tmp_path / "m")
    _edit_config(folder, num_hidden_layers=3)
    err = _refused(folder, tmp_path)
    assert "model.layers.2." in str(err) and "blk.2." in str(err)


def test_config_with_fewer_layers_than_the_weights(tiny_models, tmp_path):
    folder = _copy(tiny_models("mistral"), tmp_path / "m")
    _edit_config(folder, num_hidden_layers=1)
    err = _refused(folder, tmp_path)
    assert "model.layers.1." in str(err)


def test_biases_the_config_promises(tiny_models, tmp_path):
    folder = _copy(tiny_models("llama3"), tmp_path / "m")
    _edit_config(folder, attention_bias=True)
    err = _refused(folder, tmp_path)
    assert "model.layers.0.self_attn" in str(err) or "blk.0.attn_q.bias" in str(err)


def test_untied_model_without_lm_head(tiny_models, tmp_path):
    folder = _copy(tiny_models("deepseek_r1_qwen"), tmp_path / "m")
    _drop(folder, "lm_head.weight")
    err = _refused(folder, tmp_path)
    assert "lm_head.weight" in str(err)
