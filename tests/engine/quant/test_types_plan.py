"""File-type table and the per-tensor planner's rules (pure Python; parity with llama.cpp
itself is checked in test_llama_parity.py)."""

from __future__ import annotations

import random

import gguf
import pytest
from gguf import GGMLQuantizationType as T

from engine.quant import FILE_TYPES, PlannedTensor, parse_file_type, plan_tensor_types
from engine.quant.errors import UnknownFileTypeError
from engine.quant.plan import allows_quantization, ggml_n_dims, visiting_order

ISSUE_TYPES = [
    "F16",
    "BF16",
    "Q8_0",
    "Q6_K",
    "Q5_K_M",
    "Q5_K_S",
    "Q4_K_M",
    "Q4_K_S",
    "Q3_K_M",
    "Q2_K",
]


@pytest.mark.parametrize("name", [*ISSUE_TYPES, "F32"])
def test_every_issue_type_parses_case_insensitively(name: str) -> None:
    assert parse_file_type(name.lower()).name == name
    assert parse_file_type(f" {name} ").name == name


def test_ftype_numbers_are_llama_cpps() -> None:
    for ft in FILE_TYPES.values():
        expected = "ALL_F32" if ft.name == "F32" else f"MOSTLY_{ft.name}"
        assert gguf.LlamaFileType[expected].value == ft.ftype, ft.name
    assert (FILE_TYPES["F32"].ftype, FILE_TYPES["F16"].ftype, FILE_TYPES["BF16"].ftype) == (
        0,
        1,
        32,
    )


def test_aliases_follow_llama_quantize() -> None:
    assert parse_file_type("q4_k").name == "Q4_K_M"
    assert parse_file_type("Q5_K").name == "Q5_K_M"
    assert parse_file_type("q3-k-m").name == "Q3_K_M"


def test_unknown_type_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownFileTypeError) as err:
        parse_file_type("Q4_K_X")
    assert "Q4_K_M" in str(err.value) and "Q8_0" in str(err.value) and "BF16" in str(err.value)
    assert err.value.field == "type"


def test_every_type_has_advice_text() -> None:
    for ft in FILE_TYPES.values():
        assert len(ft.description) > 10 and len(ft.recommendation) > 20


# --- planner rules -----------------------------------------------------------------------


