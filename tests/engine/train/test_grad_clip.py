"""``max_grad_norm``: the clip of each step's gradient norm; 0 means no clipping (as in the
Trainer of transformers), not "clip to zero" (which would leave the adapter untouched)."""

from __future__ import annotations

import pytest

from engine.jobs import run_job
from engine.train.loop import train_job
from engine.train.rundir import read_events
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow


def _lora_b_abs_sum(run) -> float:
    from safetensors.torch import load_file

    tensors = load_file(str(run / "adapter" / "adapter_model.safetensors"))
    found = [t for name, t in tensors.items() if "lora_B" in name]
    assert found
    return float(sum(t.float().abs().sum() for t in found))


@pytest.mark.parametrize("max_grad_norm", [0.0, 0.5])
def test_zero_means_no_clipping_and_a_norm_clips(max_grad_norm, tiny_models, tmp_path):
    data = write_dataset(tmp_path / "数据 d.jsonl", n=8)
    run = tmp_path / "run"
    outcome = run_job(train_job, spec(tiny_models("qwen2"), data, run, max_steps=2, batch_size=2,
                                      grad_accum=1, max_grad_norm=max_grad_norm))  # fmt: skip
    assert outcome.ok, outcome.error
    steps = [e for e in read_events(run) if e["event"] == "step"]
    assert all(e["grad_norm"] > 0 for e in steps)
    assert _lora_b_abs_sum(run) > 0  # LoRA B starts at zero: the steps moved it
