"""Two training processes through accelerate launch (gloo on the CPU; NCCL on two GPUs)."""

from __future__ import annotations

import json

import pytest

from engine.train.rundir import read_events
from tests.engine.train.helpers import write_dataset

torch = pytest.importorskip("torch")
pytest.importorskip("accelerate")
pytestmark = pytest.mark.slow

ARGS = ["--max-steps", "3", "--batch-size", "2", "--grad-accum", "2", "--cutoff", "128",
        "--no-gradient-checkpointing", "--lr", "5e-3", "--val-size", "0"]  # fmt: skip


@pytest.fixture(scope="module")
def base(tiny_models):
    return tiny_models("qwen2")


def _train(base, tmp_path, name, *extra):
    from engine.cli.main import main

    data = write_dataset(tmp_path / "d.jsonl", n=8)
    out = tmp_path / name
    rc = main(["train", "--base", str(base), "--data", str(data), "--out", str(out), *ARGS, *extra])
    return rc, out


def test_two_cpu_processes_train_like_one(base, tmp_path, capsys):
    rc, out = _train(base, tmp_path, "两个 进程", "--device", "cpu", "--processes", "2")
    err = capsys.readouterr().err
    assert rc == 0, err
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["world_size"] == 2
    steps = [e for e in read_events(out) if e["event"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3]  # rank 0 alone writes events
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    # the same optimizer steps as one process over the same micro-batches
    rc1, one = _train(base, tmp_path, "one", "--device", "cpu")
    assert rc1 == 0
    single = [e for e in read_events(one) if e["event"] == "step"]
    assert json.loads((one / "run.json").read_text())["world_size"] == 1
    for a, b in zip(steps, single, strict=True):
        assert a["trained_tokens"] == b["trained_tokens"]
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4)


@pytest.mark.gpu
def test_two_gpus(base, tmp_path):
    if torch.cuda.device_count() < 2:
        pytest.skip("needs two CUDA GPUs")
    rc, out = _train(base, tmp_path, "gpus", "--gpus", "all", "--device", "cuda")
    assert rc == 0
    assert json.loads((out / "run.json").read_text())["world_size"] == torch.cuda.device_count()