def llama_like(
    n_layer: int, *, hidden: int = 256, ff: int = 512, tied: bool = False
) -> list[PlannedTensor]:
    tensors = [PlannedTensor("token_embd.weight", (1000, hidden))]
    if not tied:
        tensors.append(PlannedTensor("output.weight", (1000, hidden)))
    tensors.append(PlannedTensor("output_norm.weight", (hidden,)))
    for i in range(n_layer):
        p = f"blk.{i}."
        tensors += [
            PlannedTensor(p + "attn_norm.weight", (hidden,)),
            PlannedTensor(p + "attn_q.weight", (hidden, hidden)),
            PlannedTensor(p + "attn_q.bias", (hidden,)),
            PlannedTensor(p + "attn_k.weight", (hidden // 4, hidden)),
            PlannedTensor(p + "attn_v.weight", (hidden // 4, hidden)),
            PlannedTensor(p + "attn_output.weight", (hidden, hidden)),
            PlannedTensor(p + "ffn_norm.weight", (hidden,)),
            PlannedTensor(p + "ffn_gate.weight", (ff, hidden)),
            PlannedTensor(p + "ffn_up.weight", (ff, hidden)),
            PlannedTensor(p + "ffn_down.weight", (hidden, ff)),
        ]
    return tensors


def plan(tensors: list[PlannedTensor], type_name: str, n_layer: int, **kw: object) -> dict[str, T]:
    return plan_tensor_types(
        tensors,
        file_type=FILE_TYPES[type_name],
        arch=str(kw.pop("arch", "llama")),
        n_layer=n_layer,
        n_head=4,
        n_head_kv=1,
        **kw,  # type: ignore[arg-type]
    )


def test_q4_k_m_gives_more_bits_where_llama_cpp_does() -> None:
    n = 28  # DeepSeek-R1-Distill-Qwen-1.5B
    types = plan(llama_like(n), "Q4_K_M", n)
    more = {i for i in range(n) if types[f"blk.{i}.attn_v.weight"] == T.Q6_K}
    # use_more_bits(i, 28): i < 3, i >= 24, (i - 3) % 3 == 2
    assert more == {0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27}
    assert {i for i in range(n) if types[f"blk.{i}.ffn_down.weight"] == T.Q6_K} == more
    assert types["blk.3.attn_q.weight"] == T.Q4_K and types["blk.3.ffn_up.weight"] == T.Q4_K
    assert types["output.weight"] == T.Q6_K and types["token_embd.weight"] == T.Q4_K
    assert types["blk.0.attn_norm.weight"] == T.F32 and types["blk.0.attn_q.bias"] == T.F32


def test_plan_does_not_depend_on_the_callers_order() -> None:
    tensors = llama_like(12)
    shuffled = tensors[:]
    random.Random(7).shuffle(shuffled)
    assert plan(tensors, "Q4_K_M", 12) == plan(shuffled, "Q4_K_M", 12)
    assert list(plan(shuffled, "Q4_K_M", 12)) == [t.name for t in shuffled]


def test_visiting_order_is_numeric_by_block_then_by_name() -> None:
    names = [
        "blk.10.a.weight",
        "output.weight",
        "blk.2.b.weight",
        "blk.2.a.weight",
        "token_embd.weight",
    ]
    assert visiting_order(names) == [
        "output.weight",
        "token_embd.weight",
        "blk.2.a.weight",
        "blk.2.b.weight",
        "blk.10.a.weight",
    ]


def test_tied_embeddings_get_the_output_type() -> None:
    types = plan(llama_like(2, tied=True), "Q4_K_M", 2)
    assert types["token_embd.weight"] == T.Q6_K
    assert plan(llama_like(2, tied=True), "Q8_0", 2)["token_embd.weight"] == T.Q8_0


@pytest.mark.parametrize(
    ("type_name", "wanted", "fallback"),
    [
        ("Q4_K_S", T.Q4_K, T.Q5_0),
        ("Q5_K_S", T.Q5_K, T.Q5_1),
        ("Q6_K", T.Q6_K, T.Q8_0),
        ("Q2_K", T.Q3_K, T.Q4_0),
    ],
)
def test_row_length_not_a_multiple_of_256_falls_back(
    type_name: str, wanted: T, fallback: T
) -> None:
    seen: list[tuple[str, T, T]] = []
    tensors = llama_like(8, hidden=320, ff=512)  # 320 = 10 × 32
    types = plan(tensors, type_name, 8, on_fallback=lambda *a: seen.append(a))
    assert (
        types["blk.4.attn_output.weight" if type_name == "Q2_K" else "blk.4.attn_q.weight"]
        == fallback
    )
    assert types["blk.4.ffn_down.weight"] != fallback  # its rows are 512 long
    assert types["output.weight"] == T.Q8_0  # 320 % 256 != 0
    assert any(w == wanted and g == fallback for _, w, g in seen)


def test_row_length_not_a_multiple_of_32_becomes_f16() -> None:
    types = plan(llama_like(2, ff=200), "Q4_K_M", 2)
    assert types["blk.0.ffn_down.weight"] == T.F16
    assert plan(llama_like(2, ff=200), "Q8_0", 2)["blk.1.ffn_down.weight"] == T.F16


def test_what_is_never_quantized() -> None:
    assert not allows_quantization("blk.0.attn_norm.weight", (256, 256))
    assert not allows_quantization("blk.0.ffn_gate_inp.weight", (8, 256))
    assert not allows_quantization("position_embd.weight", (512, 256))
    assert not allows_quantization("blk.0.attn_q.bias", (256,))
    assert not allows_quantization("rope_freqs.weight", (64,))
    assert not allows_quantization("blk.0.x.weight", (1, 256))  # ggml n_dims == 1
    assert allows_quantization("blk.0.ffn_up.weight", (512, 256))
    assert ggml_n_dims((1, 1, 256)) == 1 and ggml_n_dims((2, 1, 256)) == 3


def test_unquantized_file_types_keep_norms_f32() -> None:
    for name in ("F16", "BF16", "F32"):
        types = plan(llama_like(2), name, 2)
        assert types["blk.0.ffn_down.weight"] == FILE_TYPES[name].default_type
        assert types["output_norm.weight"] == T.F32


def test_unquantized_type_is_kept_for_untouched_tensors() -> None:
    tensors = [*llama_like(1), PlannedTensor("blk.0.ffn_gate_inp.weight", (8, 256), T.BF16)]
    assert plan(tensors, "Q4_K_M", 1)["blk.0.ffn_gate_inp.weight"] == T.BF16


def test_q2_k_needs_head_counts() -> None:
    with pytest.raises(ValueError, match="n_head"):
        plan_tensor_types(llama_like(2), file_type=FILE_TYPES["Q2_K"], arch="llama", n_layer=2)


def test_70b_class_llama_gets_q5_k_attn_v() -> None:
    types = plan(llama_like(80, hidden=256), "Q3_K_M", 80)
    assert types["blk.40.attn_v.weight"] == T.Q5_K  # Q4_K for a smaller model
    assert plan(llama_like(40), "Q3_K_M", 40)["blk.20.attn_v.weight"] == T.Q4_K
