"""CUDA runs: bf16 LoRA and 4-bit QLoRA (skipped cleanly without a GPU / bitsandbytes);
QLoRA on the CPU is a clear error."""

from __future__ import annotations

import importlib.util
import json

import pytest

from engine.jobs import run_job
from engine.train.loop import train_job
from engine.train.rundir import read_events
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _run(base, tmp_path, **kw):
    data = write_dataset(tmp_path / "d.jsonl", n=32)
    run = tmp_path / "run"
    outcome = run_job(train_job, spec(base, data, run, device="cuda", max_steps=10, lr=1e-2, **kw))
    assert outcome.ok, outcome.error
    steps = [e for e in read_events(run) if e["event"] == "step"]
    return run, steps


@pytest.mark.gpu
@needs_cuda
def test_bf16_lora_on_cuda(tiny_models, tmp_path):
    run, steps = _run(tiny_models("qwen2"), tmp_path, compute="bf16", gradient_checkpointing=True)
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert (record["device"], record["compute"]) == ("cuda", "bf16")
    assert steps[-1]["loss"] < 0.9 * steps[0]["loss"]
    assert steps[-1]["gpu_memory_mb"] > 0
    assert (run / "adapter" / "adapter_model.safetensors").is_file()


@pytest.mark.gpu
@needs_cuda
@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes")
def test_qlora_on_cuda(tiny_models, tmp_path):
    run, steps = _run(tiny_models("llama3"), tmp_path, qlora=True, compute="bf16")
    assert steps[-1]["loss"] < 0.8 * steps[0]["loss"]
    config = json.loads((run / "adapter" / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["r"] == 8


def test_qlora_on_cpu_is_a_clear_error(tiny_models, tmp_path):
    data = write_dataset(tmp_path / "d.jsonl", n=4)
    outcome = run_job(train_job, spec(tiny_models("qwen2"), data, tmp_path / "run", qlora=True))
    assert outcome.status == "failed" and "QLoRA (4-bit) needs a CUDA GPU" in str(outcome.error)
    assert not (tmp_path / "run").exists()
