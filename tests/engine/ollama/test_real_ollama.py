"""The same flows against a real Ollama (``OLLAMA_HOST`` or 127.0.0.1:11434).

Opt-in (``TUNEFORGE_REAL_OLLAMA=1``), skipped when nothing answers. They register a tiny
GGUF under a unique name and delete it again; run them to re-calibrate the test double
(tests/ollama_double) when Ollama changes. Marker ``ollama``.

Run them against **both worlds**, an old server (0.12-like: Ollama's own runner, the Go
TEMPLATE always renders) and a new one (0.30 or later: llama.cpp's llama-server runs the
GGUF and may render its embedded Jinja instead). Each server on its own port and its own
model folder, so neither touches your real models::

    # an old server, e.g. the 0.12.6 release binary
    OLLAMA_HOST=127.0.0.1:11501 OLLAMA_MODELS=/tmp/ollama-old ./ollama-0.12.6 serve &
    TUNEFORGE_REAL_OLLAMA=1 OLLAMA_HOST=127.0.0.1:11501 \
        pytest -m ollama tests/engine/ollama/test_real_ollama.py

    # a new server, e.g. built from source (git checkout v0.32.15; go build .)
    OLLAMA_HOST=127.0.0.1:11502 OLLAMA_MODELS=/tmp/ollama-new ./ollama serve &
    TUNEFORGE_REAL_OLLAMA=1 OLLAMA_HOST=127.0.0.1:11502 \
        pytest -m ollama tests/engine/ollama/test_real_ollama.py

(On Windows: ``set OLLAMA_HOST=…`` / ``$env:OLLAMA_HOST=…`` and ``ollama.exe serve``.)
Leave ``OLLAMA_GO_TEMPLATE`` unset on the new server: the tests check the default
template selection. The tests read the server's version and expect what that world does;
a test that fails names the double's guess to fix (each guess cites the Ollama source
file it follows).
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
from engine.ollama.versions import parse_version
from tests.ollama_double.prompt import count_tokens
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE, write_tiny_chat_gguf

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
    assert details.template == CHATML_GO_TEMPLATE  # equal capabilities: the Go template runs
    assert details.parameters["stop"] == ["<|im_end|>"]
    assert details.family == "llama"
    message, stats = join_answer(client.chat(model_name, [{"role": "user", "content": "hello"}]))
    assert stats is not None and stats.done_reason == "stop"
    assert message.content == "Hi!"
    client.delete(model_name)
    with pytest.raises(ModelNotFound):
        client.delete(model_name)


def _new_world(host: str) -> bool:
    return parse_version(OllamaClient(host).status().version or "") >= (0, 30, 0)


def test_create_statuses_and_stored_digest(real_ollama_host, tiny_chat_gguf, model_name):
    """≥ 0.30 rewrites the GGUF (llama-quantize COPY) under a new digest; older servers
    keep the uploaded blob (tests/ollama_double/rewrite.py)."""
    path, digest = tiny_chat_gguf
    client = OllamaClient(real_ollama_host)
    client.push_blob(path, digest)
    statuses: list[str] = []
    client.create(
        model_name,
        gguf_digest=digest,
        template=CHATML_GO_TEMPLATE,
        on_status=lambda s: statuses.append(s.status),
    )
    layer_lines = [s for s in statuses if s.endswith(tuple("0123456789abcdef")) and "sha256:" in s]
    if _new_world(real_ollama_host):
        assert "verifying conversion" in statuses
        assert digest not in layer_lines[0]
    else:
        assert layer_lines[0] == f"using existing layer {digest}"


# ChatML that offers tools (like Qwen2.5's): more capabilities than the Go template.
TOOLS_JINJA = (
    "{% if tools %}<|im_start|>system\nTools: {{ tools | tojson }}<|im_end|>\n{% endif %}"
    "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}"
    "<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_template_selection_and_prompt_count(real_ollama_host, tmp_path, model_name):
    """The template /api/show reports, and prompt_eval_count (num_predict 1) = llama.cpp's
    tokens of the prompt that template renders (tests/ollama_double/selection.py, prompt.py)."""
    path = tmp_path / "工具 tools.gguf"
    digest = write_tiny_chat_gguf(path, chat_template=TOOLS_JINJA)
    client = OllamaClient(real_ollama_host)
    client.push_blob(path, digest)
    client.create(model_name, gguf_digest=digest, template=CHATML_GO_TEMPLATE)
    details = client.show(model_name)
    if _new_world(real_ollama_host):
        assert details.template == TOOLS_JINJA and "tools" in details.capabilities
    else:
        assert details.template == CHATML_GO_TEMPLATE
    messages = [{"role": "user", "content": "Hello there"}]
    _, stats = join_answer(client.chat(model_name, messages, options={"num_predict": 1}))
    rendered = "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n"
    assert stats is not None and stats.prompt_tokens == count_tokens(path, rendered)
