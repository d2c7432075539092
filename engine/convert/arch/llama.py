"""Llama 2 / 3.x and Mistral (written as GGUF arch ``llama``).

Differences from the generic rules: ``llama.vocab_size`` and
``llama.rope.dimension_count`` keys; q/k projections are un-permuted from Hugging
Face's rotary layout (two halves per head) to GGUF's interleaved one; Llama 3.1+'s
``rope_type: llama3`` becomes a ``rope_freqs.weight`` tensor (one factor per
rotary frequency) instead of keys.
"""

from __future__ import annotations

import math
from types import MappingProxyType

import gguf
import numpy as np

from engine.convert.arch.base import (
    IDENTITY,
    Architecture,
    GeneratedTensor,
    K,
    KeyList,
    MetadataKey,
    TensorTransform,
)
from engine.convert.config import ModelConfig


class LlamaArchitecture(Architecture):
    gguf_arch = gguf.MODEL_ARCH.LLAMA
    hf_architectures = ("LlamaForCausalLM",)
    config_defaults = MappingProxyType(
        {"max_position_embeddings": 2048, "rms_norm_eps": 1e-6, "rope_theta": 10000.0}
    )

    def with_defaults(self, cfg: ModelConfig) -> ModelConfig:
        cfg = super().with_defaults(cfg)
        if "head_dim" not in cfg.data and cfg.find(("hidden_size",)) is not None:
            cfg = cfg.with_defaults({"head_dim": self.head_dim(cfg)})
        return cfg

    def metadata(self, cfg: ModelConfig) -> list[MetadataKey]:
        keys = KeyList(self.name)
        self.generic_keys(cfg, keys)
        keys.u32(K.LLM.VOCAB_SIZE, self.vocab_size(cfg))
        keys.u32(K.Rope.DIMENSION_COUNT, self.head_dim(cfg))
        return keys.as_list()

    def head_dim(self, cfg: ModelConfig) -> int:
        head_dim = cfg.get("head_dim")
        if head_dim is None:
            head_dim = cfg.require_int("hidden_size") // self.head_counts(cfg)[0]
        return int(head_dim)

    def transform(self, hf_name: str, gguf_name: str, cfg: ModelConfig) -> TensorTransform:
        n_head, n_head_kv = self.head_counts(cfg)
        if hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            return TensorTransform(unpermute_heads=n_head)
        if hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            return TensorTransform(unpermute_heads=n_head_kv)
        return IDENTITY

    def generated_tensors(self, cfg: ModelConfig) -> list[GeneratedTensor]:
        rope = cfg.full_rope
        if str(rope.get("rope_type", "")).lower() != "llama3":
            return []
        return [GeneratedTensor("rope_freqs.weight", llama3_rope_factors(rope, self.head_dim(cfg)))]


class MistralArchitecture(LlamaArchitecture):
    """Mistral: Llama's conversion (GGUF arch ``llama``) with MistralConfig's defaults."""

    hf_architectures = ("MistralForCausalLM",)
    config_defaults = MappingProxyType(
        {
            "max_position_embeddings": 131072,
            "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0,
            "num_key_value_heads": 8,
        }
    )


def llama3_rope_factors(rope: dict | object, head_dim: int) -> np.ndarray:
    """Per-frequency rope scaling factors of Llama 3.1+ (``rope_type: llama3``).

    Computed in float32 step by step, as llama.cpp's converter does with torch, so
    the tensor matches its output.
    """
    params = rope if isinstance(rope, dict) else dict(rope)  # type: ignore[call-overload]
    f32 = np.float32
    base = f32(params.get("rope_theta", 10000.0))
    factor = float(params.get("factor", 8.0))
    low_freq_factor = float(params.get("low_freq_factor", 1.0))
    high_freq_factor = float(params.get("high_freq_factor", 4.0))
    old_context_len = int(params.get("original_max_position_embeddings", 8192))

    # torch evaluates ``scalar / tensor`` as ``reciprocal(tensor) * scalar``; so do we.
    freqs = f32(1.0) / (base ** (np.arange(0, head_dim, 2, dtype=f32) / f32(head_dim)))
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    factors: list[float] = []
    for freq in freqs:
        wavelen = (f32(1) / freq) * f32(2 * math.pi)
        if wavelen < high_freq_wavelen:
            factors.append(1.0)
        elif wavelen > low_freq_wavelen:
            factors.append(factor)
        else:
            ratio = (f32(1) / wavelen) * f32(old_context_len)
            smooth = (ratio - f32(low_freq_factor)) / f32(high_freq_factor - low_freq_factor)
            factors.append(float(f32(1) / ((f32(1) - smooth) / f32(factor) + smooth)))
    return np.asarray(factors, dtype=f32)
