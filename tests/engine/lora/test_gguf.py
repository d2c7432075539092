"""Adapter + base → GGUF in one pass (no merged folder on disk), proven two ways:

1. the GGUF's tensors are byte-identical to converting the folder PEFT's
   ``merge_and_unload()`` + ``save_pretrained()`` writes (so the merge is exact), and
2. llama.cpp running the GGUF predicts what the trained PEFT model predicts.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.convert import ConvertSpec, convert_job
from engine.jobs import null_context
from tests.engine.convert.helpers import read_gguf
from tests.engine.lora.helpers import IDS, make_adapter, peft_reference
from tests.fixtures.isolated import run_isolated

torch = pytest.importorskip("torch")
pytest.importorskip("llama_cpp")

pytestmark = pytest.mark.slow


def _peft_merged_folder(base, adapter, out):  # type: ignore[no-untyped-def]
    import shutil

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    PeftModel.from_pretrained(model, adapter).merge_and_unload().save_pretrained(out)
    for item in base.iterdir():  # tokenizer files, as users copy them
        if item.name.startswith(("tokenizer", "special_tokens")):
            shutil.copyfile(item, out / item.name)
    return out


def _llama_logits(path) -> np.ndarray:  # type: ignore[no-untyped-def]
    rows = run_isolated("tests.fixtures.llama_runs:logits", path, [list(IDS[0])], 64)
    return np.array(rows[0], dtype=np.float32)


@pytest.mark.parametrize("family", ["llama3", "qwen2", "gemma3", "phi3"])
def test_one_pass_gguf_equals_converting_peft_merged_folder(
    family, tiny_models, tiny_lora_adapters, tmp_path
):
    base, adapter = tiny_models(family), tiny_lora_adapters(family)
    ours = convert_job(
        ConvertSpec(
            model_dir=base, adapter_dir=adapter, output=tmp_path / "一次 pass.gguf", out_type="bf16"
        ),
        null_context(),
    )
    peft_dir = _peft_merged_folder(base, adapter, tmp_path / "peft merged")
    theirs = convert_job(
        ConvertSpec(model_dir=peft_dir, output=tmp_path / "peft.gguf", out_type="bf16"),
        null_context(),
    )
    a, b = read_gguf(ours.output), read_gguf(theirs.output)
    assert a.order == b.order
    for name in a.order:
        assert a.tensors[name][:2] == b.tensors[name][:2], name
        assert np.array_equal(a.tensors[name][2], b.tensors[name][2]), name


@pytest.mark.parametrize(
    ("family", "targets"),
    [
        ("llama3", None),
        ("mistral", ["q_proj", "v_proj", "embed_tokens", "lm_head"]),
        ("qwen3", ["q_proj", "down_proj", "lm_head"]),  # tied base: the GGUF gets its own output
        ("deepseek_r1_qwen", None),
    ],
)
def test_gguf_predicts_like_the_trained_peft_model(family, targets, tiny_models, tmp_path):
    base = tiny_models(family)
    adapter = make_adapter(base, tmp_path / "适配器", target_modules=targets or "all-linear")
    result = convert_job(
        ConvertSpec(
            model_dir=base, adapter_dir=adapter, output=tmp_path / "m.gguf", out_type="f32"
        ),
        null_context(),
    )
    if family == "qwen3":
        assert "output.weight" in read_gguf(result.output).tensors
    ref = peft_reference(base, adapter)
    got = _llama_logits(result.output)
    want = ref.unmerged_logits[0]
    scale = float(np.abs(want).max())
    # bf16 rounding of the merged weights + llama.cpp arithmetic; the adapter moves the
    # logits by far more than that
    assert float(np.abs(got - want).max()) <= 2e-2 * scale
    assert float(np.abs(got - ref.base_logits[0]).max()) > 10 * float(np.abs(got - want).max())
