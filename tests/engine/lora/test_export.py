"""``tuneforge merge``: a merged Hugging Face folder that transformers loads, written atomically."""

from __future__ import annotations

import json
import shutil
import tracemalloc

import numpy as np
import pytest
from safetensors.numpy import save_file

from engine.cli.main import main
from engine.errors import InputError, JobCancelled
from engine.formats.safetensors import ModelWeights
from engine.formats.safetensors_write import SafetensorsWriter, TensorEntry
from engine.jobs import JobContext, null_context, run_job
from engine.jobs.events import Progress
from engine.lora import MergeSpec, merge_job, read_adapter
from tests.engine.lora.helpers import hf_logits, peft_reference, trained_model_error, ulp_diff

pytestmark = pytest.mark.slow


def _tensors(folder):
    with ModelWeights(folder) as weights:
        return {name: np.array(weights.read(name)) for name in weights.names()}


@pytest.mark.parametrize("family", ["qwen2", "gemma3", "phi3"])
def test_cli_merge_gives_peft_weights_and_logits(
    family, tiny_models, tiny_lora_adapters, tmp_path, capsys
):
    base, adapter = tiny_models(family), tiny_lora_adapters(family)
    out = tmp_path / "合并 后" / "merged model"
    assert main(["merge", str(adapter), "-o", str(out), "-q"]) == 0  # base from the adapter record
    pairs = len(read_adapter(adapter).layout.pairs)
    assert f"merged {pairs} LoRA tensors" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json"} <= names  # fmt: skip
    assert not any(n.endswith((".partial", ".bin")) for n in names)
    assert json.loads((out / "config.json").read_text(encoding="utf-8")) == json.loads(
        (base / "config.json").read_text(encoding="utf-8")
    )
    ref = peft_reference(base, adapter)
    merged = _tensors(out)
    for name, raw in merged.items():
        assert ulp_diff(raw, ref.merged[name]).max() == 0, name
    logits = hf_logits(out)
    assert np.array_equal(logits, ref.merged_logits)  # same weights → the same forward pass
    # and it is the model that was trained: the bf16 rounding of the merged weights is all
    # that separates them, a few % of the distance between base and trained model
    assert trained_model_error(hf_logits(out, float32=True), ref) < 0.1


def test_shards_and_index(tiny_models, tiny_lora_adapters, tmp_path):
    base, adapter = tiny_models("llama3"), tiny_lora_adapters("llama3")
    out = tmp_path / "sharded"
    result = run_job(
        merge_job,
        MergeSpec(adapter_dir=adapter, output_dir=out, base=base, max_shard_bytes=400_000),
    ).result
    assert result.shards > 2 and result.lora_merged == 14
    index = json.loads((out / "model.safetensors.index.json").read_text(encoding="utf-8"))
    files = sorted(set(index["weight_map"].values()))
    assert files == [
        f"model-{i:05d}-of-{result.shards:05d}.safetensors" for i in range(1, result.shards + 1)
    ]
    assert (
        index["metadata"]["total_size"]
        == result.bytes_written
        == sum(t.nbytes for t in _tensors(out).values())
    )
    ref = peft_reference(base, adapter)
    assert np.array_equal(hf_logits(out), ref.merged_logits)


def test_tied_base_export_unties_the_head(tiny_models, tmp_path):
    from tests.engine.lora.helpers import make_adapter

    base = tiny_models("qwen3")
    adapter = make_adapter(base, tmp_path / "head", target_modules=["lm_head", "o_proj"])
    out = tmp_path / "out"
    result = run_job(merge_job, MergeSpec(adapter_dir=adapter, output_dir=out)).result
    assert result.untied_output
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["tie_word_embeddings"] is False and "lm_head.weight" in _tensors(out)
    ref = peft_reference(base, adapter)
    assert trained_model_error(hf_logits(out, float32=True), ref) < 0.1


