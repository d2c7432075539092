"""Expected output size (checked against files llama.cpp really writes), the quant-picker
recommendation, and the free-disk check."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.quant import (
    FILE_TYPES,
    PlannedTensor,
    check_free_disk,
    estimate_output_bytes,
    format_size,
    quant_choices,
    recommend,
)
from engine.quant.errors import NotEnoughDiskError
from engine.quant.requantize import read_input_model
from tests.engine.quant.helpers import (
    SyntheticModel,
    llama_cpp_or_skip,
    llama_quantize,
    write_synthetic_gguf,
)


@pytest.mark.parametrize("type_name", ["Q4_K_M", "Q8_0", "Q6_K", "F16", "Q2_K"])
def test_estimate_matches_the_file_llama_cpp_writes(tmp_path: Path, type_name: str) -> None:
    llama_cpp_or_skip()
    source = write_synthetic_gguf(tmp_path / "源 bf16.gguf", SyntheticModel(n_layer=6, vocab=2000))
    model = read_input_model(source)
    out = tmp_path / "out.gguf"
    llama_quantize(source, out, FILE_TYPES[type_name].ftype)
    estimate = estimate_output_bytes(
        model.tensors,
        FILE_TYPES[type_name],
        arch=model.arch,
        n_layer=model.n_layer,
        n_head=model.n_head,
        n_head_kv=model.n_head_kv,
        metadata_bytes=model.metadata_bytes,
    )
    actual = out.stat().st_size
    assert abs(estimate - actual) <= 256, (estimate, actual)


def qwen_1_5b_like() -> list[PlannedTensor]:
    hidden, ff, kv, vocab = 1536, 8960, 256, 151936
    tensors = [
        PlannedTensor("token_embd.weight", (vocab, hidden)),
        PlannedTensor("output_norm.weight", (hidden,)),
    ]
    tensors.append(PlannedTensor("output.weight", (vocab, hidden)))
    for i in range(28):
        p = f"blk.{i}."
        tensors += [
            PlannedTensor(p + "attn_q.weight", (hidden, hidden)),
            PlannedTensor(p + "attn_k.weight", (kv, hidden)),
            PlannedTensor(p + "attn_v.weight", (kv, hidden)),
            PlannedTensor(p + "attn_output.weight", (hidden, hidden)),
            PlannedTensor(p + "ffn_gate.weight", (ff, hidden)),
            PlannedTensor(p + "ffn_up.weight", (ff, hidden)),
            PlannedTensor(p + "ffn_down.weight", (hidden, ff)),
            PlannedTensor(p + "attn_norm.weight", (hidden,)),
            PlannedTensor(p + "ffn_norm.weight", (hidden,)),
        ]
    return tensors


def test_picker_sizes_for_a_1_5b_model_are_plausible() -> None:
    choices = quant_choices(qwen_1_5b_like(), arch="qwen2", n_layer=28, n_head=12, n_head_kv=2)
    sizes = {c.file_type.name: c.output_bytes for c in choices}
    # the published DeepSeek-R1-Distill-Qwen-1.5B GGUFs: Q4_K_M 1.12 GB, Q8_0 1.89 GB, F16 3.56 GB
    assert 1.05e9 < sizes["Q4_K_M"] < 1.2e9
    assert 1.8e9 < sizes["Q8_0"] < 1.95e9
    assert 3.5e9 < sizes["F16"] < 3.6e9
    assert sizes["Q2_K"] < sizes["Q3_K_M"] < sizes["Q4_K_S"] < sizes["Q4_K_M"] < sizes["Q5_K_M"]
    assert [c.file_type.name for c in choices if c.recommended] == ["Q8_0"]  # small model
    text = next(c.text for c in choices if c.file_type.name == "Q4_K_M")
    assert text.startswith("Q4_K_M · 1.1 GB — ") and "balance" in text


def test_recommendation_steps_down_until_it_fits() -> None:
    assert recommend(n_params=8_000_000_000).file_type.name == "Q4_K_M"
    assert recommend(n_params=3_000_000_000).file_type.name == "Q6_K"
    sizes = {"Q8_0": 8_500_000_000, "Q6_K": 6_600_000_000, "Q5_K_M": 5_700_000_000, "Q4_K_M": 4_900_000_000,
             "Q4_K_S": 4_600_000_000, "Q3_K_M": 3_900_000_000, "Q2_K": 3_200_000_000}  # fmt: skip
    rec = recommend(n_params=8_000_000_000, sizes=sizes, memory_bytes=6_500_000_000)
    assert rec.file_type.name == "Q4_K_S"
    assert "fits" in rec.reason and rec.text.startswith("Q4_K_S: ")
    rec = recommend(n_params=8_000_000_000, sizes=sizes, memory_bytes=2_000_000_000)
    assert rec.file_type.name == "Q2_K" and "slow" in rec.reason


def test_free_disk_check(tmp_path: Path) -> None:
    target = tmp_path / "新 文件夹" / "model.gguf"  # folder does not exist yet
    check_free_disk(target, 1024)
    with pytest.raises(NotEnoughDiskError) as err:
        check_free_disk(target, 2**60)
    assert "another drive" in str(err.value) and err.value.details["needed_bytes"] == 2**60


def test_format_size() -> None:
    assert format_size(1_120_000_000) == "1.1 GB"
    assert format_size(640_000_000) == "640 MB"
    assert format_size(12_300) == "12.3 KB"
    assert format_size(5) == "5 B"


@pytest.mark.parametrize("type_name", ["Q4_K_M", "Q8_0", "BF16"])
def test_picker_for_a_model_folder_matches_what_convert_writes(
    tiny_models, tmp_path: Path, type_name: str
) -> None:
    from engine.convert import ConvertSpec, convert_job
    from engine.convert.estimate import quant_choices_for_model
    from engine.jobs import null_context

    model_dir = tiny_models("qwen2")
    choices = {c.file_type.name: c for c in quant_choices_for_model(model_dir)}
    assert list(choices) == list(FILE_TYPES)
    assert sum(c.recommended for c in choices.values()) == 1
    out = tmp_path / f"模型 {type_name}.gguf"
    result = convert_job(
        ConvertSpec(model_dir=model_dir, output=out, out_type=type_name), null_context()
    )
    # tensor data is exact; the tokenizer block is a guess (a few KB here)
    assert (
        abs(choices[type_name].output_bytes - result.size_bytes)
        < 0.05 * result.size_bytes + 64 * 1024
    )
