"""Qwen3 (dense): like Qwen2 without biases, plus per-head q/k RMS norms
(``attn_q_norm`` / ``attn_k_norm``) and an explicit ``head_dim`` that need not equal
``hidden_size / num_attention_heads`` (hence the key/value length keys).
"""

from __future__ import annotations

from types import MappingProxyType

import gguf

from engine.convert.arch.base import Architecture
from engine.convert.config import ModelConfig


class Qwen3Architecture(Architecture):
    gguf_arch = gguf.MODEL_ARCH.QWEN3
    hf_architectures = ("Qwen3ForCausalLM",)
    config_defaults = MappingProxyType(
        {
            "head_dim": 128,
            "max_position_embeddings": 32768,
            "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0,
        }
    )

    def layer_tensors(self, cfg: ModelConfig) -> tuple[str, ...]:
        return (*super().layer_tensors(cfg), "attn_q_norm", "attn_k_norm")
