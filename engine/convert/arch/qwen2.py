"""Qwen2 / Qwen2.5 (also DeepSeek-R1-Distill-Qwen, which is a Qwen2 checkpoint).

The generic rules are all it needs: no q/k permutation, the q/k/v biases are
written as 1-D F32 tensors, tied embeddings (small Qwen2.5 models) mean no
``output.weight``.
"""

from __future__ import annotations

from types import MappingProxyType

import gguf

from engine.convert.arch.base import Architecture
from engine.convert.config import ModelConfig


class Qwen2Architecture(Architecture):
    gguf_arch = gguf.MODEL_ARCH.QWEN2
    hf_architectures = ("Qwen2ForCausalLM",)
    config_defaults = MappingProxyType(
        {"max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 10000.0}
    )

    def layer_biases(self, cfg: ModelConfig) -> tuple[str, ...]:
        return ("attn_q", "attn_k", "attn_v")  # Qwen2Attention: q/k/v always biased, o not
