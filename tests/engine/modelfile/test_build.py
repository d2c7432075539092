"""build_modelfile / default_parameters on the tiny fixture models, and the CLI."""

from __future__ import annotations

import json
import shutil

import pytest

from engine.cli.main import main as cli_main
from engine.modelfile import (
    DEFAULT_NUM_CTX,
    ParameterError,
    build_modelfile,
    default_parameters,
    parse_modelfile,
)
from tests.fixtures.models import FAMILIES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_come_from_the_model(family, tiny_models):
    model = tiny_models(family)
    params = default_parameters(model)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    generation = json.loads((model / "generation_config.json").read_text(encoding="utf-8"))
    tokenizer_config = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))

    assert params["num_ctx"] == min(DEFAULT_NUM_CTX, config["max_position_embeddings"])
    assert tokenizer_config["eos_token"] in params["stop"]
    for hf, ollama in (
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("top_k", "top_k"),
        ("repetition_penalty", "repeat_penalty"),
    ):
        if hf in generation:
            assert params[ollama] == pytest.approx(generation[hf])
        else:
            assert ollama not in params
    assert isinstance(params["stop"], list) and len(set(params["stop"])) == len(params["stop"])


def test_qwen25_modelfile(tiny_models):
    model = tiny_models("qwen2")
    modelfile = build_modelfile(
        from_path=model / "model.gguf",
        model_dir=model,
        system="你是一个乐于助人的助手。",
        params={"temperature": 0.3, "num_predict": 256},
    )
    assert modelfile.derivation.family == "qwen2.5"
    assert modelfile.derivation.parity.status == "identical"
    assert modelfile.template == modelfile.derivation.go_template
    data = modelfile.parameters_json()
    assert data["temperature"] == 0.3 and data["num_predict"] == 256
    assert data["repeat_penalty"] == pytest.approx(1.05) and data["top_k"] == 20
    assert data["stop"][:2] == ["<|im_end|>", "<|endoftext|>"] and "<|im_start|>" in data["stop"]
    text = modelfile.render()
    assert parse_modelfile(text) == modelfile
    assert 'SYSTEM """你是一个乐于助人的助手。"""' in text


def test_llama3_stops_include_end_of_turn_tokens(tiny_models):
    modelfile = build_modelfile(from_path="x.gguf", model_dir=tiny_models("llama3"))
    stops = modelfile.parameters["stop"]
    assert {"<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<|start_header_id|>"} <= set(stops)
    assert modelfile.parameters["temperature"] == pytest.approx(0.6)


def test_user_stop_replaces_defaults_and_num_ctx_is_capped(tiny_models):
    model = tiny_models("phi3")
    custom = build_modelfile(from_path="x", model_dir=model, params={"stop": ["<|end|>"]})
    assert custom.parameters["stop"] == ["<|end|>"]
    limit = json.loads((model / "config.json").read_text(encoding="utf-8"))[
        "max_position_embeddings"
    ]
    assert (
        build_modelfile(from_path="x", model_dir=model, params={"num_ctx": limit}).parameters[
            "num_ctx"
        ]
        == limit
    )
    with pytest.raises(ParameterError) as err:
        build_modelfile(from_path="x", model_dir=model, params={"num_ctx": limit + 1})
    assert str(limit) in err.value.hint


def test_small_context_models_get_a_smaller_num_ctx(tiny_models, tmp_path):
    model = tmp_path / "小 context"
    shutil.copytree(tiny_models("gemma2"), model)
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    config["max_position_embeddings"] = 1024
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert default_parameters(model)["num_ctx"] == 1024


def test_fallback_leaves_template_out(tiny_models, tmp_path):
    model = tmp_path / "odd template 模型"
    shutil.copytree(tiny_models("qwen2"), model)
    config_path = model / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["chat_template"] = (
        "{% for m in messages %}[{{ loop.index }}]{{ m.content }}{% endfor %}"
        "{% if add_generation_prompt %}[bot]{% endif %}"
    )
    config_path.write_text(json.dumps(config), encoding="utf-8")
    modelfile = build_modelfile(from_path="x.gguf", model_dir=model)
    assert modelfile.template is None and modelfile.derivation.fallback
    assert "TEMPLATE" not in modelfile.render()
    assert modelfile.parameters["stop"] == ["<|im_end|>", "<|endoftext|>"]
    assert any("embedded in the GGUF" in w for w in modelfile.derivation.warnings)


def test_cli_prints_a_modelfile_that_parses_back(tiny_models, capsys, tmp_path):
    model = tiny_models("deepseek_r1_qwen")
    code = cli_main(
        [
            "modelfile",
            str(model),
            "--from",
            "./r1 模型.gguf",
            "--system",
            "Think first.",
            "--param",
            "temperature=0.6",
            "--param",
            "stop=<｜User｜>",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    parsed = parse_modelfile(captured.out)
    assert parsed.from_path == "./r1 模型.gguf"
    assert parsed.system == "Think first."
    assert parsed.parameters["stop"] == ["<｜User｜>"]
    assert parsed.parameters["temperature"] == 0.6
    assert "{{ .Thinking }}" in parsed.template
    assert "parity: identical" in captured.err

    out = tmp_path / "输出 dir" / "Modelfile"
    assert cli_main(["modelfile", str(model), "-o", str(out)]) == 0
    raw = out.read_bytes()
    assert (
        b"\r\n" not in raw
        and raw.decode("utf-8")
        == build_modelfile(from_path=str(model.resolve()), model_dir=model).render()
    )
    assert not list(out.parent.glob("*.partial"))


def test_cli_rejects_bad_params(tiny_models, capsys):
    model = tiny_models("gemma3")
    assert cli_main(["modelfile", str(model), "--param", "temperature=hot"]) == 1
    assert "temperature must be a number" in capsys.readouterr().err
    assert cli_main(["modelfile", str(model), "--param", "colour=red"]) == 1
    assert "Valid parameters:" in capsys.readouterr().err
    assert cli_main(["modelfile", str(model), "--param", "temperature"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
