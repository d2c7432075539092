"""Model names are checked with Ollama's rules (types/model/name.go) before any work."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.ollama import parse_model_name, same_model, validate_model_name

VALID = {
    "mymodel": "mymodel:latest",
    "my-model:v2": "my-model:v2",
    "Qwen2.5-7B_ft:q4_K_M": "Qwen2.5-7B_ft:q4_K_M",
    "_under:_tag": "_under:_tag",
    "me/mymodel": "me/mymodel:latest",
    "library/mymodel:1.0": "mymodel:1.0",  # the default namespace is not shown
    "registry.ollama.ai/library/mymodel": "mymodel:latest",
    "myhost:5000/team/model:tag": "myhost:5000/team/model:tag",  # a host may carry a port
    "https://myhost/team/model": "myhost/team/model:latest",
    "a" * 80: "a" * 80 + ":latest",
    "m:" + "t" * 80: "m:" + "t" * 80,
}

INVALID = {
    "": "empty",
    "   ": "empty",
    "-model": "starts with '-'",
    ".model": "starts with '.'",
    "my model": "contains ' '",
    "模型": "starts with '模'",
    "model中文": "contains '中'",
    "model:": "nothing after ':'",
    ":tag": "nothing before ':'",
    "ns//model": "nothing after '/'",
    "/model": "nothing before '/'",
    "name.space/model": "namespace part",  # '.' is not allowed in a namespace
    "model:ta/g": "contains",  # '/' splits first, then ':' is in the model part
    "a" * 81: "81 characters",
    "m:" + "t" * 81: "81 characters",
    "a/b/c/d": "contains '/'",
    "model@sha256:abc": "contains '@'",
}


@pytest.mark.parametrize(("name", "normal"), VALID.items(), ids=lambda v: v[:30])
def test_valid_names_are_normalized(name, normal):
    assert validate_model_name(name) == normal


@pytest.mark.parametrize(("name", "rule"), INVALID.items(), ids=lambda v: repr(v[:30]))
def test_invalid_names_say_which_rule(name, rule):
    with pytest.raises(InputError) as info:
        validate_model_name(name)
    assert rule in info.value.message
    assert info.value.field == "name"
    assert "ASCII" in info.value.hint


def test_chinese_name_hint_suggests_pinyin():
    with pytest.raises(InputError) as info:
        validate_model_name("qwen-中文")
    assert "pinyin" in info.value.hint


def test_lookups_are_case_insensitive_and_default_the_tag():
    assert same_model("MyModel", "mymodel:latest")
    assert same_model("me/M:V1", "ME/m:v1")
    assert not same_model("mymodel:v1", "mymodel:v2")
    assert not same_model("bad name", "bad name")


def test_parts():
    parsed = parse_model_name("team/model:tag")
    assert (parsed.host, parsed.namespace, parsed.model, parsed.tag) == (
        "registry.ollama.ai",
        "team",
        "model",
        "tag",
    )
