"""Packing: several examples in one row, and none of them sees another."""

from __future__ import annotations

import dataclasses

import pytest

from engine.jobs import run_job
from engine.train.batches import collate, loss_sum, pack
from engine.train.check import prepare_dataset
from engine.train.loop import train_job
from engine.train.rundir import read_events
from engine.train.tokenize import IGNORE
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def base(tiny_models):
    return tiny_models("qwen2")


def test_packed_loss_equals_the_examples_one_by_one(base, tmp_path):
    from transformers import AutoModelForCausalLM

    data = write_dataset(tmp_path / "d.jsonl", n=6)
    examples = list(prepare_dataset(data=data, dataset=None, base=base, cutoff=256).examples)
    (row,) = pack(examples, cutoff=10_000, seed=0)
    assert len(row.input_ids) == sum(len(e.input_ids) for e in examples)
    assert row.positions.count(0) == len(examples)
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32).eval()
    with torch.no_grad():
        packed, n_packed = loss_sum(model, collate([row], 0, "cpu"))
        alone, n_alone = 0.0, 0
        for e in examples:  # the packed row drops each example's first label
            e = dataclasses.replace(e, labels=(IGNORE, *e.labels[1:]))
            loss, n = loss_sum(model, collate([e], 0, "cpu"))
            alone, n_alone = alone + float(loss), n_alone + n
        assert n_packed == n_alone
        assert float(packed) == pytest.approx(alone, rel=1e-5)
        # the same row seen as one sequence (examples attending to each other) differs
        joined = collate([dataclasses.replace(row, positions=None)], 0, "cpu")
        off_packed = abs(float(packed) - alone)
        off_joined = abs(float(loss_sum(model, joined)[0]) - alone)
        assert off_joined > 100 * max(off_packed, 1e-6)


@pytest.mark.slow
def test_packed_training_run(base, tmp_path):
    data = write_dataset(tmp_path / "d.jsonl", n=24)
    run = tmp_path / "packed"
    outcome = run_job(
        train_job, spec(base, data, run, packing=True, max_steps=8, lr=2e-2, cutoff=512)
    )
    assert outcome.ok, outcome.error
    steps = [e for e in read_events(run) if e["event"] == "step"]
    assert steps[-1]["loss"] < 0.9 * steps[0]["loss"]
    assert steps[0]["tokens"] == steps[0]["trained_tokens"] + (
        steps[0]["tokens"] - steps[0]["trained_tokens"]
    )
