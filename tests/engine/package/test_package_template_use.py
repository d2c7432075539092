"""``package`` says which chat template Ollama runs, read back from ``/api/show``, and on
Ollama ≥ 0.30 sends the Go template only where Ollama would use it."""

from __future__ import annotations

import json

import pytest

from engine.cli.main import main
from engine.jobs import run_job
from engine.package import PackageSpec, package_job

OWN = "Ollama uses the model's own chat template (rendered by llama.cpp)"
GO = "Ollama uses the derived Go template (proven identical)"


def _package(family, tiny_models, double, tmp_path):
    outcome = run_job(
        package_job,
        PackageSpec(
            source=tiny_models(family),
            name=f"tiny-{family}",
            quant_type="Q8_0",
            out_dir=tmp_path / f"out {family}",
            host=double.url,
        ),
    )
    assert outcome.ok, outcome.error
    return outcome.result


@pytest.mark.parametrize("family", ["qwen2", "deepseek_r1_qwen"])
def test_old_ollama_always_gets_the_go_template(family, tiny_models, make_ollama_double, tmp_path):
    double = make_ollama_double("0.12.6")
    result = _package(family, tiny_models, double, tmp_path)
    assert double.calls("POST", "/api/create")[0].body.get("template")
    assert result.template_in_use["source"] == "go"
    assert result.template_in_use["summary"] == GO


def test_new_ollama_gets_no_go_template_when_the_jinja_wins(
    tiny_models, make_ollama_double, tmp_path
):
    """R1-Distill-Qwen: the Jinja mentions tools, the Go template only thinks, so Ollama
    0.32 renders the Jinja; sending the Go template would be dead weight."""
    double = make_ollama_double("0.32.15")
    result = _package("deepseek_r1_qwen", tiny_models, double, tmp_path)
    assert "template" not in double.calls("POST", "/api/create")[0].body
    assert result.template_in_use == {
        "source": "jinja",
        "summary": OWN,
        "server_version": "0.32.15",
        "go_template_sent": False,
        "proven": True,
    }


def test_new_ollama_keeps_an_equal_go_template_and_the_cli_says_which(
    tiny_models, make_ollama_double, tmp_path, capsys
):
    """Llama 3.1: the derived Go template carries tools and tool results like the Jinja
    (same capabilities), so Ollama 0.32 keeps it. Mistral v3: the Jinja offers tools, the
    derived Go template does not, so the Jinja runs; both outputs say which."""
    double = make_ollama_double("0.32.15")
    args = ["--type", "q8_0", "--host", double.url]
    llama = ["package", str(tiny_models("llama3")), "--name", "tiny-l3", *args]
    assert main([*llama, "--out", str(tmp_path / "a")]) == 0
    assert ".Tools" in double.calls("POST", "/api/create")[-1].body["template"]
    out = capsys.readouterr().out
    assert GO in out
    mistral = ["package", str(tiny_models("mistral")), "--name", "tiny-m", *args, "--json"]
    assert main([*mistral, "--out", str(tmp_path / "b")]) == 0
    assert "template" not in double.calls("POST", "/api/create")[-1].body
    result = json.loads(capsys.readouterr().out)
    assert result["template_in_use"]["source"] == "jinja"
    assert result["template_in_use"]["summary"] == OWN


@pytest.mark.parametrize("version", ["0.12.6", "0.32.15"])
@pytest.mark.parametrize(
    "family", ["qwen2", "llama3", "qwen3", "gemma3", "deepseek_r1_qwen", "mistral"]
)
def test_prompt_tokens_match_the_models_own_template(
    family, version, tiny_models, make_ollama_double, tmp_path
):
    """Go path (old server; Qwen2.5, Qwen3, Llama 3.1, Gemma on a new one) and Jinja path
    (R1-Distill, Mistral on a new one); Gemma and Llama write their BOS in the template.
    Ollama's prompt_eval_count equals llama.cpp's tokens of the model's own template."""
    double = make_ollama_double(version)
    result = _package(family, tiny_models, double, tmp_path)
    check = result.prompt_check
    assert check["status"] == "identical", check
    assert [p["name"] for p in check["probes"]] == ["one question", "system prompt", "two turns"]
    assert all(p["reported"] == p["expected"] > 5 for p in check["probes"])
    probes = [c.body for c in double.calls("POST", "/api/chat")][:3]
    assert all(b["options"]["num_predict"] == 1 for b in probes)


def test_a_wrong_template_is_reported_as_a_template_problem(
    tiny_models, make_ollama_double, tmp_path, capsys, monkeypatch
):
    """A derived Go template one newline off (parity not checked here): Ollama 0.12 renders
    it, its prompt is shorter than the model's own, and the run says so (and still exits 0)."""
    import dataclasses

    from engine.package import pipeline

    build = pipeline._build_modelfile

    def wrong(*args, **kwargs):
        modelfile = build(*args, **kwargs)
        broken = modelfile.template.replace("<|im_end|>\n", "<|im_end|>")
        assert broken != modelfile.template
        return dataclasses.replace(modelfile, template=broken)

    monkeypatch.setattr(pipeline, "_build_modelfile", wrong)
    double = make_ollama_double("0.12.6")
    args = ["package", str(tiny_models("qwen2")), "--name", "tiny-qwen", "--type", "q8_0"]
    assert main([*args, "--host", double.url, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "prompt        TEMPLATE PROBLEM: template problem: for the probe" in out
    assert main([*args, "--host", double.url, "--out", str(tmp_path / "b"), "--json"]) == 0
    check = json.loads(capsys.readouterr().out)["prompt_check"]
    assert check["status"] == "mismatch"
    assert any(p["reported"] < p["expected"] for p in check["probes"])


def test_llama_server_failures_after_registration_are_reported_not_fatal(
    tiny_models, make_ollama_double, tmp_path, capsys
):
    """Ollama 0.32 registers the model, then llama-server answers every chat with its
    peg-native parser error: the probes and the smoke chat say so, the command exits 0."""
    double = make_ollama_double("0.32.15")
    double.faults.llama_server_error = (
        "The model produced output that does not match the expected peg-native format"
    )
    args = ["package", str(tiny_models("qwen2")), "--name", "tiny-qwen", "--type", "q8_0"]
    assert main([*args, "--host", double.url, "--out", str(tmp_path / "a"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["registered"] is True
    assert result["template_in_use"]["source"] == "go"
    check = result["prompt_check"]
    assert check["status"] == "not_run" and "llama-server chat error" in check["problem"]
    assert result["smoke"]["ran"] is False
    assert "peg-native" in result["smoke"]["problems"][0]
