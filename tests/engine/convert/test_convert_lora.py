"""Converting with a LoRA adapter merges it on the fly (engine.lora) in the same pass: the
GGUF predicts what transformers + PEFT's merged model predicts."""

from __future__ import annotations

import itertools

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
    # blocks, so merged tensors are computed a row block at a time in the worker threads
    monkeypatch.setattr(stream, "BLOCK_ELEMENTS", 2000)
    import engine.lora.merge as merge_module

    computed: dict[str, list[tuple[int, int]]] = {}
    real_compute = merge_module.compute_rows

    def counting_compute(recipe, start, stop, **kwargs):  # type: ignore[no-untyped-def]
        computed.setdefault(recipe.info.name, []).append((start, stop))
        return real_compute(recipe, start, stop, **kwargs)

    monkeypatch.setattr(merge_module, "compute_rows", counting_compute)
    merged = convert_job(
        ConvertSpec(
            model_dir=tiny_lora_adapter, output=tmp_path / "合并 lora.gguf", out_type="f32"
        ),
        null_context(),
    )
    assert computed
    for name, spans in computed.items():  # in several blocks, each row computed once
        rows = sorted(spans)
        assert len(rows) > 1 and rows[0][0] == 0, name
        assert all(a[1] == b[0] for a, b in itertools.pairwise(rows)), name
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


@pytest.mark.parametrize("out_type", ["q8_0", "q4_k_m"])
def test_quantized_merge_equals_quantizing_the_merged_folder(tiny_lora_adapter, tmp_path, out_type):
    """Quantizing in the same pass reads the merge as float32 (no round trip through the
    stored dtype): the bytes equal converting the merged checkpoint `tuneforge merge` writes."""
    from engine.lora.export import MergeSpec, merge_job

    folder = merge_job(
        MergeSpec(adapter_dir=tiny_lora_adapter, output_dir=tmp_path / "merged 合并"),
        null_context(),
    ).output_dir
    chain = convert_job(
        ConvertSpec(model_dir=folder, output=tmp_path / "chain.gguf", out_type=out_type),
        null_context(),
    )
    one_pass = convert_job(
        ConvertSpec(model_dir=tiny_lora_adapter, output=tmp_path / "one.gguf", out_type=out_type),
        null_context(),
    )
    a, b = read_gguf(chain.output), read_gguf(one_pass.output)
    assert a.tensors.keys() == b.tensors.keys()
    for name, (ggml_type, _, data) in a.tensors.items():
        assert b.tensors[name][0] == ggml_type, name
        assert np.array_equal(data.view(np.uint8), b.tensors[name][2].view(np.uint8)), name
    adapted = [
        t[0] for n, t in a.tensors.items() if n.endswith(("attn_q.weight", "ffn_down.weight"))
    ]
    assert adapted and all(t not in ("F32", "F16", "BF16") for t in adapted)  # quantized
