"""The same flows against a real Ollama (``OLLAMA_HOST`` or 127.0.0.1:11434).

Opt-in (``TUNEFORGE_REAL_OLLAMA=1``), skipped when nothing answers. They register a tiny GGUF under a unique name and delete
it again; run them to re-calibrate the test double when Ollama changes.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest
import requests

from engine.chat import join_answer
from engine.jobs import run_job
from engine.modelfile import Modelfile
from engine.ollama import DigestMismatch, ModelNotFound, OllamaClient, RegisterSpec, register_job
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE

pytestmark = pytest.mark.ollama


@pytest.fixture
def model_name(real_ollama_host):
    name = f"tuneforge-test-{uuid.uuid4().hex[:8]}:latest"
    yield name
    try:
        OllamaClient(real_ollama_host).delete(name)
    except ModelNotFound:
        pass


def test_status(real_ollama_host):
    status = OllamaClient(real_ollama_host).status()
    assert status.running and status.version


def test_blob_rules(real_ollama_host, tmp_path):
    data = f"tuneforge probe {uuid.uuid4()}\n".encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = tmp_path / "探针 blob.bin"
    path.write_bytes(data)
    client = OllamaClient(real_ollama_host)
    assert not client.has_blob(digest)
    upper = requests.head(f"{real_ollama_host}/api/blobs/sha256:{digest[7:].upper()}", timeout=5)
    assert upper.status_code in (404, 200)  # 200 only on case-insensitive disks (Windows/macOS)
    with pytest.raises(DigestMismatch):
        client.push_blob(path, "sha256:" + "0" * 64)
    # unique content: Ollama cannot have it, so this is a real upload (201 → True) ...
    assert client.push_blob(path, digest, skip_if_present=False) is True
    assert client.has_blob(digest)
    # ... and the second time it is found and skipped (False)
    assert client.push_blob(path, digest) is False


def test_register_show_chat_delete(real_ollama_host, tiny_chat_gguf, model_name):
    path, digest = tiny_chat_gguf
    spec = RegisterSpec(
        gguf_path=path,
        gguf_sha256=digest,
        name=model_name,
        modelfile=Modelfile(
            from_path=str(path),
            template=CHATML_GO_TEMPLATE,
            parameters={"stop": ["<|im_end|>"], "num_predict": 16},
        ),
        host=real_ollama_host,
    )
    outcome = run_job(register_job, spec)
    assert outcome.ok, outcome.error
    client = OllamaClient(real_ollama_host)
    assert model_name in {m.name for m in client.list_models()}
    details = client.show(model_name)
    assert details.template == CHATML_GO_TEMPLATE
    assert details.parameters["stop"] == ["<|im_end|>"]
    assert details.family == "llama"
    message, stats = join_answer(client.chat(model_name, [{"role": "user", "content": "hello"}]))
    assert stats is not None and stats.done_reason == "stop"
    assert message.content == "Hi!"
    client.delete(model_name)
    with pytest.raises(ModelNotFound):
        client.delete(model_name)
