"""Gemma 3 (text-only checkpoints, ``Gemma3ForCausalLM``).

Generic keys with Gemma 3's defaults, the global rope base plus
``rope.freq_base_swa`` for the sliding layers, optional final soft-capping; norms
(q/k norms included) stored as ``w - 1``; the embedding may have rows past the real
vocabulary, which llama.cpp's converter cuts off (so do we, by the same count).
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import gguf

from engine.convert.arch.base import K, KeyList, MetadataKey, TensorTransform
from engine.convert.arch.gemma2 import Gemma2Architecture
from engine.convert.config import ModelConfig
from engine.errors import InputError
from engine.hf import read_json_object


class Gemma3Architecture(Gemma2Architecture):
    """Gemma 2's tensors and tokenizer rules (tied, norms stored as ``w - 1``, no space
    prefix), plus q/k norms, its own keys and the embedding cut to the real vocabulary."""

    gguf_arch = gguf.MODEL_ARCH.GEMMA3
    hf_architectures = ("Gemma3ForCausalLM",)  # text-only Gemma 3
    skipped_tensors = ()  # an untied lm_head is written (llama.cpp's converter keeps it)
    config_defaults = MappingProxyType(
        {
            "head_dim": 256,
            "num_key_value_heads": 4,
            "max_position_embeddings": 131072,
            "rms_norm_eps": 1e-6,
            "sliding_window": 4096,
            "rope_theta": 1_000_000.0,
            "rope_local_base_freq": 10000.0,
        }
    )

    def layer_tensors(self, cfg: ModelConfig) -> tuple[str, ...]:
        return (*super().layer_tensors(cfg), "attn_q_norm", "attn_k_norm")

    def metadata(self, cfg: ModelConfig) -> list[MetadataKey]:
        keys = KeyList(self.name)
        self.generic_keys(cfg, keys)
        head_dim = int(cfg.get("head_dim", 256))
        keys.u32(K.LLM.CONTEXT_LENGTH, cfg.get("max_position_embeddings", 131072))
        keys.u32(K.Attention.HEAD_COUNT, cfg.get("num_attention_heads", 8))
        keys.f32(K.Attention.LAYERNORM_RMS_EPS, cfg.get("rms_norm_eps", 1e-6))
        keys.u32(K.Attention.KEY_LENGTH, head_dim)
        keys.u32(K.Attention.VALUE_LENGTH, head_dim)
        keys.f32(K.Rope.FREQ_BASE, cfg.full_rope.get("rope_theta", 1_000_000.0))
        if cfg.get("attn_logit_softcapping") is not None:
            raise InputError(
                "Gemma 3 has no attention soft-capping, but config.json sets one",
                path=cfg.path,
                field="attn_logit_softcapping",
            )
        final_softcap = cfg.get("final_logit_softcapping")
        if final_softcap:
            keys.f32(K.LLM.FINAL_LOGIT_SOFTCAPPING, final_softcap)
        if cfg.data.get("sliding_window_pattern") != 1 and cfg.get("sliding_window") is not None:
            keys.u32(K.Attention.SLIDING_WINDOW, cfg.require_int("sliding_window"))
        keys.u32(K.Attention.HEAD_COUNT_KV, cfg.get("num_key_value_heads", 4))
        return keys.as_list()

    def head_counts(self, cfg: ModelConfig) -> tuple[int, int]:
        return int(cfg.get("num_attention_heads", 8)), int(cfg.get("num_key_value_heads", 4))

    def transform(self, hf_name: str, gguf_name: str, cfg: ModelConfig) -> TensorTransform:
        if hf_name.endswith("embed_tokens.weight"):
            return TensorTransform(keep_rows=real_vocab_size(cfg))
        return super().transform(hf_name, gguf_name, cfg)


def real_vocab_size(cfg: ModelConfig) -> int:
    """Rows of the embedding llama.cpp keeps: the SentencePiece vocabulary padded to
    ``vocab_size`` when there is a ``tokenizer.model``, else the tokenizer.json size."""
    model_dir = Path(cfg.path).parent
    if (model_dir / "tokenizer.model").is_file():
        return int(cfg.require_int("vocab_size"))
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise InputError(
            "no tokenizer.model or tokenizer.json in the model folder",
            path=model_dir,
            hint="Copy the tokenizer files from the original model into this folder.",
        )
    data = read_json_object(path)
    try:
        return len(data["model"]["vocab"]) + len(data.get("added_tokens", []))
    except (KeyError, TypeError) as exc:
        raise InputError(f"cannot read the vocabulary size: {exc}", path=path) from exc
