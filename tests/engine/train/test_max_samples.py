"""``max_samples``: only the first N conversations are trained (LLaMA-Factory's option)."""

from __future__ import annotations

import argparse
import json

import pytest

from engine.jobs import run_job
from engine.train.errors import TrainSettingsError
from engine.train.loop import train_job
from engine.train.rundir import read_events
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow


def test_max_samples_limits_the_examples_trained(tiny_models, tmp_path):
    base = tiny_models("qwen2")
    data = write_dataset(tmp_path / "数据 d.jsonl", n=20)
    run = tmp_path / "run"
    outcome = run_job(train_job, spec(base, data, run, max_steps=None, epochs=1.0, batch_size=1,
                                      grad_accum=1, max_samples=5))  # fmt: skip
    assert outcome.ok, outcome.error
    started = next(e for e in read_events(run) if e["event"] == "started")
    assert started["examples"] == 5 and started["total_steps"] == 5
    assert [e["step"] for e in read_events(run) if e["event"] == "step"] == [1, 2, 3, 4, 5]
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["spec"]["max_samples"] == 5


def test_cli_flag_reaches_the_spec_and_is_checked(tmp_path):
    from engine.cli import cmd_train

    parser = argparse.ArgumentParser()
    cmd_train.register(parser.add_subparsers())
    argv = ["train", "--base", str(tmp_path), "--data", str(tmp_path / "d.jsonl"), "--out",
            str(tmp_path / "o"), "--max-samples", "7"]  # fmt: skip
    args = parser.parse_args(argv)
    assert cmd_train.spec_from_args(args).max_samples == 7
    assert cmd_train.remote_train_args(args)[
        cmd_train.remote_train_args(args).index("--max-samples") :][:2] == ["--max-samples", "7"]  # fmt: skip
    with pytest.raises(TrainSettingsError, match="--max-samples"):
        cmd_train.spec_from_args(parser.parse_args([*argv[:-1], "0"]))
