"""``/api/create``: the form follows the version, statuses stream, errors are found both as
an HTTP status and as an error line after output started."""

from __future__ import annotations

import pytest
import requests

from engine.errors import InputError
from engine.ollama import BadRequest, OllamaClient, ServerError
from tests.ollama_double.modelfile import parse_modelfile
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE

TEMPLATE = CHATML_GO_TEMPLATE
SYSTEM = '你是一个乐于助人的助手。\nSay "hi" first.'
PARAMS = {"stop": ["<|im_end|>", "<|im_start|>"], "temperature": 0.7, "num_ctx": 4096}


def _uploaded(double, gguf):
    path, digest = gguf
    client = OllamaClient(double.url)
    client.push_blob(path, digest)
    return client, digest


def test_json_form_on_new_server(ollama_double, tiny_chat_gguf):
    client, digest = _uploaded(ollama_double, tiny_chat_gguf)
    statuses = []
    client.create(
        "tiny-json",
        gguf_digest=digest,
        template=TEMPLATE,
        system=SYSTEM,
        parameters={**PARAMS, "stop": "<|im_end|>"},  # one string is sent as a list
        messages=[{"role": "user", "content": "你好"}, {"role": "assistant", "content": "Hi!"}],
        license="MIT",
        on_status=lambda s: statuses.append(s.status),
    )
    body = ollama_double.calls("POST", "/api/create")[-1].body
    assert body["model"] == "tiny-json:latest"
    assert body["files"] == {"model.gguf": digest}
    assert body["parameters"] == {"stop": ["<|im_end|>"], "temperature": 0.7, "num_ctx": 4096}
    assert body["template"] == TEMPLATE and body["system"] == SYSTEM
    assert body["messages"][0] == {"role": "user", "content": "你好"}
    assert "modelfile" not in body
    assert statuses[0] == "parsing GGUF"
    assert statuses[1] == f"using existing layer {digest}"
    assert statuses[-2:] == ["writing manifest", "success"]
    shown = client.show("tiny-json")
    assert shown.template == TEMPLATE and shown.system == SYSTEM and shown.license == "MIT"
    assert shown.parameters == {"stop": ["<|im_end|>"], "temperature": 0.7, "num_ctx": 4096}


def test_modelfile_form_on_old_server(make_ollama_double, tiny_chat_gguf):
    double = make_ollama_double("0.5.4")
    client, digest = _uploaded(double, tiny_chat_gguf)
    client.create(
        "tiny-old", gguf_digest=digest, template=TEMPLATE, system=SYSTEM, parameters=PARAMS
    )
    body = double.calls("POST", "/api/create")[-1].body
    assert set(body) >= {"name", "modelfile"} and "files" not in body
    # read back with the double's own Modelfile parser (written apart from the client)
    commands = parse_modelfile(body["modelfile"])
    assert commands[0] == ("from", "", f"@{digest}")
    assert ("template", "", TEMPLATE) in commands and ("system", "", SYSTEM) in commands
    assert [c for c in commands if c[1] == "stop"] == [
        ("parameter", "stop", "<|im_end|>"),
        ("parameter", "stop", "<|im_start|>"),
    ]
    shown = client.show("tiny-old")
    assert shown.template == TEMPLATE and shown.system == SYSTEM
    assert shown.parameters["stop"] == ["<|im_end|>", "<|im_start|>"]
    assert shown.parameters["temperature"] == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("version", "form"), [("0.5.4", "modelfile"), ("0.5.5", "files"), ("0.0.0", "files")]
)
def test_form_is_gated_on_the_version(make_ollama_double, tiny_chat_gguf, version, form):
    double = make_ollama_double(version)
    client, digest = _uploaded(double, tiny_chat_gguf)
    client.create("gated", gguf_digest=digest)
    assert form in double.calls("POST", "/api/create")[-1].body


def test_wrong_version_string_falls_back_to_the_other_form(make_ollama_double, tiny_chat_gguf):
    double = make_ollama_double("0.5.4")
    client, digest = _uploaded(double, tiny_chat_gguf)
    double.reported_version = "0.12.6"  # says new, takes only the old form
    client.create("liar", gguf_digest=digest)
    bodies = [c.body for c in double.calls("POST", "/api/create")]
    assert "files" in bodies[0] and "modelfile" in bodies[1]


