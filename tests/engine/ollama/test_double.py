"""The test double answers like Ollama (raw HTTP, no client code involved), and its
separately written rules agree with the engine's."""

from __future__ import annotations

import hashlib

import pytest
import requests

from engine.errors import InputError
from engine.ollama import validate_model_name
from tests.engine.ollama.test_names import INVALID, VALID
from tests.ollama_double.gotemplate import go_template_error
from tests.ollama_double.names import display, parse_name
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE

DATA = "hello, 世界\n".encode()
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()
UPPER = "sha256:" + DIGEST[7:].upper()


def test_root_and_version(ollama_double):
    assert requests.get(ollama_double.url, timeout=5).text == "Ollama is running"
    assert requests.get(f"{ollama_double.url}/api/version", timeout=5).json() == {
        "version": "0.12.6"
    }


def test_unknown_path_and_method(ollama_double):
    assert requests.get(f"{ollama_double.url}/api/nothing", timeout=5).status_code == 404
    assert requests.get(f"{ollama_double.url}/api/create", timeout=5).status_code == 405


def test_blob_semantics(ollama_double):
    url = f"{ollama_double.url}/api/blobs"
    assert requests.head(f"{url}/sha256:xyz", timeout=5).status_code == 400
    assert requests.head(f"{url}/{DIGEST}", timeout=5).status_code == 404
    assert requests.post(f"{url}/{DIGEST}", data=DATA, timeout=5).status_code == 201
    assert requests.head(f"{url}/{DIGEST}", timeout=5).status_code == 200
    assert requests.post(f"{url}/{DIGEST}", data=DATA, timeout=5).status_code == 200  # had it
    bad = requests.post(f"{url}/sha256:{'0' * 64}", data=DATA, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"].startswith("digest mismatch")


def test_uppercase_digest_as_observed_on_ollama(ollama_double):
    url = f"{ollama_double.url}/api/blobs"
    assert requests.head(f"{url}/{UPPER}", timeout=5).status_code == 404
    resp = requests.post(f"{url}/{UPPER}", data=DATA, timeout=5)
    assert resp.status_code == 400
    assert resp.json()["error"] == f'digest mismatch, expected "{UPPER}", got "{DIGEST}"'
    assert ollama_double.has_blob_file(DIGEST)  # the bytes stay under the lowercase name
    assert requests.head(f"{url}/{UPPER}", timeout=5).status_code == 404


def test_create_errors_before_output_are_http_statuses(ollama_double):
    url = f"{ollama_double.url}/api/create"
    assert requests.post(url, timeout=5).json() == {"error": "missing request body"}
    bad_name = requests.post(url, json={"model": "bad name", "files": {}}, timeout=5)
    assert bad_name.status_code == 400 and bad_name.json() == {"error": "invalid model name"}
    bad_path = requests.post(url, json={"model": "m", "files": {"../x.gguf": DIGEST}}, timeout=5)
    assert bad_path.json() == {"error": "file path must be relative"}
    no_type = requests.post(url, json={"model": "m", "files": {"weights": DIGEST}}, timeout=5)
    assert no_type.status_code == 400 and no_type.json() == {"error": "unknown type"}


def test_create_with_uploaded_non_gguf(ollama_double):
    requests.post(f"{ollama_double.url}/api/blobs/{DIGEST}", data=DATA, timeout=5)
    resp = requests.post(
        f"{ollama_double.url}/api/create",
        json={"model": "m", "files": {"model.gguf": DIGEST}},
        timeout=5,
    )
    assert resp.status_code == 200
    assert resp.text.splitlines()[-1] == '{"error": "supplied file was not in GGUF format"}'


def test_create_without_streaming(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    requests.post(f"{ollama_double.url}/api/blobs/{digest}", data=path.read_bytes(), timeout=10)
    url = f"{ollama_double.url}/api/create"
    ok = requests.post(
        url, json={"model": "m", "files": {"model.gguf": digest}, "stream": False}, timeout=5
    )
    assert ok.status_code == 200 and ok.json() == {"status": "success"}
    bad = requests.post(
        url,
        json={
            "model": "m",
            "files": {"model.gguf": digest},
            "template": "{{ if }",
            "stream": False,
        },
        timeout=5,
    )
    assert bad.status_code == 400 and bad.json()["error"].startswith(
        "template error: template: :1:"
    )


def test_legacy_server_missing_blob_is_a_500(make_ollama_double):
    double = make_ollama_double("0.5.4")
    resp = requests.post(
        f"{double.url}/api/create",
        json={"name": "m", "modelfile": f"FROM @{DIGEST}\n"},
        timeout=5,
    )
    assert resp.status_code == 500 and "no such file or directory" in resp.json()["error"]
    bad = requests.post(
        f"{double.url}/api/create", json={"name": "m", "modelfile": "TEMPLATE x\n"}, timeout=5
    )
    assert bad.status_code == 400 and bad.json() == {"error": "no FROM line"}


def test_delete_answers_an_empty_200(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    requests.post(f"{ollama_double.url}/api/blobs/{digest}", data=path.read_bytes(), timeout=10)
    requests.post(
        f"{ollama_double.url}/api/create",
        json={"model": "m", "files": {"model.gguf": digest}},
        timeout=5,
    )
    first = requests.delete(f"{ollama_double.url}/api/delete", json={"model": "m"}, timeout=5)
    assert first.status_code == 200 and first.content == b""
    again = requests.delete(f"{ollama_double.url}/api/delete", json={"model": "m"}, timeout=5)
    assert again.status_code == 404 and again.json() == {"error": "model 'm' not found"}


def test_chat_is_ndjson_with_final_metrics(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    requests.post(f"{ollama_double.url}/api/blobs/{digest}", data=path.read_bytes(), timeout=10)
    requests.post(
        f"{ollama_double.url}/api/create",
        json={"model": "m", "files": {"model.gguf": digest}, "template": CHATML_GO_TEMPLATE},
        timeout=5,
    )
    resp = requests.post(
        f"{ollama_double.url}/api/chat",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        timeout=5,
    )
    assert resp.headers["content-type"] == "application/x-ndjson"
    import json

    lines = [json.loads(line) for line in resp.text.splitlines()]
    assert [line["done"] for line in lines] == [False, False, False, True]
    assert {"done_reason", "eval_count", "eval_duration", "prompt_eval_count"} <= set(lines[-1])
    gone = requests.post(
        f"{ollama_double.url}/api/chat", json={"model": "x", "messages": []}, timeout=5
    )
    assert gone.status_code == 404 and gone.json() == {"error": "model 'x' not found"}


@pytest.mark.parametrize("name", list(VALID) + list(INVALID), ids=lambda v: repr(v[:20]))
def test_double_and_engine_agree_on_names(name):
    parts = parse_name(name.strip()) if name.strip() else None
    try:
        normal = validate_model_name(name)
    except InputError:
        assert parts is None
    else:
        assert parts is not None and display(parts) == normal


@pytest.mark.parametrize(
    ("template", "error"),
    [
        (CHATML_GO_TEMPLATE, None),
        ("{{ .Prompt }}", None),
        ("{{- if .System }}{{ .System }}{{ else }}x{{ end -}}", None),
        ("{{/* a comment */}}{{ range $i, $m := .Messages }}{{ $m.Content }}{{ end }}", None),
        ("{{ .Prompt ", "template: :1: unclosed action"),
        ("a\n{{ if .System }}", "template: :2: unexpected EOF"),
        ("x {{ end }}", "template: :1: unexpected {{end}}"),
        ("{{ else }}", "template: :1: unexpected {{else}}"),
        ("{{ }}", "template: :1: missing value for command"),
    ],
)
def test_go_template_check(template, error):
    assert go_template_error(template) == error
