"""Our numpy merge against PEFT's merge_and_unload(), bit for bit, for every family."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from engine.hf.weights import SafetensorsSource
from engine.lora import open_merged_source, read_adapter
from tests.engine.lora.helpers import (
    compare_to_peft,
    hf_logits,
    make_adapter,
    ours,
    peft_reference,
    trained_model_error,
    ulp_diff,
)
from tests.fixtures.models import FAMILIES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_is_bit_exact_with_peft(family, tiny_models, tiny_lora_adapters):
    base = tiny_models(family)
    adapter = tiny_lora_adapters(family)
    mine, source = ours(base, adapter)
    ref = peft_reference(base, adapter)
    worst, count, names = compare_to_peft(mine, ref.merged)
    assert worst == 0 and count == 0, f"{family}: max {worst} ulp on {count} elements"
    assert set(names) == set(mine)  # every tensor of ours was checked
    info = read_adapter(adapter)
    assert source.plan.lora_merged == len(info.layout.pairs) > 0
    with SafetensorsSource(base) as plain:  # and the adapter really changed them
        for pair in info.layout.pairs:
            name = f"{pair.module}.weight"
            assert ulp_diff(mine[name], plain.read(name)).max() > 0, name


@pytest.mark.parametrize("family", ["qwen2", "llama3"])
def test_row_blocks_equal_the_whole_tensor(family, tiny_models, tiny_lora_adapters):
    base, adapter = tiny_models(family), tiny_lora_adapters(family)
    with (
        SafetensorsSource(base) as source,
        open_merged_source(base_dir=base, adapter_dir=adapter, base_source=source) as merged,
    ):
        for name in merged.names():
            whole = merged.read(name)
            info = merged.info(name)
            assert whole.dtype.itemsize * whole.size == info.n_bytes
            assert tuple(whole.shape) == info.shape
            if whole.ndim < 2:
                continue
            parts = [merged.read_rows(name, i, i + 7) for i in range(0, whole.shape[0], 7)]
            assert np.array_equal(np.concatenate(parts), whole), name


def test_fast_mode_is_within_one_ulp(tiny_models, tiny_lora_adapters):
    base, adapter = tiny_models("qwen3"), tiny_lora_adapters("qwen3")
    exact, _ = ours(base, adapter)
    fast, _ = ours(base, adapter, exact=False)
    worst, count, _ = compare_to_peft(fast, exact)
    total = sum(t.size for t in exact.values())
    assert worst <= 1 and count < total * 1e-3


def test_rslora_and_rank_alpha_patterns(tiny_models, tmp_path):
    base = tiny_models("llama3")
    adapter = make_adapter(
        base,
        tmp_path / "rs 适配器",
        r=8,
        lora_alpha=16,
        use_rslora=True,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "down_proj"],
        rank_pattern={"v_proj": 4, r"layers\.1\.self_attn\.o_proj": 12},
        alpha_pattern={"k_proj": 3, "down_proj": 40},
    )
    info = read_adapter(adapter)
    assert info.use_rslora
    assert info.rank_for("model.layers.0.self_attn.v_proj") == 4
    assert info.rank_for("model.layers.1.self_attn.o_proj") == 12
    assert info.rank_for("model.layers.0.self_attn.o_proj") == 8
    assert info.scale_for("model.layers.0.mlp.down_proj") == 40 / 8**0.5
    mine, _ = ours(base, adapter)
    ref = peft_reference(base, adapter)
    worst, count, _ = compare_to_peft(mine, ref.merged)
    assert (worst, count) == (0, 0)


def test_embedding_lm_head_and_modules_to_save_untied(tiny_models, tmp_path):
    base = tiny_models("llama3")  # untied embeddings
    adapter = make_adapter(
        base,
        tmp_path / "emb",
        target_modules=["embed_tokens", "lm_head", "q_proj"],
        modules_to_save=["norm"],
    )
    info = read_adapter(adapter)
    kinds = {p.module: p.kind for p in info.layout.pairs}
    assert kinds["model.embed_tokens"] == "embedding" and kinds["lm_head"] == "linear"
    assert any(name == "model.norm.weight" for name, _, _ in info.layout.replacements)
    mine, source = ours(base, adapter)
    assert source.untied_output is None
    ref = peft_reference(base, adapter)
    worst, count, names = compare_to_peft(mine, ref.merged)
    assert (worst, count) == (0, 0)
    assert {"model.embed_tokens.weight", "lm_head.weight", "model.norm.weight"} <= set(names)


def test_tied_base_gets_its_own_head_and_behaves_like_the_trained_model(tiny_models, tmp_path):
    """PEFT's merge mixes an lm_head LoRA into the shared embedding; we untie instead."""
    base = tiny_models("qwen2")  # tie_word_embeddings: true
    adapter = make_adapter(base, tmp_path / "tied", target_modules=["lm_head", "q_proj"])
    mine, source = ours(base, adapter)
    assert source.untied_output == "lm_head.weight"
    assert "lm_head.weight" in mine and any("ties" in w for w in source.warnings)
    with SafetensorsSource(base) as plain:
        assert "lm_head.weight" not in plain.names()
        embed = plain.read("model.embed_tokens.weight")
    assert np.array_equal(mine["model.embed_tokens.weight"], embed)  # input side untouched
    ref = peft_reference(base, adapter)

    out, peft_out = tmp_path / "merged", tmp_path / "peft merged"
    _write_folder(base, mine, out, untie=True)
    with SafetensorsSource(base) as plain:
        _write_folder(base, {n: ref.merged[n] for n in plain.names()}, peft_out, untie=False)
    ours_err = trained_model_error(hf_logits(out, float32=True), ref)
    peft_err = trained_model_error(hf_logits(peft_out, float32=True), ref)
    assert ours_err < 0.1, ours_err
    assert peft_err > 5 * ours_err, (peft_err, ours_err)


