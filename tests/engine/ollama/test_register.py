"""The register job: upload (unless present) + create, with progress, cancel, and errors."""

from __future__ import annotations

import shutil
import socket

import pytest

from engine.jobs import JobContext, run_job
from engine.jobs.codec import from_plain, to_plain
from engine.jobs.events import Progress
from engine.modelfile import Modelfile, ModelfileMessage, ParameterError
from engine.ollama import OllamaClient, RegisterResult, RegisterSpec, register_job
from tests.ollama_double.tiny_gguf import CHATML_GO_TEMPLATE


def _spec(gguf, url, **kw):
    path, digest = gguf
    defaults = dict(
        gguf_path=path,
        gguf_sha256=digest,
        name="my-model",
        modelfile=Modelfile(
            from_path=str(path),
            template=CHATML_GO_TEMPLATE,
            system="You are helpful.",
            parameters={"stop": ["<|im_end|>"], "temperature": 0.6},
            messages=(
                ModelfileMessage(role="user", content="你好"),
                ModelfileMessage(role="assistant", content="Hi!"),
            ),
        ),
        host=url,
    )
    return RegisterSpec(**{**defaults, **kw})


def test_register_both_forms(any_ollama_double, tiny_chat_gguf):
    events = []
    outcome = run_job(
        register_job, _spec(tiny_chat_gguf, any_ollama_double.url), on_event=events.append
    )
    assert outcome.ok, outcome.error
    result: RegisterResult = outcome.result
    assert result.name == "my-model:latest" and result.uploaded
    assert result.digest == tiny_chat_gguf[1] and result.size == tiny_chat_gguf[0].stat().st_size
    expected_form = "json" if any_ollama_double.version == "0.12.6" else "modelfile"
    assert result.create_form == expected_form
    uploads = [e for e in events if isinstance(e, Progress) and e.stage == "uploading"]
    assert uploads[-1].done == uploads[-1].total == result.size
    details = OllamaClient(any_ollama_double.url).show("my-model")
    assert details.template == CHATML_GO_TEMPLATE and details.system == "You are helpful."
    assert details.parameters["stop"] == ["<|im_end|>"]
    assert [m.content for m in details.messages] == ["你好", "Hi!"]
    # the spec and the result travel through the job codec (child process / worker)
    spec = _spec(tiny_chat_gguf, any_ollama_double.url)
    assert from_plain(to_plain(spec)) == spec
    assert from_plain(to_plain(result)) == result


def test_upload_is_skipped_when_ollama_has_the_file(ollama_double, tiny_chat_gguf):
    assert run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url)).ok
    outcome = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url, name="second"))
    assert outcome.ok and outcome.result.uploaded is False
    assert len(ollama_double.calls("POST", "/api/blobs/")) == 1
    assert {m.name for m in OllamaClient(ollama_double.url).list_models()} == {
        "my-model:latest",
        "second:latest",
    }


def test_digest_is_computed_when_not_known(ollama_double, tiny_chat_gguf):
    events = []
    outcome = run_job(
        register_job,
        _spec(tiny_chat_gguf, ollama_double.url, gguf_sha256=None),
        on_event=events.append,
    )
    assert outcome.ok and outcome.result.digest == tiny_chat_gguf[1]
    assert any(isinstance(e, Progress) and e.stage == "checksum" for e in events)


def test_wrong_known_digest_fails_without_create(ollama_double, tiny_chat_gguf):
    outcome = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url, gguf_sha256="ab" * 32))
    assert outcome.status == "failed" and "checksum" in outcome.error.message
    assert ollama_double.calls("POST", "/api/create") == []


def test_cancel_during_upload_leaves_nothing(ollama_double, tiny_chat_gguf):
    ollama_double.faults.upload_bytes_per_second = 2 * 2**20

    def sink(event):
        if isinstance(event, Progress) and event.stage == "uploading" and event.done >= 2**20:
            ctx.cancel()

    ctx = JobContext(sink, min_interval=0)
    outcome = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url), ctx=ctx)
    assert outcome.status == "cancelled"
    assert ollama_double.calls("POST", "/api/create") == []  # never sent after a cancel
    assert OllamaClient(ollama_double.url).list_models() == []
    assert not OllamaClient(ollama_double.url).has_blob(tiny_chat_gguf[1])


def test_cancel_after_upload_sends_no_create(ollama_double, tiny_chat_gguf):
    def sink(event):
        if isinstance(event, Progress) and event.stage == "uploading" and event.done == event.total:
            ctx.cancel()

    ctx = JobContext(sink, min_interval=0)
    outcome = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url), ctx=ctx)
    assert outcome.status == "cancelled"
    assert ollama_double.calls("POST", "/api/create") == []


def test_input_errors_come_before_any_request(ollama_double, tiny_chat_gguf, tmp_path):
    bad_name = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url, name="模型"))
    assert bad_name.status == "failed" and bad_name.error.field == "name"
    with pytest.raises(ParameterError) as bad_param:  # the Modelfile model checks its values
        Modelfile(from_path="x.gguf", parameters={"stop": [""]})
    assert bad_param.value.field == "stop"
    unwritable = Modelfile(from_path="x.gguf", system='say """ no')
    bad_text = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url, modelfile=unwritable))
    assert bad_text.status == "failed" and bad_text.error.field == "SYSTEM"
    not_gguf = tmp_path / "不是 gguf.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 zip")
    wrong_file = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url, gguf_path=not_gguf))
    assert wrong_file.status == "failed" and "not a GGUF" in wrong_file.error.message
    missing = run_job(
        register_job, _spec(tiny_chat_gguf, ollama_double.url, gguf_path=tmp_path / "none.gguf")
    )
    assert missing.status == "failed" and "does not exist" in missing.error.message
    assert ollama_double.requests == []


def test_no_ollama(tiny_chat_gguf):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = run_job(register_job, _spec(tiny_chat_gguf, f"127.0.0.1:{port}"))
    assert outcome.status == "failed"
    assert outcome.error.code in ("ollama_not_running", "ollama_not_installed")
    assert "ollama.com/download" in outcome.error.hint or "tart" in outcome.error.hint


def test_too_old(make_ollama_double, tiny_chat_gguf):
    double = make_ollama_double("0.1.32")
    outcome = run_job(register_job, _spec(tiny_chat_gguf, double.url))
    assert outcome.status == "failed" and outcome.error.code == "ollama_too_old"
    assert double.calls("POST", "/api/blobs/") == []


def test_path_with_spaces_and_chinese(ollama_double, tiny_chat_gguf, tmp_path):
    target = tmp_path / "C 盘" / "投喂的资料 副本" / "模型 v1.gguf"
    target.parent.mkdir(parents=True)
    shutil.copyfile(tiny_chat_gguf[0], target)
    outcome = run_job(register_job, _spec(tiny_chat_gguf, ollama_double.url, gguf_path=target))
    assert outcome.ok and outcome.result.uploaded
