"""``tuneforge chat NAME`` (through the Ollama test double) and ``tuneforge chat --gguf``."""

from __future__ import annotations

import io
import sys

import pytest

from engine.chat import ChatChunk, ChatStats
from engine.cli.cmd_chat import ChatSession
from engine.cli.main import main
from engine.ollama import OllamaClient
from tests.engine.ollama.test_client_models import THINKING_TEMPLATE
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE


@pytest.fixture
def host(ollama_double, tiny_chat_gguf):
    path, digest = tiny_chat_gguf
    client = OllamaClient(ollama_double.url)
    client.push_blob(path, digest)
    client.create("tiny", gguf_digest=digest, template=CHATML_GO_TEMPLATE)
    client.create("thinker", gguf_digest=digest, template=THINKING_TEMPLATE)
    return ollama_double.url


def test_one_question(host, capsys):
    assert main(["chat", "tiny", "--host", host, "-p", "你好", "--verbose", "--seed", "3"]) == 0
    out = capsys.readouterr()
    assert out.out == "You said: 你好\n\n"
    assert "tokens/s" in out.err


def test_thinking_is_shown_apart_or_hidden(host, capsys):
    assert main(["chat", "thinker", "--host", host, "-p", "q"]) == 0
    assert (
        capsys.readouterr().out
        == "Thinking...\nConsidering: q\n...done thinking.\n\nYou said: q\n\n"
    )
    assert main(["chat", "thinker", "--host", host, "-p", "q", "--hide-thinking"]) == 0
    assert capsys.readouterr().out == "You said: q\n\n"
    assert main(["chat", "thinker", "--host", host, "-p", "q", "--no-think"]) == 0
    assert capsys.readouterr().out == "You said: q\n\n"


def test_piped_stdin_is_one_question(host, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("line one\nline two\n"))
    assert main(["chat", "tiny", "--host", host, "--system", "短"]) == 0
    assert capsys.readouterr().out == "You said: line one\nline two\n\n"


def test_repl_keeps_history_and_clears(host, ollama_double, monkeypatch, capsys):
    from engine.chat import open_backend

    lines = iter(["first", "second", "/clear", "third", "/bye"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    session = ChatSession(open_backend(model="tiny", host=host), options={}, think=None, system="S")
    assert session.repl() == 0
    sent = [c.body["messages"] for c in ollama_double.calls("POST", "/api/chat")]
    assert [m["content"] for m in sent[1]] == ["S", "first", "You said: first", "second"]
    assert [m["content"] for m in sent[2]] == ["S", "third"]
    assert "conversation cleared" in capsys.readouterr().err


def test_ctrl_c_stops_one_answer():
    class Interrupted:
        label = "fake"

        def stream(self, messages, **kw):
            yield ChatChunk(content="partial")
            raise KeyboardInterrupt

    out, err = io.StringIO(), io.StringIO()
    session = ChatSession(Interrupted(), options={}, think=None, system=None, out=out, err=err)
    assert session.ask("hi") == 130
    assert session.history == []  # the unfinished turn is not kept
    assert out.getvalue() == "partial\n" and "(stopped)" in err.getvalue()


def test_stats_line_names_an_early_end():
    class Long:
        label = "fake"

        def stream(self, messages, **kw):
            yield ChatChunk(content="a")
            yield ChatChunk(done=True, stats=ChatStats(done_reason="length", completion_tokens=1))

    err = io.StringIO()
    ChatSession(
        Long(), options={}, think=None, system=None, verbose=True, out=io.StringIO(), err=err
    ).ask("x")
    assert "ended: length" in err.getvalue()


def test_argument_errors(host, capsys, tmp_path):
    assert main(["chat"]) == 1
    assert "model name or --gguf" in capsys.readouterr().err
    assert main(["chat", "tiny", "--gguf", str(tmp_path / "x.gguf")]) == 1
    assert main(["chat", "tiny", "--host", host, "--template", str(tmp_path / "t.jinja")]) == 1
    assert "--template only applies to --gguf" in capsys.readouterr().err
    assert main(["chat", "missing", "--host", host, "-p", "x"]) == 1
    assert "no model 'missing:latest'" in capsys.readouterr().err


@pytest.mark.slow
def test_gguf_in_process(tiny_chat_gguf, capsys):
    pytest.importorskip("llama_cpp")
    assert main(["chat", "--gguf", str(tiny_chat_gguf[0]), "-p", "你好", "--ctx", "256"]) == 0
    assert capsys.readouterr().out == "Hi!\n\n"
