"""Architecture modules: the registry, config reading, and the tensor transforms
checked against the formulas they implement."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine.convert.arch import architecture_for, supported_architectures
from engine.convert.arch.llama import llama3_rope_factors
from engine.convert.config import load_config
from engine.convert.stream import unpermute_rows
from engine.errors import InputError, UnsupportedError

ISSUE_ARCHITECTURES = {
    "LlamaForCausalLM",
    "MistralForCausalLM",
    "Qwen2ForCausalLM",
    "Qwen3ForCausalLM",
    "Gemma2ForCausalLM",
    "Gemma3ForCausalLM",
    "Phi3ForCausalLM",
}


def test_registry_covers_the_families_and_refuses_others():
    assert set(supported_architectures()) == ISSUE_ARCHITECTURES
    assert architecture_for("MistralForCausalLM").name == "llama"
    assert architecture_for("Qwen2ForCausalLM").name == "qwen2"
    with pytest.raises(UnsupportedError) as err:
        architecture_for("GPT2LMHeadModel")
    assert "GPT2LMHeadModel" in err.value.message
    for name in ISSUE_ARCHITECTURES:
        assert name in (err.value.hint or "")


def test_unpermute_is_llama_cpp_permutation():
    """Per head, HF stores rotary pairs as [x0..x(d/2-1), y0..]; GGUF wants x0,y0,x1,y1…"""
    n_heads, head_dim, cols = 3, 8, 5
    rows = np.arange(n_heads * head_dim * cols).reshape(n_heads * head_dim, cols)
    out = unpermute_rows(rows, n_heads)
    half = head_dim // 2
    for h in range(n_heads):
        for i in range(half):
            np.testing.assert_array_equal(out[h * head_dim + 2 * i], rows[h * head_dim + i])
            np.testing.assert_array_equal(
                out[h * head_dim + 2 * i + 1], rows[h * head_dim + half + i]
            )
    # row blocks of whole heads give the same result as the whole tensor
    blocks = [unpermute_rows(rows[i : i + head_dim], 1) for i in range(0, len(rows), head_dim)]
    np.testing.assert_array_equal(np.concatenate(blocks), out)


def test_llama3_rope_factors_formula():
    rope = {
        "rope_theta": 500000.0,
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3",
    }
    got = llama3_rope_factors(rope, 128)
    assert got.dtype == np.float32 and got.shape == (64,)
    for i, value in enumerate(got):
        freq = 1.0 / (500000.0 ** (2 * i / 128))
        wavelen = 2 * math.pi / freq
        if wavelen < 8192 / 4:
            expected = 1.0
        elif wavelen > 8192 / 1:
            expected = 8.0
        else:
            smooth = (8192 / wavelen - 1.0) / (4.0 - 1.0)
            expected = 1 / ((1 - smooth) / 8.0 + smooth)
        assert value == pytest.approx(expected, rel=1e-5)


def _write_config(path, data):
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(data), encoding="utf-8")
    return path


def test_config_styles_give_the_same_rope_view(tmp_path):
    hub = load_config(
        _write_config(
            tmp_path / "hub",
            {
                "architectures": ["Gemma3ForCausalLM"],
                "rope_theta": 1e6,
                "rope_local_base_freq": 1e4,
                "rope_scaling": {"rope_type": "linear", "factor": 8.0},
            },
        )
    )
    new = load_config(
        _write_config(
            tmp_path / "new",
            {
                "architectures": ["Gemma3ForCausalLM"],
                "rope_parameters": {
                    "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6},
                    "sliding_attention": {"rope_type": "default", "rope_theta": 1e4},
                },
            },
        )
    )
    for cfg in (hub, new):
        assert cfg.full_rope["rope_theta"] == 1e6
        assert cfg.full_rope["rope_type"] == "linear"
        assert cfg.swa_rope_theta == 1e4
    legacy = load_config(
        _write_config(
            tmp_path / "old",
            {
                "architectures": ["Phi3ForCausalLM"],
                "rope_theta": 1e4,
                "rope_scaling": {"type": "longrope", "long_factor": [1.0], "short_factor": [1.0]},
                "original_max_position_embeddings": 4096,
            },
        )
    )
    assert legacy.rope["rope_type"] == "longrope"
    assert legacy.rope["original_max_position_embeddings"] == 4096


def test_transformers_defaults_fill_missing_fields(tmp_path):
    base = {"hidden_size": 1024, "num_attention_heads": 16, "num_hidden_layers": 2}
    llama = architecture_for("LlamaForCausalLM")
    cfg = llama.with_defaults(
        load_config(_write_config(tmp_path / "l", {"architectures": ["LlamaForCausalLM"], **base}))
    )
    assert cfg.get("head_dim") == 64 and cfg.get("num_key_value_heads") == 16
    qwen3 = architecture_for("Qwen3ForCausalLM")
    cfg = qwen3.with_defaults(
        load_config(_write_config(tmp_path / "q", {"architectures": ["Qwen3ForCausalLM"], **base}))
    )
    assert cfg.get("head_dim") == 128  # Qwen3Config's default, not hidden/heads
    keys = {k: v for k, v, _ in qwen3.metadata(cfg)}
    assert keys["qwen3.attention.key_length"] == 128
    mistral = architecture_for("MistralForCausalLM")
    cfg = mistral.with_defaults(
        load_config(
            _write_config(
                tmp_path / "m",
                {"architectures": ["MistralForCausalLM"], **base, "sliding_window": None},
            )
        )
    )
    assert cfg.get("num_key_value_heads") == 8
    assert "sliding_window" in cfg.data and cfg.data["sliding_window"] is None  # explicit null kept


def test_bad_configs(tmp_path):
    with pytest.raises(InputError, match=r"no config\.json"):
        load_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON"):
        load_config(tmp_path)
    _write_config(tmp_path, {"model_type": "llama"})
    with pytest.raises(InputError, match="architectures"):
        load_config(tmp_path)
    cfg = load_config(_write_config(tmp_path, {"architectures": ["Gemma2ForCausalLM"]}))
    with pytest.raises(InputError) as err:
        architecture_for("Gemma2ForCausalLM").metadata(cfg)
    assert err.value.field == "num_hidden_layers" or err.value.field == "num_attention_heads"


def test_rope_scaling_keys(tmp_path):
    base = {
        "architectures": ["Qwen2ForCausalLM"],
        "hidden_size": 64,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "rope_theta": 1e6,
    }
    qwen2 = architecture_for("Qwen2ForCausalLM")
    yarn = qwen2.with_defaults(
        load_config(
            _write_config(
                tmp_path / "y",
                {
                    **base,
                    "rope_scaling": {
                        "type": "yarn",
                        "factor": 4.0,
                        "original_max_position_embeddings": 32768,
                    },
                },
            )
        )
    )
    keys = {k: (v, t.name) for k, v, t in qwen2.metadata(yarn)}
    assert keys["qwen2.rope.scaling.type"] == ("yarn", "STRING")
    assert keys["qwen2.rope.scaling.factor"] == (4.0, "FLOAT32")
    assert keys["qwen2.rope.scaling.original_context_length"] == (32768, "UINT32")
    assert keys["qwen2.rope.freq_base"] == (1e6, "FLOAT32")
    assert keys["qwen2.attention.head_count_kv"] == (4, "UINT32")  # defaults to the heads
    linear = qwen2.with_defaults(
        load_config(
            _write_config(
                tmp_path / "l", {**base, "rope_scaling": {"rope_type": "linear", "factor": 2.0}}
            )
        )
    )
    keys = {k: v for k, v, _ in qwen2.metadata(linear)}
    assert (keys["qwen2.rope.scaling.type"], keys["qwen2.rope.scaling.factor"]) == ("linear", 2.0)
    plain = qwen2.with_defaults(load_config(_write_config(tmp_path / "p", base)))
    assert not any("scaling" in k for k, _, _ in qwen2.metadata(plain))
