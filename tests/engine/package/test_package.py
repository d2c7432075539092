"""``tuneforge package`` end to end on fixture models against the Ollama test double."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading

import pytest

from engine.cli.main import main
from engine.errors import InputError
from engine.jobs import JobContext, run_job
from engine.jobs.events import Progress
from engine.modelfile import parse_modelfile
from engine.package import PackageSpec, package_job, safe_file_stem

pytestmark = pytest.mark.slow


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_safe_file_stem():
    assert safe_file_stem("me/模型:v1") == "me-模型-v1"
    assert safe_file_stem("qwen:latest") == "qwen"


def test_package_model_folder_registers_exact_blob_template_and_stops(
    tiny_models, ollama_double, tmp_path
):
    model = tiny_models("qwen2")
    out = tmp_path / "输出 folder"
    events = []
    outcome = run_job(
        package_job,
        PackageSpec(
            source=model,
            name="tiny-qwen:v1",
            quant_type="Q8_0",
            out_dir=out,
            host=ollama_double.url,
            system="你是一个助手。",
            params=(("temperature", "0.3"),),
        ),
        on_event=events.append,
    )
    assert outcome.ok, outcome.error
    result = outcome.result
    gguf, modelfile_path = out / "tiny-qwen-v1.gguf", out / "Modelfile"
    assert result.gguf_path == gguf and gguf.is_file() and modelfile_path.is_file()
    assert result.sha256 == _sha(gguf)
    assert result.registered and result.name == "tiny-qwen:v1"

    # The double holds exactly our blob, and the model has our template, stops and parameters.
    assert ollama_double.has_blob_file(f"sha256:{result.sha256}")
    creates = ollama_double.calls("POST", "/api/create")
    assert len(creates) == 1
    body = creates[0].body
    modelfile = parse_modelfile(modelfile_path.read_text(encoding="utf-8"))
    assert body["files"] == {gguf.name: f"sha256:{result.sha256}"} or list(
        body["files"].values()
    ) == [f"sha256:{result.sha256}"]
    assert body["template"] == modelfile.template and "<|im_start|>" in body["template"]
    assert body["system"] == "你是一个助手。"
    assert (
        isinstance(body["parameters"]["stop"], list) and "<|im_end|>" in body["parameters"]["stop"]
    )
    assert body["parameters"]["temperature"] == 0.3
    assert modelfile.from_path == f"./{gguf.name}"
    assert result.parity and result.parity["status"] == "identical"

    # The smoke chat went through Ollama and passed.
    assert result.smoke is not None and result.smoke.ok, result.smoke
    stages = {e.stage for e in events if isinstance(e, Progress)}
    assert {"convert", "modelfile", "upload", "smoke"} <= stages


def test_package_cli_without_ollama_still_writes_files(tiny_models, tmp_path, capsys):
    model = tiny_models("llama3")
    out = tmp_path / "out 目录"
    rc = main(["package", str(model), "--name", "tiny-llama", "--type", "f16", "--out", str(out),
               "--host", "http://127.0.0.1:9", "--no-smoke"])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (out / "tiny-llama.gguf").is_file() and (out / "Modelfile").is_file()
    assert "ollama create tiny-llama" in captured.out + captured.err
    assert "not registered: not registered" not in captured.out
    assert "Ollama        not added. " in captured.out


def test_package_cli_files_only_says_so_in_words(tiny_models, tmp_path, capsys):
    out = tmp_path / "out 目录"
    rc = main(["package", str(tiny_models("llama3")), "--name", "tiny-llama", "--type", "f16",
               "--out", str(out), "--no-register", "--no-smoke"])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    line = next(x for x in captured.out.splitlines() if x.startswith("Ollama"))
    assert "--no-register" not in line and "not registered" not in line
    assert "Only the files were made, as asked" in line and "ollama create tiny-llama" in line


def test_invalid_name_fails_before_any_work(tiny_models, tmp_path):
    out = tmp_path / "out"
    outcome = run_job(
        package_job, PackageSpec(source=tiny_models("qwen2"), name="bad name!", out_dir=out)
    )
    assert outcome.status == "failed" and isinstance(outcome.error, InputError)
    assert not out.exists()


def test_cancel_during_conversion_leaves_nothing(tiny_models, ollama_double, tmp_path):
    out = tmp_path / "cancelled"
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, Progress) and event.stage == "convert" and event.done > 0:
            cancel.set()

    ctx = JobContext(on_event, cancel_event=cancel)
    outcome = run_job(package_job, PackageSpec(source=tiny_models("qwen2"), name="c1", out_dir=out,
                                               host=ollama_double.url), ctx=ctx)  # fmt: skip
    assert outcome.status == "cancelled"
    assert not out.exists()
    assert not ollama_double.calls("POST", "/api/create")


def test_cancel_during_upload_leaves_no_files_and_no_model(tiny_models, ollama_double, tmp_path):
    out = tmp_path / "cancelled upload"
    ollama_double.faults.upload_bytes_per_second = 20_000
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, Progress) and event.stage == "upload" and event.done > 0:
            cancel.set()

    ctx = JobContext(on_event, cancel_event=cancel)
    outcome = run_job(package_job, PackageSpec(source=tiny_models("qwen2"), name="c2", quant_type="F16",
                                               out_dir=out, host=ollama_double.url), ctx=ctx)  # fmt: skip
    assert outcome.status == "cancelled"
    assert not out.exists()
    assert not ollama_double.calls("POST", "/api/create")


def test_package_gguf_source(tiny_models, ollama_double, tmp_path):
    first = run_job(package_job, PackageSpec(source=tiny_models("qwen3"), name="q3", quant_type="Q8_0",
                                             out_dir=tmp_path / "a", register=False, smoke=False))  # fmt: skip
    assert first.ok, first.error
    source = tmp_path / "投喂的 资料" / "my model.gguf"
    source.parent.mkdir()
    shutil.copy(first.result.gguf_path, source)
    outcome = run_job(package_job, PackageSpec(source=source, name="q3-from-gguf", out_dir=tmp_path / "b",
                                               host=ollama_double.url, smoke=False))  # fmt: skip
    assert outcome.ok, outcome.error
    result = outcome.result
    assert result.file_type == "Q8_0" and result.sha256 == _sha(source)
    body = ollama_double.calls("POST", "/api/create")[0].body
    assert "<think>" in json.dumps(body["template"]) or "Thinking" in body["template"]
    # one client for status, upload and create: the server version is asked once per run
    assert len(ollama_double.calls("GET", "/api/version")) == 1


def test_package_lora_adapter(tiny_lora_adapter, ollama_double, tmp_path):
    outcome = run_job(package_job, PackageSpec(source=tiny_lora_adapter, name="tuned", quant_type="Q8_0",
                                               out_dir=tmp_path / "tuned", host=ollama_double.url))  # fmt: skip
    assert outcome.ok, outcome.error
    assert outcome.result.registered and outcome.result.smoke.ok


@pytest.mark.parametrize(
    ("params", "system"),
    [((("temperature", "hot"),), None), ((("no_such_param", "1"),), None), ((), 'say """hi"""')],
)
def test_bad_parameters_fail_before_conversion(tiny_models, tmp_path, params, system):
    out = tmp_path / "never"
    outcome = run_job(
        package_job,
        PackageSpec(
            source=tiny_models("qwen2"), name="m", out_dir=out, params=params, system=system
        ),
    )
    assert outcome.status == "failed"
    assert outcome.error.field or outcome.error.hint
    assert not out.exists()


def test_a_registered_model_is_a_success_even_when_ollama_fails_its_smoke_chat(
    tiny_models, ollama_double, tmp_path, capsys
):
    """Ollama 0.30+ can register a model and then fail the chat (llama-server's parser,
    a cut stream): the package run still succeeds and says what happened."""
    ollama_double.faults.chat_error_after_chunks = 0
    ollama_double.faults.chat_error = "llama-server chat error: unparsed Content-only output"
    model = tiny_models("qwen2")
    rc = main(["package", str(model), "--name", "tiny-qwen", "--type", "q8_0", "--out",
               str(tmp_path / "out"), "--host", ollama_double.url, "--json"])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    result = json.loads(captured.out)
    assert result["registered"] is True
    smoke = result["smoke"]
    assert smoke["ran"] is False and smoke["ok"] is False
    (problem,) = smoke["problems"]
    assert "registered as tiny-qwen" in problem and "unparsed Content-only output" in problem
    assert ollama_double.calls("POST", "/api/create")  # it really was registered
    rc = main(["package", str(model), "--name", "tiny-qwen", "--type", "q8_0", "--out",
               str(tmp_path / "again"), "--host", ollama_double.url])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0
    assert "smoke chat    not run: the model is registered as tiny-qwen" in captured.out


def test_one_run_builds_the_create_body_once_and_asks_the_version_once(
    tiny_models, any_ollama_double, tmp_path, monkeypatch
):
    """The Modelfile model travels in RegisterSpec; the create body is built once, for the
    form the server takes (JSON on 0.12, the Modelfile text on older servers)."""
    from engine.ollama import payloads

    built = []
    real = payloads.create_body

    def counting(*args, **kwargs):
        built.append(kwargs["json_form"])
        return real(*args, **kwargs)

    monkeypatch.setattr(payloads, "create_body", counting)
    outcome = run_job(package_job, PackageSpec(source=tiny_models("qwen2"), name="once", quant_type="Q8_0",
                                               out_dir=tmp_path / "once", host=any_ollama_double.url,
                                               params=(("temperature", "0.4"),), smoke=False))  # fmt: skip
    assert outcome.ok, outcome.error
    json_form = any_ollama_double.version == "0.12.6"
    assert built == [json_form]
    assert len(any_ollama_double.calls("GET", "/api/version")) == 1
    (create,) = any_ollama_double.calls("POST", "/api/create")
    written = parse_modelfile((tmp_path / "once" / "Modelfile").read_text(encoding="utf-8"))
    sent = (
        create.body["parameters"]
        if json_form
        else parse_modelfile(create.body["modelfile"]).parameters
    )
    assert sent == written.parameters_json() and sent["temperature"] == 0.4
