"""Gemma 2: its own key list (soft-capping, sliding window; no rope keys), every
``*norm.weight`` stored as ``w - 1`` (written as ``w``), tied embeddings."""

from __future__ import annotations

from types import MappingProxyType
from typing import ClassVar

import gguf

from engine.convert.arch.base import (
    IDENTITY,
    Architecture,
    K,
    KeyList,
    MetadataKey,
    TensorTransform,
)
from engine.convert.config import ModelConfig

NORM_OFFSET = TensorTransform(add=1.0)


class Gemma2Architecture(Architecture):
    gguf_arch = gguf.MODEL_ARCH.GEMMA2
    hf_architectures = ("Gemma2ForCausalLM",)
    tied_by_default = True
    skipped_tensors: ClassVar[tuple[str, ...]] = ("lm_head.weight",)  # always the tied embedding
    spm_space_prefix = False
    config_defaults = MappingProxyType(
        {
            "head_dim": 256,
            "num_key_value_heads": 4,
            "max_position_embeddings": 8192,
            "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0,
            "attn_logit_softcapping": 50.0,
            "final_logit_softcapping": 30.0,
            "sliding_window": 4096,
        }
    )

    def metadata(self, cfg: ModelConfig) -> list[MetadataKey]:
        keys = KeyList(self.name)
        n_head, n_head_kv = self.head_counts(cfg)
        head_dim = cfg.require_int("head_dim")
        keys.u32(K.LLM.CONTEXT_LENGTH, cfg.require_int("max_position_embeddings"))
        keys.u32(K.LLM.EMBEDDING_LENGTH, cfg.require_int("hidden_size"))
        keys.u32(K.LLM.BLOCK_COUNT, self.block_count(cfg))
        keys.u32(K.LLM.FEED_FORWARD_LENGTH, cfg.require_int("intermediate_size"))
        keys.u32(K.Attention.HEAD_COUNT, n_head)
        keys.u32(K.Attention.HEAD_COUNT_KV, n_head_kv)
        keys.f32(K.Attention.LAYERNORM_RMS_EPS, cfg.require("rms_norm_eps"))
        keys.u32(K.Attention.KEY_LENGTH, head_dim)
        keys.u32(K.Attention.VALUE_LENGTH, head_dim)
        keys.f32(K.LLM.ATTN_LOGIT_SOFTCAPPING, cfg.require("attn_logit_softcapping"))
        keys.f32(K.LLM.FINAL_LOGIT_SOFTCAPPING, cfg.require("final_logit_softcapping"))
        keys.u32(K.Attention.SLIDING_WINDOW, cfg.require_int("sliding_window"))
        return keys.as_list()

    def transform(self, hf_name: str, gguf_name: str, cfg: ModelConfig) -> TensorTransform:
        return NORM_OFFSET if hf_name.endswith("norm.weight") else IDENTITY

    def layer_tensors(self, cfg: ModelConfig) -> tuple[str, ...]:
        return (*super().layer_tensors(cfg), "post_attention_norm", "post_ffw_norm")
