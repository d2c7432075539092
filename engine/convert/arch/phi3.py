"""Phi-3 / Phi-3.5 (``Phi3ForCausalLM``).

The fused projections stay fused (``qkv_proj`` → ``attn_qkv``, ``gate_up_proj`` →
``ffn_up``); its own key list with ``rope.scaling.original_context_length`` and
``attention.sliding_window`` (0 when unset, which llama.cpp reads as "no sliding
window"). Long-context checkpoints (``longrope``) get ``rope_factors_long`` /
``rope_factors_short`` tensors and ``rope.scaling.attn_factor``.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import gguf
import numpy as np

from engine.convert.arch.base import (
    Architecture,
    GeneratedTensor,
    K,
    KeyList,
    MetadataKey,
)
from engine.convert.config import ModelConfig
from engine.errors import InputError, UnsupportedError


class Phi3Architecture(Architecture):
    gguf_arch = gguf.MODEL_ARCH.PHI3
    hf_architectures = ("Phi3ForCausalLM",)
    rstrip_name_tags = ("phi3", "phi-3")  # llama.cpp: llm_tokenizer_spm rstrip rule
    config_defaults = MappingProxyType(
        {
            "max_position_embeddings": 4096,
            "original_max_position_embeddings": 4096,
            "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0,
        }
    )

    def _context(self, cfg: ModelConfig) -> tuple[int, int]:
        n_ctx = int(cfg.require("n_positions", "max_position_embeddings"))
        original = cfg.rope.get("original_max_position_embeddings", n_ctx)
        return n_ctx, int(original)

    def rope_dims(self, cfg: ModelConfig) -> int:
        n_embd = cfg.require_int("hidden_size", "n_embd")
        n_head = cfg.require_int("num_attention_heads", "n_head")
        partial = float(cfg.rope.get("partial_rotary_factor", 1.0))
        return int(partial * n_embd) // n_head

    def metadata(self, cfg: ModelConfig) -> list[MetadataKey]:
        keys = KeyList(self.name)
        n_ctx, original = self._context(cfg)
        keys.u32(K.LLM.CONTEXT_LENGTH, n_ctx)
        keys.u32(K.Rope.SCALING_ORIG_CTX_LEN, original)
        keys.u32(K.LLM.EMBEDDING_LENGTH, cfg.require_int("hidden_size", "n_embd"))
        keys.u32(K.LLM.FEED_FORWARD_LENGTH, cfg.require_int("intermediate_size"))
        keys.u32(K.LLM.BLOCK_COUNT, self.block_count(cfg))
        keys.u32(K.Attention.HEAD_COUNT, cfg.require_int("num_attention_heads", "n_head"))
        keys.u32(K.Attention.HEAD_COUNT_KV, cfg.require_int("num_key_value_heads", "n_head_kv"))
        keys.f32(K.Attention.LAYERNORM_RMS_EPS, cfg.require("rms_norm_eps"))
        keys.u32(K.Rope.DIMENSION_COUNT, self.rope_dims(cfg))
        theta = cfg.full_rope.get("rope_theta")
        keys.f32(K.Rope.FREQ_BASE, theta if theta is not None else cfg.require("rope_theta"))
        keys.u32(K.Attention.SLIDING_WINDOW, cfg.get("sliding_window", 0))
        attn_factor = self._long_rope_attn_factor(cfg)
        if attn_factor is not None:
            keys.f32(K.Rope.SCALING_ATTN_FACTOR, attn_factor)
        return keys.as_list()

    def _long_rope_attn_factor(self, cfg: ModelConfig) -> float | None:
        if not cfg.rope.get("long_factor"):
            return None
        n_ctx, original = self._context(cfg)
        scale = n_ctx / original
        kind = str(cfg.rope.get("rope_type", "")).lower()
        if kind in ("su", "longrope"):
            return math.sqrt(1 + math.log(scale) / math.log(original)) if scale > 1.0 else 1.0
        if kind == "yarn":
            return 0.1 * math.log(scale) + 1.0 if scale > 1.0 else 1.0
        raise UnsupportedError(
            f"Phi-3 rope scaling type {kind or '(missing)'!r} is not supported",
            path=cfg.path,
            field="rope_scaling",
            hint="Supported: longrope (su) and yarn.",
        )

    def generated_tensors(self, cfg: ModelConfig) -> list[GeneratedTensor]:
        long_factors = cfg.rope.get("long_factor")
        if not long_factors:
            return []
        self._long_rope_attn_factor(cfg)  # validates the type
        short_factors = cfg.rope.get("short_factor")
        half = self.rope_dims(cfg) / 2
        if short_factors is None or len(long_factors) != half or len(short_factors) != half:
            raise InputError(
                f"rope_scaling needs long_factor and short_factor with {half:g} values each",
                path=cfg.path,
                field="rope_scaling",
            )
        return [
            GeneratedTensor("rope_factors_long.weight", np.asarray(long_factors, dtype=np.float32)),
            GeneratedTensor(
                "rope_factors_short.weight", np.asarray(short_factors, dtype=np.float32)
            ),
        ]

    def layer_tensors(self, cfg: ModelConfig) -> tuple[str, ...]:
        # fused qkv_proj and gate_up_proj (written as ffn_up, as llama.cpp expects)
        return ("attn_norm", "attn_qkv", "attn_output", "ffn_norm", "ffn_up", "ffn_down")