def test_adapter_tokenizer_and_template_win(tiny_models, tiny_lora_adapters, tmp_path):
    base = tiny_models("qwen2")
    adapter = tmp_path / "adapter with tokenizer"
    shutil.copytree(tiny_lora_adapters("qwen2"), adapter)
    tok_config = json.loads((base / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok_config["chat_template"] = "{{ '训练用的模板' }}"
    (adapter / "tokenizer_config.json").write_text(
        json.dumps(tok_config, ensure_ascii=False), encoding="utf-8"
    )
    shutil.copyfile(base / "tokenizer.json", adapter / "tokenizer.json")
    logs = []
    ctx = JobContext(lambda e: logs.append(e))
    result = run_job(
        merge_job, MergeSpec(adapter_dir=adapter, output_dir=tmp_path / "o"), ctx=ctx
    ).result
    assert result.tokenizer_from == "adapter"
    merged_cfg = json.loads((tmp_path / "o" / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert merged_cfg["chat_template"] == "{{ '训练用的模板' }}"
    assert not (tmp_path / "o" / "chat_template.jinja").exists()


def test_cancel_leaves_nothing(tiny_models, tiny_lora_adapters, tmp_path):
    out = tmp_path / "cancelled"
    ctx = JobContext()

    def sink(event):
        if isinstance(event, Progress) and event.stage == "merge":
            ctx.cancel()

    ctx._sink = sink  # cancel as soon as writing starts (the folder exists as .partial)
    spec = MergeSpec(adapter_dir=tiny_lora_adapters("qwen2"), output_dir=out)
    with pytest.raises(JobCancelled):
        merge_job(spec, ctx)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_output_folder_rules(tiny_models, tiny_lora_adapters, tmp_path):
    base, adapter = tiny_models("qwen2"), tiny_lora_adapters("qwen2")
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="already exists") as err:
        merge_job(MergeSpec(adapter_dir=adapter, output_dir=out), null_context())
    assert "--overwrite" in err.value.hint and (out / "keep.txt").exists()
    merge_job(MergeSpec(adapter_dir=adapter, output_dir=out, overwrite=True), null_context())
    assert not (out / "keep.txt").exists() and (out / "model.safetensors").is_file()
    with pytest.raises(InputError, match="base model folder"):
        merge_job(MergeSpec(adapter_dir=adapter, output_dir=base, overwrite=True), null_context())
    assert main(["merge", str(adapter), "-o", str(out)]) == 1  # exists, no --overwrite


def test_memory_stays_near_one_tensor(tmp_path):
    """A 320 MiB base of 8 MiB tensors merges with a few tensors' worth of Python memory."""
    rows, cols, count = 2048, 2048, 40
    base = tmp_path / "big base"
    base.mkdir()
    (base / "config.json").write_text('{"architectures": ["LlamaForCausalLM"]}', encoding="utf-8")
    rng = np.random.default_rng(0)
    names = [f"model.layers.{i}.mlp.up_proj.weight" for i in range(count)]
    block = rng.integers(0x3C00, 0x3D00, size=(rows, cols), dtype=np.uint16)  # small bf16 values
    with SafetensorsWriter(
        base / "model.safetensors", [TensorEntry(n, "BF16", (rows, cols)) for n in names]
    ) as w:
        for name in names:
            w.write(name, block)
    adapter = tmp_path / "big adapter"
    adapter.mkdir()
    factors = {}
    for i in range(count):
        key = f"base_model.model.model.layers.{i}.mlp.up_proj"
        factors[f"{key}.lora_A.weight"] = rng.standard_normal((16, cols)).astype(np.float32) * 0.01
        factors[f"{key}.lora_B.weight"] = rng.standard_normal((rows, 16)).astype(np.float32) * 0.01
    save_file(factors, str(adapter / "adapter_model.safetensors"))
    (adapter / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "r": 16, "lora_alpha": 32, "target_modules": ["up_proj"]}),
        encoding="utf-8",
    )
    tracemalloc.start()
    try:
        result = merge_job(
            MergeSpec(adapter_dir=adapter, output_dir=tmp_path / "out", base=base), null_context()
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    largest = rows * cols * 2
    assert result.lora_merged == count and result.bytes_written == count * largest
    assert peak < 2 * largest + 48 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    with ModelWeights(tmp_path / "out") as merged:  # and it did merge
        assert not np.array_equal(merged.read(names[7]), block)
