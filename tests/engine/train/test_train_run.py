"""Real (tiny, CPU) training runs: loss falls, the run folder is complete, cancel leaves a
checkpoint, resume reproduces the uninterrupted run exactly, one process per folder."""

from __future__ import annotations

import json
import threading

import pytest

from engine.jobs import JobContext, run_job
from engine.jobs.events import Progress
from engine.train.errors import DatasetError, RunFolderError
from engine.train.loop import train_job
from engine.train.rundir import RunLock, read_events
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tiny_models):
    return tiny_models("qwen2")


def _steps(run_dir):
    return [e for e in read_events(run_dir) if e["event"] == "step"]


def _weights(path):
    from safetensors.torch import load_file

    return load_file(str(path / "adapter_model.safetensors"))


def test_short_run_lowers_loss_and_fills_the_run_folder(base, tmp_path):
    data = write_dataset(tmp_path / "训练 数据" / "d.jsonl", n=60)
    run = tmp_path / "运行 run"
    outcome = run_job(
        train_job, spec(base, data, run, max_steps=12, val_size=0.2, eval_steps=4, lr=1e-2)
    )
    assert outcome.ok, outcome.error
    steps = _steps(run)
    assert [e["step"] for e in steps] == list(range(1, 13))
    assert steps[-1]["loss"] < 0.8 * steps[0]["loss"]
    for key in ("loss", "lr", "grad_norm", "epoch", "tokens_per_s", "eta_s", "memory_mb"):
        assert isinstance(steps[0][key], (int, float)), key
    evals = [e for e in read_events(run) if e["event"] == "eval"]
    assert [e["step"] for e in evals] == [4, 8, 12] and evals[-1]["eval_loss"] < evals[0][
        "eval_loss"
    ]
    kinds = [e["event"] for e in read_events(run)]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["world_size"] == 1 and record["dataset"]["val"] == 12
    assert set(record["versions"]) >= {"torch", "transformers", "peft"}
    assert record["spec"]["lr"] == 1e-2 and len(record["dataset"]["fingerprint"]) == 64
    assert (run / "loss.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    adapter = run / "adapter"
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["base_model_name_or_path"] == str(base.resolve()) and config["r"] == 8
    assert "chat_template" in json.loads(
        (adapter / "tokenizer_config.json").read_text(encoding="utf-8")
    )
    assert not list(run.glob("**/*.partial"))


def test_malformed_data_fails_before_any_run_folder(base, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "a", "output": "b"}\n{"instruction": \n', encoding="utf-8")
    outcome = run_job(train_job, spec(base, bad, tmp_path / "never"))
    assert outcome.status == "failed" and f"{bad}:2: broken JSON" in str(outcome.error)
    assert not (tmp_path / "never").exists()


def _cancel_at(step):
    ctx_box = {}

    def sink(event):
        if isinstance(event, Progress) and event.stage == "train" and event.done >= step:
            ctx_box["ctx"].cancel()

    ctx = JobContext(sink)
    ctx_box["ctx"] = ctx
    return ctx


def test_cancel_checkpoints_and_resume_equals_uninterrupted_run(base, tmp_path):
    data = write_dataset(tmp_path / "d.jsonl", n=40)
    settings = dict(max_steps=6, lora_dropout=0.1, save_steps=100)
    whole = tmp_path / "whole"
    assert run_job(train_job, spec(base, data, whole, **settings)).ok

    parted = tmp_path / "parted 中断"
    ctx = _cancel_at(3)
    outcome = run_job(train_job, spec(base, data, parted, **settings), ctx=ctx)
    assert outcome.status == "cancelled"
    assert (parted / "checkpoints" / "step-3" / "adapter_model.safetensors").is_file()
    stopped = [e for e in read_events(parted) if e["event"] == "stopped"]
    assert stopped and stopped[0]["step"] == 3 and f"--resume {parted}" in stopped[0]["resume"]
    assert not (parted / "adapter").exists()

    resumed = run_job(train_job, spec(base, data, parted, resume=True))
    assert resumed.ok, resumed.error
    a, b = _steps(whole), [e for e in _steps(parted)]
    assert [e["step"] for e in b] == [1, 2, 3, 4, 5, 6]
    assert [e["loss"] for e in a] == [e["loss"] for e in b]
    assert [e["grad_norm"] for e in a] == [e["grad_norm"] for e in b]
    wa, wb = _weights(whole / "adapter"), _weights(parted / "adapter")
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_second_process_on_the_same_folder_is_refused(base, tmp_path):
    data = write_dataset(tmp_path / "d.jsonl", n=8)
    run = tmp_path / "run"
    ctx = _cancel_at(1)
    assert run_job(train_job, spec(base, data, run, max_steps=4), ctx=ctx).status == "cancelled"
    held = RunLock(run)
    held.acquire()
    try:
        outcome = run_job(train_job, spec(base, data, run, resume=True))
        assert outcome.status == "failed" and "another Tuneforge process" in str(outcome.error)
    finally:
        held.release()
    again = run_job(train_job, spec(base, data, run))  # not a resume: refused, folder kept
    assert again.status == "failed" and "--resume" in str(again.error)
    assert isinstance(RunFolderError("x"), Exception) and isinstance(DatasetError, type)


def test_cli_train_in_a_child_process_and_data_check(base, tmp_path, capsys):
    from engine.cli.main import main

    data = write_dataset(tmp_path / "d.jsonl", n=8)
    run = tmp_path / "cli run"
    rc = main(["train", "--base", str(base), "--data", str(data), "--out", str(run), "--device", "cpu",
               "--max-steps", "2", "--batch-size", "4", "--grad-accum", "1", "--cutoff", "128",
               "--no-gradient-checkpointing"])  # fmt: skip
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    assert f'tuneforge package "{run / "adapter"}"' in out.out
    assert threading.active_count() >= 1


def test_cancel_through_the_child_process_leaves_a_checkpoint(base, tmp_path):
    """What Ctrl-C in the CLI does: the parent asks the training child to stop."""
    from engine.jobs import run_in_child
    from engine.train import TRAIN_JOB

    data = write_dataset(tmp_path / "d.jsonl", n=16)
    run = tmp_path / "child run"
    cancel = threading.Event()
    seen = []

    def sink(event):
        seen.append(event)
        if isinstance(event, Progress) and event.stage == "train" and event.done >= 2:
            cancel.set()

    outcome = run_in_child(TRAIN_JOB, spec(base, data, run, max_steps=40, grad_accum=1),
                           on_event=sink, cancel_event=cancel, grace_seconds=120)  # fmt: skip
    assert outcome.status == "cancelled"
    stopped = [e for e in read_events(run) if e["event"] == "stopped"]
    assert stopped and stopped[0]["step"] >= 2
    assert (run / "checkpoints" / f"step-{stopped[0]['step']}" / "optimizer.pt").is_file()
    assert any("Resume with: tuneforge train --resume" in getattr(e, "reason", "") for e in seen)