def test_legacy_body_on_new_server_is_refused(ollama_double):
    # what the double (and Ollama ≥ 0.5.5) answers to the old form
    resp = requests.post(
        f"{ollama_double.url}/api/create",
        json={"name": "x", "modelfile": "FROM @sha256:" + "a" * 64},
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": "neither 'from' or 'files' was specified"}


def test_json_body_on_old_server_is_refused(make_ollama_double):
    double = make_ollama_double("0.5.4")
    resp = requests.post(
        f"{double.url}/api/create",
        json={"model": "x", "files": {"model.gguf": "sha256:" + "a" * 64}},
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": "path or Modelfile are required"}


def test_missing_blob_is_an_error_line_after_output(ollama_double):
    resp = requests.post(
        f"{ollama_double.url}/api/create",
        json={"model": "x", "files": {"model.gguf": "sha256:" + "b" * 64}},
        timeout=5,
    )
    assert resp.status_code == 200  # output had started
    lines = resp.text.splitlines()
    assert lines[0] == '{"status": "parsing GGUF"}'
    assert "no such file or directory" in lines[-1] and lines[-1].startswith('{"error"')
    with pytest.raises(ServerError) as info:
        OllamaClient(ollama_double.url).create("x", gguf_digest="sha256:" + "b" * 64)
    assert "deletes uploaded files" in info.value.hint


def test_missing_blob_without_streaming_is_a_500(ollama_double):
    resp = requests.post(
        f"{ollama_double.url}/api/create",
        json={"model": "x", "files": {"model.gguf": "sha256:" + "b" * 64}, "stream": False},
        timeout=5,
    )
    assert resp.status_code == 500 and "no such file" in resp.json()["error"]


def test_bad_template_is_a_bad_request(any_ollama_double, tiny_chat_gguf):
    client, digest = _uploaded(any_ollama_double, tiny_chat_gguf)
    with pytest.raises(BadRequest) as info:
        client.create("t", gguf_digest=digest, template="{{ .Prompt ")
    assert info.value.field == "template"
    assert "unclosed action" in info.value.message
    assert client.list_models() == []


def test_error_line_mid_stream_is_raised(any_ollama_double, tiny_chat_gguf):
    client, digest = _uploaded(any_ollama_double, tiny_chat_gguf)
    any_ollama_double.faults.create_error_after = "writing manifest"
    any_ollama_double.faults.create_error = "write /models/manifests: no space left on device"
    statuses = []
    with pytest.raises(ServerError) as info:
        client.create("t", gguf_digest=digest, on_status=lambda s: statuses.append(s.status))
    assert "no space left on device" in info.value.message
    assert statuses[-1] == "writing manifest"
    assert "success" not in statuses


def test_stream_without_success_is_an_error(ollama_double, tiny_chat_gguf, monkeypatch):
    client, digest = _uploaded(ollama_double, tiny_chat_gguf)
    import engine.ollama.client as client_module

    real = client_module.ndjson_lines
    monkeypatch.setattr(
        client_module,
        "ndjson_lines",
        lambda resp, **kw: (d for d in real(resp, **kw) if d.get("status") != "success"),
    )
    with pytest.raises(ServerError, match="without 'success'"):
        client.create("t", gguf_digest=digest)


def test_invalid_input_is_refused_before_any_request(ollama_double):
    client = OllamaClient(ollama_double.url)
    digest = "sha256:" + "c" * 64
    with pytest.raises(InputError, match="model name"):
        client.create("我的模型", gguf_digest=digest)
    with pytest.raises(InputError, match="number"):
        client.create("m", gguf_digest=digest, parameters={"temperature": "warm"})
    with pytest.raises(InputError, match="unknown parameter"):
        client.create("m", gguf_digest=digest, parameters={"temprature": 0.7})
    with pytest.raises(InputError, match="list of texts"):
        client.create("m", gguf_digest=digest, parameters={"stop": [1]})
    with pytest.raises(InputError, match='"""'):
        client.create("m", gguf_digest=digest, system='say """ no')
    assert ollama_double.requests == []


def test_double_flags_stop_as_a_string(ollama_double, tiny_chat_gguf):
    """The double's strictness (a test assertion, not Ollama behaviour): real Ollama stores
    ``"stop": "x"`` and only fails at chat time. The double does the same, and records it."""
    client, digest = _uploaded(ollama_double, tiny_chat_gguf)
    resp = requests.post(
        f"{ollama_double.url}/api/create",
        json={"model": "s", "files": {"model.gguf": digest}, "parameters": {"stop": "<|im_end|>"}},
        timeout=5,
    )
    assert resp.status_code == 200 and resp.text.splitlines()[-1] == '{"status": "success"}'
    violations = ollama_double.take_violations()
    assert len(violations) == 1 and "parameters.stop" in violations[0]
    with pytest.raises(BadRequest) as info:  # ...and the model cannot chat, as in Ollama
        list(client.chat("s", [{"role": "user", "content": "hi"}]))
    assert 'option "stop" must be of type array' in info.value.message


def test_recreating_overwrites(ollama_double, tiny_chat_gguf):
    client, digest = _uploaded(ollama_double, tiny_chat_gguf)
    client.create("same", gguf_digest=digest, system="one")
    client.create("SAME:latest", gguf_digest=digest, system="two")
    assert [m.name for m in client.list_models()] == ["same:latest"]
    assert client.show("same").system == "two"
