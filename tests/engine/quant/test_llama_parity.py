"""Our plan + encoder equal llama.cpp's ``llama_model_quantize``, type for type and byte for
byte, on hand-built bf16 GGUFs that exercise every rule: many layers (use_more_bits),
tied and untied output, fused attn_qkv, row lengths that are not multiples of 256 (and
not of 32), and every file type we offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.quant import FILE_TYPES
from tests.engine.quant.helpers import (
    SyntheticModel,
    assert_same_tensors,
    llama_cpp_or_skip,
    llama_quantize,
    ours_from_unquantized,
    read_tensors,
    write_synthetic_gguf,
)

pytestmark = pytest.mark.slow  # ~60 llama_model_quantize runs

ALL_TYPES = list(FILE_TYPES)

MODELS = {
    # 16 layers: use_more_bits picks 0, 1, 4, 7, 10, 13, 14, 15
    "llama-16-layers": SyntheticModel(n_layer=16, hidden=256, ff=512, n_head=8, n_head_kv=2),
    "qwen2-tied-gqa4": SyntheticModel(
        arch="qwen2", n_layer=9, n_head=8, n_head_kv=2, tied=True, with_bias=True
    ),
    "phi3-fused": SyntheticModel(arch="phi3", n_layer=6, n_head=4, n_head_kv=4, fused_qkv=True),
    # hidden 320: every hidden-wide row falls back (q4_K→q5_0, q6_K→q8_0 …); ff 544 = 17×32
    "odd-rows": SyntheticModel(n_layer=5, hidden=320, ff=544, n_head=5, n_head_kv=5),
    # ff 200: ffn_down rows are not even a multiple of 32 → F16
    "odd-rows-f16": SyntheticModel(arch="qwen2", n_layer=3, hidden=256, ff=200, tied=True),
}


@pytest.fixture(scope="module")
def synthetic_ggufs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    llama_cpp_or_skip()
    folder = tmp_path_factory.mktemp("合成 models")
    return {
        key: write_synthetic_gguf(folder / f"{key} 模型-bf16.gguf", spec, seed=i)
        for i, (key, spec) in enumerate(MODELS.items())
    }


@pytest.mark.parametrize("model_key", list(MODELS))
@pytest.mark.parametrize("type_name", ALL_TYPES)
def test_types_and_bytes_equal_llama_model_quantize(
    synthetic_ggufs: dict[str, Path], tmp_path: Path, model_key: str, type_name: str
) -> None:
    source = synthetic_ggufs[model_key]
    file_type = FILE_TYPES[type_name]
    reference = tmp_path / f"llama {type_name}.gguf"
    llama_quantize(source, reference, file_type.ftype)
    theirs = read_tensors(reference)
    ours = ours_from_unquantized(source, file_type)
    assert_same_tensors(ours, theirs)


def test_the_odd_models_really_exercise_the_fallbacks(
    synthetic_ggufs: dict[str, Path], tmp_path: Path
) -> None:
    """Guard against a fixture change that would make the fallback cases vacuous."""
    out = tmp_path / "q4km.gguf"
    llama_quantize(synthetic_ggufs["odd-rows"], out, FILE_TYPES["Q4_K_M"].ftype)
    types = {n: t.type.name for n, t in read_tensors(out).items()}
    assert types["blk.2.attn_q.weight"] == "Q5_0" and types["output.weight"] == "Q8_0"
    assert types["blk.4.attn_v.weight"] == "Q8_0"  # Q6_K (more bits: last layer) → Q8_0
    assert types["blk.0.attn_v.weight"] == "Q5_0"
    out = tmp_path / "q4km-f16.gguf"
    llama_quantize(synthetic_ggufs["odd-rows-f16"], out, FILE_TYPES["Q4_K_M"].ftype)
    assert read_tensors(out)["blk.1.ffn_down.weight"].type.name == "F16"


@pytest.mark.parametrize(("n_head_kv", "attn_v"), [(2, "Q5_K"), (8, "Q4_K")])
def test_80_layer_llama_is_70b_class_only_with_gqa(
    tmp_path: Path, n_head_kv: int, attn_v: str
) -> None:
    """llama.cpp's loader calls an 80-layer llama with n_head != n_head_kv "70B" and then
    gives its attn_v one more step (Q4_K → Q5_K); with n_head == n_head_kv it is "65B"."""
    llama_cpp_or_skip()
    spec = SyntheticModel(n_layer=80, hidden=256, ff=256, vocab=256, n_head=8, n_head_kv=n_head_kv)
    source = write_synthetic_gguf(tmp_path / "eighty.gguf", spec)
    reference = tmp_path / "q3km.gguf"
    llama_quantize(source, reference, FILE_TYPES["Q3_K_M"].ftype)
    theirs = read_tensors(reference)
    assert theirs["blk.40.attn_v.weight"].type.name == attn_v
    assert_same_tensors(ours_from_unquantized(source, FILE_TYPES["Q3_K_M"]), theirs)
