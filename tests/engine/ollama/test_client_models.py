"""list / show / delete, and the streamed chat (content and thinking apart, final stats)."""

from __future__ import annotations

import threading
import time

import pytest

from engine.chat import join_answer
from engine.ollama import BadRequest, ModelNotFound, OllamaClient, ServerError
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE

THINKING_TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n"
    "{{- if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}"
    "{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"
)


@pytest.fixture
def client_with_model(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    client = OllamaClient(ollama_double.url)
    client.push_blob(path, digest)
    client.create(
        "tiny",
        gguf_digest=digest,
        template=CHATML_GO_TEMPLATE,
        parameters={"stop": ["<|im_end|>"], "num_predict": 100},
    )
    client.create("thinker:v1", gguf_digest=digest, template=THINKING_TEMPLATE)
    return client


def test_list_models(client_with_model):
    models = {m.name: m for m in client_with_model.list_models()}
    assert set(models) == {"tiny:latest", "thinker:v1"}
    tiny = models["tiny:latest"]
    assert tiny.family == "llama" and tiny.quantization_level == "F32" and tiny.format == "gguf"
    assert tiny.parameter_size == "842K" and tiny.size > 3_000_000 and len(tiny.digest) == 64


def test_show(client_with_model):
    details = client_with_model.show("TINY")  # lookups are case-insensitive
    assert details.name == "TINY:latest"
    assert details.template == CHATML_GO_TEMPLATE
    assert details.parameters == {"num_predict": 100, "stop": ["<|im_end|>"]}
    assert details.model_info["general.architecture"] == "llama"
    assert details.capabilities == ("completion",)
    assert client_with_model.show("thinker:v1").capabilities == ("completion", "thinking")
    assert "FROM " in details.modelfile


def test_show_and_delete_missing(client_with_model):
    with pytest.raises(ModelNotFound) as info:
        client_with_model.show("nope")
    assert info.value.status == 404 and "ollama list" in info.value.hint
    with pytest.raises(ModelNotFound):
        client_with_model.delete("nope")


def test_delete_removes_model_and_unused_blobs(ollama_double, client_with_model, tiny_chat_gguf):
    client_with_model.delete("tiny")
    assert [m.name for m in client_with_model.list_models()] == ["thinker:v1"]
    assert client_with_model.has_blob(tiny_chat_gguf[1])  # still used by thinker
    client_with_model.delete("thinker:v1")
    assert ollama_double.blob_names() == set()
    with pytest.raises(ModelNotFound):
        client_with_model.delete("tiny")  # again → 404


def test_chat_streams_content_and_stats(client_with_model):
    chunks = list(client_with_model.chat("tiny", [{"role": "user", "content": "你好 世界"}]))
    assert all(not c.done for c in chunks[:-1]) and chunks[-1].done
    message, stats = join_answer(chunks)
    assert message.content == "You said: 你好 世界" and message.thinking == ""
    assert stats.done_reason == "stop" and stats.completion_tokens == 4
    # The ChatML prompt as llama.cpp tokenizes it with the tiny vocabulary: 32 characters,
    # bytes and special tokens, plus the "▁" SentencePiece puts before each of the 3 text
    # pieces that follow a special token.
    assert stats.prompt_tokens == 35 and stats.completion_seconds == pytest.approx(0.004)
    assert stats.tokens_per_second == pytest.approx(1000)


def test_chat_thinking_is_separate(client_with_model):
    message, _ = join_answer(
        client_with_model.chat("thinker:v1", [{"role": "user", "content": "x"}])
    )
    assert message.thinking == "Considering: x" and message.content == "You said: x"
    message, _ = join_answer(
        client_with_model.chat("thinker:v1", [{"role": "user", "content": "x"}], think=False)
    )
    assert message.thinking == ""


def test_chat_think_on_a_model_that_cannot(client_with_model):
    with pytest.raises(BadRequest) as info:
        client_with_model.chat("tiny", [{"role": "user", "content": "x"}], think=True)
    assert info.value.field == "think"


def test_chat_options_and_length(ollama_double, client_with_model):
    chunks = list(
        client_with_model.chat(
            "tiny",
            [{"role": "user", "content": "a b c d e"}],
            options={"num_predict": 3, "seed": 1},
        )
    )
    assert chunks[-1].stats.done_reason == "length" and chunks[-1].stats.completion_tokens == 3
    body = ollama_double.calls("POST", "/api/chat")[-1].body
    assert body["options"] == {"num_predict": 3, "seed": 1} and body["stream"] is True


def test_chat_missing_model(client_with_model):
    with pytest.raises(ModelNotFound):
        client_with_model.chat("gone", [{"role": "user", "content": "x"}])


def test_chat_error_mid_stream(ollama_double, client_with_model):
    ollama_double.faults.chat_error_after_chunks = 2
    ollama_double.faults.chat_error = "llama runner process has terminated: exit status 2"
    got = []
    with pytest.raises(ServerError) as info:
        for chunk in client_with_model.chat("tiny", [{"role": "user", "content": "a b c"}]):
            got.append(chunk.content)
    assert got == ["You ", "said: "]
    assert "runner process has terminated" in info.value.message


def test_chat_cancel_while_the_model_loads(ollama_double, client_with_model):
    ollama_double.faults.chat_first_chunk_delay = 5.0
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    chunks = list(
        client_with_model.chat("tiny", [{"role": "user", "content": "x"}], cancel_event=cancel)
    )
    assert time.monotonic() - started < 3  # did not wait for the "model" to load
    assert chunks[-1].done and chunks[-1].stats.done_reason == "cancelled"


def test_chat_cancel_between_chunks(client_with_model):
    cancel = threading.Event()
    words = " ".join(f"w{i}" for i in range(200))
    got = []
    for chunk in client_with_model.chat(
        "tiny", [{"role": "user", "content": words}], cancel_event=cancel
    ):
        got.append(chunk)
        if len(got) == 3:
            cancel.set()
    assert got[-1].stats.done_reason == "cancelled"
    assert len(got) == 4  # three answer chunks, then the end
