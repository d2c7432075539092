"""One chat interface, two backends: Ollama (the test double) and llama.cpp in-process
(a tiny deterministic GGUF that answers ``Hi!``)."""

from __future__ import annotations

import threading

import pytest

from engine.chat import ChatBackend, ChatMessage, join_answer, open_backend
from engine.errors import InputError
from engine.ollama import OllamaClient
from tests.ollama_double.tiny_gguf import (
    CHATML_GO_TEMPLATE,
    THINKING_CHAIN,
    write_tiny_chat_gguf,
)

CONVERSATION = [
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="user", content="你好 there"),
]


def test_ollama_backend(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    client = OllamaClient(ollama_double.url)
    client.push_blob(path, digest)
    client.create("tiny", gguf_digest=digest, template=CHATML_GO_TEMPLATE)
    backend = open_backend(model="tiny", host=ollama_double.url)
    assert isinstance(backend, ChatBackend) and "tiny:latest" in backend.label
    message, stats = join_answer(backend.stream(CONVERSATION, options={"temperature": 0.1}))
    assert message.content == "You said: 你好 there" and stats.done_reason == "stop"
    sent = ollama_double.calls("POST", "/api/chat")[-1].body
    assert sent["messages"] == [m.to_ollama() for m in CONVERSATION]
    assert sent["options"] == {"temperature": 0.1} and "think" not in sent
    backend.close()


def test_open_backend_needs_exactly_one_source():
    with pytest.raises(ValueError):
        open_backend()
    with pytest.raises(ValueError):
        open_backend(model="a", gguf="b.gguf")


@pytest.fixture(scope="module")
def llama(tiny_chat_gguf):
    pytest.importorskip("llama_cpp")
    backend = open_backend(gguf=tiny_chat_gguf[0], n_ctx=256)
    yield backend
    backend.close()


@pytest.mark.slow
def test_llama_backend_answers_and_stops_on_the_end_token(llama):
    assert isinstance(llama, ChatBackend)
    chunks = list(llama.stream(CONVERSATION))
    message, stats = join_answer(chunks)
    assert message.content == "Hi!"  # then <|im_end|>: EOG, generation stops by itself
    assert stats.done_reason == "stop" and stats.completion_tokens == 3
    assert stats.prompt_tokens == len(llama.prompt_tokens(llama.render(CONVERSATION)))
    assert [c.content for c in chunks[:-1]] == ["H", "i", "!"]


@pytest.mark.slow
def test_llama_backend_options(llama):
    _, stats = join_answer(llama.stream(CONVERSATION, options={"num_predict": 2, "seed": 7}))
    assert stats.done_reason == "length" and stats.completion_tokens == 2
    message, stats = join_answer(llama.stream(CONVERSATION, options={"stop": ["i"]}))
    assert message.content == "H" and stats.done_reason == "stop"
    with pytest.raises(InputError):
        llama.stream(CONVERSATION, options={"temperature": "hot"})


@pytest.mark.slow
def test_llama_backend_cancel(llama):
    cancel = threading.Event()
    cancel.set()
    chunks = list(llama.stream(CONVERSATION, cancel_event=cancel))
    assert chunks[-1].stats.done_reason == "cancelled" and len(chunks) == 1


@pytest.mark.slow
def test_llama_backend_context_overflow(llama):
    long = [ChatMessage(role="user", content="字" * 400)]
    with pytest.raises(InputError, match="context"):
        llama.stream(long)


@pytest.mark.slow
def test_llama_backend_splits_thinking(tmp_path):
    pytest.importorskip("llama_cpp")
    path = tmp_path / "思考 模型.gguf"
    write_tiny_chat_gguf(path, chain=THINKING_CHAIN)
    backend = open_backend(gguf=path, n_ctx=256)
    message, stats = join_answer(backend.stream([ChatMessage(role="user", content="q")]))
    backend.close()
    assert (message.thinking, message.content) == ("hm", "OK")
    assert stats.done_reason == "stop"


@pytest.mark.slow
def test_llama_backend_template_override_and_missing(tmp_path):
    pytest.importorskip("llama_cpp")
    path = tmp_path / "无模板.gguf"
    write_tiny_chat_gguf(path, chat_template=None)
    with pytest.raises(InputError, match="no chat template"):
        open_backend(gguf=path)
    # a template that ends the prompt with "\n" too: same chain, same answer (a literal
    # trailing newline would be dropped: Jinja's keep_trailing_newline is off, as in HF)
    plain = "{% for m in messages %}{{ m.content }}{% endfor %}{{ '\\n' }}"
    backend = open_backend(gguf=path, template=plain, n_ctx=128)
    message, _ = join_answer(backend.stream([ChatMessage(role="user", content="x")]))
    backend.close()
    assert message.content == "Hi!"


def test_llama_backend_refuses_a_non_gguf(tmp_path):
    pytest.importorskip("llama_cpp")
    path = tmp_path / "假的.gguf"
    path.write_bytes(b"not a gguf at all")
    with pytest.raises(InputError, match="GGUF"):
        open_backend(gguf=path)
    with pytest.raises(InputError, match="does not exist"):
        open_backend(gguf=tmp_path / "missing.gguf")
