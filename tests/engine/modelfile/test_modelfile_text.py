"""Modelfile rendering and parsing follow Ollama's parser: round trips and bad input."""

from __future__ import annotations

import pytest

from engine.modelfile import (
    Modelfile,
    ModelfileError,
    ModelfileMessage,
    ParameterError,
    parse_modelfile,
)
from engine.template.families import load_families

TRICKY_VALUES = [
    "plain",
    "\nleading and trailing newlines\n\n",
    "  spaces around  ",
    'ends with a quote"',
    '"starts with a quote',
    'say "hi" and ""twice""',
    "中文 系统提示，emoji 🚀, tabs\tand back\\slashes C:\\Users\\DK\\投喂的资料",
    "{{ if .System }}{{ .System }}{{ end }}",
    "# not a comment\nPARAMETER stop fake\nFROM nothing",
]


def _family_templates() -> list[str]:
    return [variant.go_source() for family in load_families() for variant in family.variants]


@pytest.mark.parametrize("value", TRICKY_VALUES + _family_templates())
def test_template_and_system_round_trip(value):
    modelfile = Modelfile(
        from_path="C:\\Users\\DK\\Desktop\\投喂的资料\\my model.gguf",
        template=value,
        system=value,
        parameters={"stop": ["<|im_end|>", value], "temperature": 0.7, "num_ctx": 4096},
        messages=(ModelfileMessage(role="user", content=value),),
        licenses=(value,),
    )
    text = modelfile.render()
    assert text.endswith("\n") and "\r\n" not in text.replace(value, "")
    back = parse_modelfile(text)
    assert back == modelfile
    assert back.parameters_json()["stop"] == ["<|im_end|>", value]


def test_rendered_layout_matches_ollama_style():
    text = Modelfile(
        from_path="./model.gguf",
        template="{{ .Prompt }}",
        system="You are helpful.",
        parameters={"num_ctx": 2048, "temperature": 0.6, "stop": ["<|eot_id|>", "</s>"], "seed": 3},
    ).render()
    assert text == (
        "FROM ./model.gguf\n"
        'TEMPLATE """{{ .Prompt }}"""\n'
        'SYSTEM """You are helpful."""\n'
        "PARAMETER num_ctx 2048\n"
        "PARAMETER temperature 0.6\n"
        "PARAMETER seed 3\n"
        'PARAMETER stop "<|eot_id|>"\n'
        'PARAMETER stop "</s>"\n'
    )


def test_parses_a_hand_written_modelfile():
    text = (
        "\ufeff# my model\n"
        "from   ./qwen 2.5.gguf  \n"
        "\n"
        "parameter temperature 0.8\n"
        "PARAMETER stop <|im_end|>\n"
        'PARAMETER stop "<|im_start|>"\n'
        "PARAMETER num_ctx 8192\n"
        "PARAMETER use_mmap false\n"
        'TEMPLATE """{{ range .Messages }}\n{{ .Content }}{{ end }}\n"""\n'
        "SYSTEM 你是助手\n"
        'MESSAGE user "Hi"\n'
        'MESSAGE assistant """Hello\nthere"""\n'
        "ADAPTER ./lora\n"
    )
    parsed = parse_modelfile(text)
    assert parsed.from_path == "./qwen 2.5.gguf"
    assert parsed.system == "你是助手"
    assert parsed.template == "{{ range .Messages }}\n{{ .Content }}{{ end }}\n"
    assert parsed.parameters_json() == {
        "num_ctx": 8192,
        "temperature": 0.8,
        "use_mmap": False,
        "stop": ["<|im_end|>", "<|im_start|>"],
    }
    assert parsed.messages == (
        ModelfileMessage(role="user", content="Hi"),
        ModelfileMessage(role="assistant", content="Hello\nthere"),
    )
    assert parsed.adapters == ("./lora",)


def test_parameters_json_types():
    mf = Modelfile(
        from_path="m.gguf",
        parameters={"num_ctx": "4096", "temperature": 1, "top_p": "0.9", "stop": "</s>"},
    )
    data = mf.parameters_json()
    assert data == {"num_ctx": 4096, "temperature": 1.0, "top_p": 0.9, "stop": ["</s>"]}
    assert type(data["num_ctx"]) is int and type(data["temperature"]) is float
    body = mf.create_fields()
    assert body == {"parameters": data}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template": 'a """ b'}, '"""'),
        ({"system": 'the end"""'}, '"""'),
        ({"system": "zero\u200bwidth"}, "U+200B"),
        ({"template": "ideographic\u3000space"}, "U+3000"),
        ({"parameters": {"stop": ['"""']}}, '"""'),
        ({"from_path": "two\nlines.gguf"}, "cannot span lines"),
    ],
)
def test_values_a_modelfile_cannot_hold(kwargs, message):
    modelfile = Modelfile(**{"from_path": "m.gguf", **kwargs})
    with pytest.raises(ModelfileError) as err:
        modelfile.render()
    assert message in err.value.message


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"temperature": "hot"}, "temperature must be a number"),
        ({"num_ctx": 1.5}, "whole number"),
        ({"num_ctx": "2k"}, "num_ctx must be a whole number"),
        ({"top_k": True}, "must be a number"),
        ({"stop": 5}, "list of texts"),
        ({"stop": ["ok", ""]}, "cannot be empty"),
        ({"use_mmap": "maybe"}, "true or false"),
        ({"top_p": 1.5}, "at most 1"),
        ({"num_ctx": 0}, "at least 1"),
        ({"temperature": float("nan")}, "finite"),
    ],
)
def test_invalid_parameter_types(params, fragment):
    with pytest.raises(ParameterError) as err:
        Modelfile(from_path="m.gguf", parameters=params)
    assert fragment in err.value.message


def test_unknown_parameter_lists_the_valid_ones():
    with pytest.raises(ParameterError) as err:
        Modelfile(from_path="m.gguf", parameters={"temprature": 0.1})
    assert "unknown parameter 'temprature'" in err.value.message
    assert "temperature" in err.value.hint and "num_ctx" in err.value.hint


@pytest.mark.parametrize(
    ("text", "fragment", "line"),
    [
        ("FROM m.gguf\nPARAMETER temperature warm\n", "temperature must be a number", 2),
        ("FROM m.gguf\nPARAMETER nope 1\n", "unknown parameter 'nope'", 2),
        ("FROM m.gguf\n\nTEMPLATES x\n", "unknown command", 3),
        ("FROM m.gguf\nMESSAGE tool hi\n", "MESSAGE role", 2),
        ('FROM m.gguf\nSYSTEM """never closed\n', "unterminated", 2),
        ("PARAMETER num_ctx 10\n", "no FROM line", None),
        ("FROM a\nFROM b\n", "more than one FROM", 2),
    ],
)
def test_parse_errors_name_the_line(text, fragment, line):
    with pytest.raises(ModelfileError) as err:
        parse_modelfile(text)
    assert fragment in err.value.message
    if line is not None:
        assert err.value.line == line


def test_value_continues_until_quotes_close_even_across_spaces():
    text = 'FROM m\nSYSTEM "one\n  two" \nPARAMETER seed 1\n'
    parsed = parse_modelfile(text)
    assert parsed.system == "one\n  two"
    assert parsed.parameters == {"seed": 1}
