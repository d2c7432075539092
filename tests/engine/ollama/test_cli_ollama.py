"""``tuneforge ollama status|list|show|rm`` against the test double."""

from __future__ import annotations

import json

import pytest

from engine.cli.main import main
from engine.ollama import OllamaClient
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE


@pytest.fixture
def registered(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    client = OllamaClient(ollama_double.url)
    client.push_blob(path, digest)
    client.create(
        "tiny:v1",
        gguf_digest=digest,
        template=CHATML_GO_TEMPLATE,
        system="你好",
        parameters={"stop": ["<|im_end|>"]},
    )
    return ollama_double.url


def test_status(registered, capsys):
    assert main(["ollama", "--host", registered, "status"]) == 0
    assert "Ollama 0.12.6 is running" in capsys.readouterr().out
    assert main(["ollama", "status", "--json", "--host", registered]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["running"] and data["version"] == "0.12.6" and data["json_create"]


def test_list(registered, capsys):
    assert main(["ollama", "--host", registered, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "PARAMS", "QUANT", "MODIFIED"]
    assert lines[1].startswith("tiny:v1") and "842K" in lines[1] and "F32" in lines[1]
    assert main(["ollama", "ls", "--json", "--host", registered]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "tiny:v1"


def test_show(registered, capsys):
    assert main(["ollama", "--host", registered, "show", "tiny:v1"]) == 0
    out = capsys.readouterr().out
    assert "architecture     llama" in out and '"<|im_end|>"' in out and "你好" in out
    assert main(["ollama", "--host", registered, "show", "tiny:v1", "--template"]) == 0
    assert capsys.readouterr().out == CHATML_GO_TEMPLATE
    assert main(["ollama", "--host", registered, "show", "TINY:V1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["parameters"] == {"stop": ["<|im_end|>"]}


def test_rm_and_missing(registered, capsys):
    assert main(["ollama", "--host", registered, "rm", "tiny:v1"]) == 0
    assert "deleted tiny:v1" in capsys.readouterr().out
    assert main(["ollama", "--host", registered, "show", "tiny:v1"]) == 1
    err = capsys.readouterr().err
    assert "no model 'tiny:v1'" in err and "tuneforge ollama list" in err
    assert main(["ollama", "--host", registered, "list"]) == 0
    assert "no models yet" in capsys.readouterr().out


def test_bad_name_is_refused_before_asking(ollama_double, capsys):
    assert main(["ollama", "--host", ollama_double.url, "rm", "我的模型"]) == 1
    assert "ASCII" in capsys.readouterr().err
    assert ollama_double.requests == []


def test_no_action_prints_help(capsys):
    assert main(["ollama"]) == 2
    assert "status" in capsys.readouterr().out
