"""Converting with a LoRA adapter merges it on the fly (engine.lora) in the same pass: the
GGUF predicts what transformers + PEFT's merged model predicts."""

from __future__ import annotations

import numpy as np
import pytest

from engine.convert import ConvertSpec, convert_job
from engine.jobs import null_context
from tests.engine.convert.helpers import read_gguf
from tests.fixtures.isolated import run_isolated

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")
pytest.importorskip("llama_cpp")

pytestmark = pytest.mark.slow


def _peft_merged_logits(base_dir, adapter_dir, ids):  # type: ignore[no-untyped-def]
    """PEFT's merge into the bf16 base (as the merged checkpoint would be stored), run in f32."""
    model = transformers.AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.bfloat16)
    merged = peft.PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    merged = merged.float().eval()
    with torch.no_grad():
        return merged(torch.tensor([ids])).logits[0].numpy()


def test_adapter_is_merged_while_converting(tiny_models, tiny_lora_adapter, tmp_path, monkeypatch):
    import engine.convert.stream as stream

    base = tiny_models("qwen2")
    plain = convert_job(
        ConvertSpec(model_dir=base, output=tmp_path / "base.gguf", out_type="f32"), null_context()
    )
    # the adapter folder alone: its base is found from base_model_name_or_path; small row
    # blocks so merged tensors (computed whole, once) are cut into many blocks
    monkeypatch.setattr(stream, "BLOCK_ELEMENTS", 2000)
    from engine.lora.merge import MergedSource

    computed: list[str] = []
    real_read = MergedSource.read

    def counting_read(self, name):  # type: ignore[no-untyped-def]
        computed.append(name)
        return real_read(self, name)

    monkeypatch.setattr(MergedSource, "read", counting_read)
    merged = convert_job(
        ConvertSpec(
            model_dir=tiny_lora_adapter, output=tmp_path / "合并 lora.gguf", out_type="f32"
        ),
        null_context(),
    )
    assert computed and len(computed) == len(set(computed)), "each merged tensor computed once"
    assert all("proj" in name for name in computed)  # untouched tensors stream from the files
    a, b = read_gguf(plain.output), read_gguf(merged.output)
    assert b.keys["general.name"][1] == tiny_lora_adapter.name
    changed = [n for n in a.tensors if not np.array_equal(a.tensors[n][2], b.tensors[n][2])]
    assert any("attn_q.weight" in n for n in changed) and any("ffn_down" in n for n in changed)
    assert not any("norm" in n for n in changed)

    ids = transformers.AutoTokenizer.from_pretrained(base)("The quick brown fox, 你好")["input_ids"]
    ref = _peft_merged_logits(base, tiny_lora_adapter, ids)
    got = np.array(run_isolated("tests.fixtures.llama_runs:logits", merged.output, [ids], 64)[0])
    scale = float(np.abs(ref).max())
    assert float(np.abs(got - ref).max()) <= 1e-3 * scale
