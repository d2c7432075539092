"""llama.cpp runs in a child process: a native crash there is a clear error, never the end
of the CLI, the package job or the test run. ``TUNEFORGE_TEST_CRASH`` (read only by the
child, engine/chat/llama_child.py) makes the child abort or segfault on purpose."""

from __future__ import annotations

import os
import sys

import pytest

from engine.chat import ChatMessage, join_answer, open_backend
from engine.chat.child_backend import ChildLlamaBackend
from engine.chat.errors import NativeCrashError, signal_name
from engine.cli.main import main

pytestmark = pytest.mark.slow

QUESTION = [ChatMessage(role="user", content="你好")]
POSIX = sys.platform != "win32"


@pytest.fixture(autouse=True)
def _needs_llama():
    pytest.importorskip("llama_cpp")


def _crash(monkeypatch, kind: str, at: str) -> None:
    monkeypatch.setenv("TUNEFORGE_TEST_CRASH", kind)
    monkeypatch.setenv("TUNEFORGE_TEST_CRASH_AT", at)


def test_signal_names():
    assert signal_name(-11) == "SIGSEGV" and signal_name(-6) == "SIGABRT"
    assert signal_name(0xC0000005) == "exit code 0xC0000005" and signal_name(3) == "exit code 3"


@pytest.mark.parametrize(("kind", "expected"), [("abort", "SIGABRT"), ("segv", "SIGSEGV")])
def test_crash_at_load_is_a_structured_error(tiny_chat_gguf, monkeypatch, kind, expected):
    _crash(monkeypatch, kind, "load")
    with pytest.raises(NativeCrashError) as info:
        open_backend(gguf=tiny_chat_gguf[0], n_ctx=256)
    err = info.value
    if POSIX:
        assert err.signal == expected and expected in str(err)
    assert err.path == str(tiny_chat_gguf[0]) and tiny_chat_gguf[0].name in err.message
    assert f"test crash requested: {kind} at load" in err.stderr_tail
    assert "F16" in (err.hint or "") and "selftest" in (err.hint or "")
    assert err.to_dict()["code"] == "native_crash"
    assert err.to_dict()["details"]["signal"] == err.signal


def test_crash_mid_chat_then_restart_answers(tiny_chat_gguf, monkeypatch):
    _crash(monkeypatch, "abort", "generate")
    backend = open_backend(gguf=tiny_chat_gguf[0], n_ctx=256)
    assert isinstance(backend, ChildLlamaBackend) and backend.alive
    with pytest.raises(NativeCrashError, match="generating"):
        join_answer(backend.stream(QUESTION))
    assert not backend.alive
    with pytest.raises(NativeCrashError):  # a dead child stays an error, not a hang
        backend.stream(QUESTION)
    monkeypatch.delenv("TUNEFORGE_TEST_CRASH")
    backend.restart()
    assert backend.alive
    message, stats = join_answer(backend.stream(QUESTION))
    assert message.content == "Hi!" and stats is not None and stats.done_reason == "stop"
    backend.close()


def test_child_stays_alive_between_turns_and_stops_on_close(tiny_chat_gguf):
    backend = open_backend(gguf=tiny_chat_gguf[0], n_ctx=256)
    assert isinstance(backend, ChildLlamaBackend)
    pid = backend._proc.pid if backend._proc else None
    for _ in range(3):
        assert join_answer(backend.stream(QUESTION))[0].content == "Hi!"
    assert backend._proc is not None and backend._proc.pid == pid
    # an answer abandoned after one chunk does not desynchronise the next one
    stream = backend.stream(QUESTION)
    next(stream)
    stream.close()
    assert join_answer(backend.stream(QUESTION))[0].content == "Hi!"
    proc = backend._proc
    backend.close()
    assert proc is not None and proc.poll() is not None


def test_cli_chat_crash_is_one_clear_error(tiny_chat_gguf, monkeypatch, capsys):
    _crash(monkeypatch, "segv", "generate")
    rc = main(["chat", "--gguf", str(tiny_chat_gguf[0]), "-p", "你好", "--ctx", "256"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "llama.cpp crashed" in err and tiny_chat_gguf[0].name in err
    assert ("SIGSEGV" in err) if POSIX else ("exit code" in err)
    assert "Traceback" not in err and "F16" in err


def test_package_without_ollama_survives_a_crash(tiny_models, tmp_path, monkeypatch, capsys):
    _crash(monkeypatch, "abort", "load")
    model = tiny_models("llama3")
    out = tmp_path / "out 目录"
    rc = main(["package", str(model), "--name", "tiny-llama", "--type", "f16", "--out", str(out),
               "--host", "http://127.0.0.1:9"])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (out / "tiny-llama.gguf").is_file() and (out / "Modelfile").is_file()
    assert "could not run because llama.cpp crashed" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert not [p for p in os.listdir(out) if p.endswith(".partial")]


def test_frozen_app_starts_the_chat_child_through_job_child(tiny_chat_gguf):
    """The bundle runs ``Tuneforge.exe --job-child --llama-chat`` (child_backend.child_command)."""
    import json
    import subprocess

    code = (
        "import sys; sys.argv = ['Tuneforge', '--job-child', '--llama-chat']\n"
        "from engine.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    request = {"op": "load", "path": str(tiny_chat_gguf[0]), "n_ctx": 128, "template": None}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(request) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["event"] == "ready"