def test_embedding_lora_on_tied_base_unties_too(tiny_models, tmp_path):
    base = tiny_models("qwen3")
    adapter = make_adapter(base, tmp_path / "emb tied", target_modules=["embed_tokens", "v_proj"])
    mine, source = ours(base, adapter)
    assert source.untied_output == "lm_head.weight"
    with SafetensorsSource(base) as plain:  # the output keeps the original matrix
        assert np.array_equal(mine["lm_head.weight"], plain.read("model.embed_tokens.weight"))
    ref = peft_reference(base, adapter)
    out = tmp_path / "merged"
    _write_folder(base, mine, out, untie=True)
    assert trained_model_error(hf_logits(out, float32=True), ref) < 0.1


def test_lora_bias_is_merged(tiny_models, tmp_path):
    base = tiny_models("qwen2")  # q/k/v have biases
    adapter = make_adapter(
        base, tmp_path / "bias", target_modules=["q_proj", "v_proj"], lora_bias=True
    )
    info = read_adapter(adapter)
    assert all(p.bias_key for p in info.layout.pairs)
    mine, source = ours(base, adapter)
    assert source.is_modified("model.layers.0.self_attn.q_proj.bias")
    ref = peft_reference(base, adapter)
    assert compare_to_peft(mine, ref.merged)[:2] == (0, 0)


def test_trainable_tokens_rows(tiny_models, tmp_path):
    base = tiny_models("llama3")
    adapter = make_adapter(
        base, tmp_path / "tokens", target_modules=["q_proj"], trainable_token_indices=[3, 7, 250]
    )
    mine, source = ours(base, adapter)
    assert source.is_modified("model.embed_tokens.weight")
    ref = peft_reference(base, adapter)
    assert compare_to_peft(mine, ref.merged)[:2] == (0, 0)
    with SafetensorsSource(base) as plain:
        changed = np.nonzero(
            (mine["model.embed_tokens.weight"] != plain.read("model.embed_tokens.weight")).any(1)
        )
    assert list(changed[0]) == [3, 7, 250]


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_other_base_dtypes(dtype, tiny_models, tmp_path):
    base = tiny_models("llama3", dtype=dtype)  # untied: PEFT's merge is the reference
    adapter = make_adapter(
        base, tmp_path / dtype, target_modules=["q_proj", "down_proj", "embed_tokens"]
    )
    mine, _ = ours(base, adapter)
    ref = peft_reference(base, adapter)
    assert compare_to_peft(mine, ref.merged)[:2] == (0, 0)


def test_bf16_stored_adapter(tiny_models, tmp_path):
    base = tiny_models("mistral")
    adapter = make_adapter(
        base, tmp_path / "bf16", target_modules=["o_proj", "up_proj"], adapter_dtype="bfloat16"
    )
    from engine.formats.safetensors import SafetensorsFile

    with SafetensorsFile(adapter / "adapter_model.safetensors") as sf:
        assert {t.dtype for t in sf.tensors.values()} == {"BF16"}
    mine, _ = ours(base, adapter)
    ref = peft_reference(base, adapter)  # PEFT upcasts the factors to f32 on load
    assert compare_to_peft(mine, ref.merged)[:2] == (0, 0)


def _write_folder(base, tensors, out, *, untie):
    """A loadable HF folder from raw tensors (the export job is tested on its own)."""
    import json

    from engine.formats.safetensors_write import SafetensorsWriter, TensorEntry

    out.mkdir()
    for item in base.iterdir():
        if item.is_file() and not item.name.endswith(".safetensors"):
            shutil.copyfile(item, out / item.name)
    dtype = {np.dtype(np.uint16): "BF16", np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}
    entries = [TensorEntry(n, dtype[t.dtype], tuple(t.shape)) for n, t in tensors.items()]
    with SafetensorsWriter(out / "model.safetensors", entries, metadata={"format": "pt"}) as w:
        for name, t in tensors.items():
            w.write(name, t)
    if untie:
        cfg = json.loads((out / "config.json").read_text(encoding="utf-8"))
        cfg["tie_word_embeddings"] = False
        (out / "config.json").write_text(json.dumps(cfg), encoding="utf-8")


def test_ensure_weight_tying_keeps_the_head_tied(tiny_models, tmp_path):
    """PEFT saves the tied head's LoRA as the embedding's; its merge adds the delta twice."""
    base = tiny_models("qwen2")
    adapter = make_adapter(
        base,
        tmp_path / "ewt",
        target_modules=["embed_tokens", "lm_head", "k_proj"],
        ensure_weight_tying=True,
    )
    mine, source = ours(base, adapter)
    assert source.untied_output is None and "lm_head.weight" not in mine
    ref = peft_reference(base, adapter)
    out, peft_out = tmp_path / "merged", tmp_path / "peft merged"
    _write_folder(base, mine, out, untie=False)
    with SafetensorsSource(base) as plain:
        _write_folder(base, {n: ref.merged[n] for n in plain.names()}, peft_out, untie=False)
    ours_err = trained_model_error(hf_logits(out, float32=True), ref)
    peft_err = trained_model_error(hf_logits(peft_out, float32=True), ref)
    assert ours_err < 0.1 and peft_err > 5 * ours_err, (ours_err, peft_err)
