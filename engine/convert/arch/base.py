"""What every architecture module provides, and llama.cpp's generic text-model rules.

An :class:`Architecture` turns a :class:`~engine.convert.config.ModelConfig` into
GGUF metadata keys, maps Hugging Face tensor names to GGUF names (``gguf``'s
``TensorNameMap`` plus per-family exceptions), says how each tensor is transformed
(:class:`TensorTransform`) and which tensors are generated from the config
(:class:`GeneratedTensor`). The family modules override only what differs.

The keys and their types are the ones llama.cpp's own converter
(``convert_hf_to_gguf.py``, ``conversion/base.py`` ``TextModel``) writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import gguf
import numpy as np
from gguf import GGUFValueType

from engine.convert.config import ModelConfig
from engine.errors import UnsupportedError

K = gguf.Keys
MetadataKey = tuple[str, Any, GGUFValueType]

# Tensors a checkpoint may carry that no GGUF needs (llama.cpp drops them too).
IGNORED_SUFFIXES = (".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq")


@dataclass(frozen=True)
class TensorTransform:
    """How a stored tensor becomes the GGUF tensor (applied row block by row block).

    ``unpermute_heads``: Llama's q/k rows go from Hugging Face's rotary layout (two
    halves per head) back to the interleaved one GGUF uses; the value is the number
    of heads in the tensor. ``add``: a constant added in float32 (Gemma stores norm
    weights as ``w - 1``). ``keep_rows``: only the first rows are written (Gemma 3's
    embedding is padded past the real vocabulary).
    """

    unpermute_heads: int = 0
    add: float = 0.0
    keep_rows: int | None = None

    @property
    def is_identity(self) -> bool:
        return self == IDENTITY

    @property
    def needs_float(self) -> bool:
        """True when values must go through float32 (not a plain byte copy)."""
        return self.add != 0.0


IDENTITY = TensorTransform()


@dataclass(frozen=True, eq=False)
class GeneratedTensor:
    """A tensor computed from the config (rope factors), always written as F32."""

    name: str
    values: np.ndarray  # float32, 1-D


class KeyList:
    """Collects ``(key, value, type)`` triples; ``{arch}`` in a key is filled in."""

    def __init__(self, arch: str) -> None:
        self.arch = arch
        self.items: dict[str, MetadataKey] = {}

    def _add(self, template: str, value: Any, value_type: GGUFValueType) -> None:
        key = template.format(arch=self.arch)
        self.items[key] = (key, value, value_type)

    def u32(self, template: str, value: Any) -> None:
        self._add(template, int(value), GGUFValueType.UINT32)

    def f32(self, template: str, value: Any) -> None:
        self._add(template, float(value), GGUFValueType.FLOAT32)

    def string(self, template: str, value: str) -> None:
        self._add(template, str(value), GGUFValueType.STRING)

    def boolean(self, template: str, value: bool) -> None:
        self._add(template, bool(value), GGUFValueType.BOOL)

    def as_list(self) -> list[MetadataKey]:
        return list(self.items.values())


class Architecture:
    """Base class: a family of Hugging Face architectures that share one GGUF arch."""

    gguf_arch: ClassVar[gguf.MODEL_ARCH]
    hf_architectures: ClassVar[tuple[str, ...]]
    tied_by_default: ClassVar[bool] = False
    # Stored tensors that are deliberately not written (exact Hugging Face names).
    skipped_tensors: ClassVar[tuple[str, ...]] = ()
    # Values the transformers config class uses when config.json omits a field (llama.cpp's
    # converter reads the config through transformers, so it sees them too).
    config_defaults: ClassVar[Mapping[str, Any]] = {}
    # Tokenizer hook: False when the family's SentencePiece tokenizer never puts a space in
    # front of the text (Gemma), whatever the tokenizer files say; None lets them decide.
    spm_space_prefix: ClassVar[bool | None] = None
    # Tokenizer hook: llama.cpp strips the whitespace after special tokens (their rstrip
    # flag) only when general.name contains one of these (Phi-3); the first is the tag.
    rstrip_name_tags: ClassVar[tuple[str, ...]] = ()

    @property
    def name(self) -> str:
        """The GGUF architecture name (``general.architecture``)."""
        return gguf.MODEL_ARCH_NAMES[self.gguf_arch]

    def general_name(self, name: str, *, rstrip_specials: bool) -> str:
        """``general.name``: the user's name, tagged when llama.cpp switches a tokenizer
        rule on the name (:attr:`rstrip_name_tags`) and the tokenizer needs that rule."""
        if not rstrip_specials or not self.rstrip_name_tags:
            return name
        lowered = name.lower()
        if any(tag in lowered for tag in self.rstrip_name_tags):
            return name
        return f"{name} ({self.rstrip_name_tags[0]})"

    # -- config ----------------------------------------------------------------------
    def with_defaults(self, cfg: ModelConfig) -> ModelConfig:
        """``cfg`` completed with the family's defaults (see :attr:`config_defaults`)."""
        defaults = dict(self.config_defaults)
        n_head = cfg.find(("num_attention_heads", "n_head", "n_heads"))
        if n_head is not None:
            defaults.setdefault("num_key_value_heads", n_head)
        return cfg.with_defaults(defaults)

    def block_count(self, cfg: ModelConfig) -> int:
        return cfg.require_int("n_layers", "num_hidden_layers", "n_layer", "num_layers")

    def head_counts(self, cfg: ModelConfig) -> tuple[int, int]:
        n_head = cfg.require_int("num_attention_heads", "n_head", "n_heads")
        n_head_kv = int(cfg.find(("num_key_value_heads", "n_kv_heads", "n_head_kv"), n_head))
        return n_head, n_head_kv

    def vocab_size(self, cfg: ModelConfig) -> int:
        return cfg.require_int("vocab_size")

    def tied_embeddings(self, cfg: ModelConfig) -> bool:
        value = cfg.data.get("tie_word_embeddings")
        return self.tied_by_default if value is None else bool(value)

    def metadata(self, cfg: ModelConfig) -> list[MetadataKey]:
        """The ``{arch}.*`` keys (general.* and tokenizer.* are added elsewhere)."""
        keys = KeyList(self.name)
        self.generic_keys(cfg, keys)
        return keys.as_list()

    def generic_keys(self, cfg: ModelConfig, keys: KeyList) -> None:
        """llama.cpp's ``TextModel.set_gguf_parameters`` for the fields dense models have."""
        keys.u32(K.LLM.BLOCK_COUNT, self.block_count(cfg))
        n_ctx = cfg.find(
            (
                "max_position_embeddings",
                "n_ctx",
                "n_positions",
                "max_length",
                "max_sequence_length",
                "model_max_length",
            )
        )
        if n_ctx is not None:
            keys.u32(K.LLM.CONTEXT_LENGTH, n_ctx)
        n_embd = cfg.find(("hidden_size", "n_embd", "dim"))
        if n_embd is not None:
            keys.u32(K.LLM.EMBEDDING_LENGTH, n_embd)
        n_ff = cfg.find(
            (
                "prefix_dense_intermediate_size",
                "dense_intermediate_size",
                "intermediate_size",
                "n_inner",
                "hidden_dim",
            )
        )
        if n_ff is not None:
            keys.u32(K.LLM.FEED_FORWARD_LENGTH, n_ff)
        n_head = cfg.find(("num_attention_heads", "n_head", "n_heads"))
        if n_head is not None:
            keys.u32(K.Attention.HEAD_COUNT, n_head)
        n_head_kv = cfg.find(("num_key_value_heads", "n_kv_heads"))
        if n_head_kv is not None:
            keys.u32(K.Attention.HEAD_COUNT_KV, n_head_kv)
        if cfg.data.get("is_causal") is False:
            keys.boolean(K.Attention.CAUSAL, False)
        self.rope_scaling_keys(cfg, keys)
        theta = cfg.full_rope.get("rope_theta")
        if theta is not None:
            keys.f32(K.Rope.FREQ_BASE, theta)
        if cfg.swa_rope_theta is not None:
            keys.f32(K.Rope.FREQ_BASE_SWA, cfg.swa_rope_theta)
        rms_eps = cfg.find(("rms_norm_eps", "norm_eps"))
        if rms_eps is not None:
            keys.f32(K.Attention.LAYERNORM_RMS_EPS, rms_eps)
        head_dim = cfg.data.get("head_dim")
        if head_dim is not None:
            keys.u32(K.Attention.KEY_LENGTH, head_dim)
            keys.u32(K.Attention.VALUE_LENGTH, head_dim)

    def rope_scaling_keys(self, cfg: ModelConfig, keys: KeyList) -> None:
        rope = cfg.full_rope
        rope_type = rope.get("rope_type")
        if rope_type is None:
            return
        factor = rope.get("factor")
        kind = str(rope_type).lower()
        if kind == "linear" and factor is not None:
            keys.string(K.Rope.SCALING_TYPE, gguf.RopeScalingType.LINEAR.value)
            keys.f32(K.Rope.SCALING_FACTOR, factor)
        elif kind == "yarn" and factor is not None:
            keys.string(K.Rope.SCALING_TYPE, gguf.RopeScalingType.YARN.value)
            keys.f32(K.Rope.SCALING_FACTOR, factor)
            original = rope.get("original_max_position_embeddings")
            if original is None:
                raise UnsupportedError(
                    "yarn rope scaling without original_max_position_embeddings",
                    path=cfg.path,
                    field="rope_scaling",
                )
            keys.u32(K.Rope.SCALING_ORIG_CTX_LEN, original)
            for name, key in (
                ("extrapolation_factor", K.Rope.SCALING_YARN_EXT_FACTOR),
                ("attention_factor", K.Rope.SCALING_YARN_ATTN_FACTOR),
                ("beta_fast", K.Rope.SCALING_YARN_BETA_FAST),
                ("beta_slow", K.Rope.SCALING_YARN_BETA_SLOW),
            ):
                value = rope.get(name)
                if value is None and name == "attention_factor":
                    value = rope.get("attn_factor")
                if value is not None:
                    keys.f32(key, value)
        elif kind in ("su", "longrope"):
            keys.string(K.Rope.SCALING_TYPE, gguf.RopeScalingType.LONGROPE.value)
        # "default", "llama3" (→ rope_freqs tensor) and "dynamic" write no keys.

    # -- tensors ---------------------------------------------------------------------
    def tensor_name_map(self, cfg: ModelConfig) -> gguf.TensorNameMap:
        return gguf.get_tensor_name_map(self.gguf_arch, self.block_count(cfg))

    def is_ignored(self, hf_name: str) -> bool:
        return hf_name in self.skipped_tensors or hf_name.endswith(IGNORED_SUFFIXES)

    def gguf_name(self, hf_name: str, name_map: gguf.TensorNameMap) -> str | None:
        """The GGUF name of a stored tensor, or None when it cannot be mapped."""
        return name_map.get_name(key=hf_name, try_suffixes=(".weight", ".bias"))

    def transform(self, hf_name: str, gguf_name: str, cfg: ModelConfig) -> TensorTransform:
        return IDENTITY

    def generated_tensors(self, cfg: ModelConfig) -> list[GeneratedTensor]:
        return []

    # -- the expected tensor set ---------------------------------------------------------
    def layer_tensors(self, cfg: ModelConfig) -> tuple[str, ...]:
        """GGUF names (after ``blk.N.``, before ``.weight``) of every layer's weights."""
        return DENSE_LAYER_TENSORS

    def layer_biases(self, cfg: ModelConfig) -> tuple[str, ...]:
        """The layer tensors that also have a ``.bias`` (Llama-style config flags)."""
        biases: tuple[str, ...] = ()
        if cfg.get("attention_bias"):
            biases += ("attn_q", "attn_k", "attn_v", "attn_output")
        if cfg.get("mlp_bias"):
            biases += ("ffn_gate", "ffn_up", "ffn_down")
        return biases

    def expected_tensors(self, cfg: ModelConfig, *, tied: bool) -> ExpectedTensors:
        """Every GGUF tensor this config needs, from the config alone: embeddings, final
        norm, the output head unless tied, each layer's weights and biases, and the
        tensors generated from the config. ``tied``: the output head is the embedding
        (an output.weight is then allowed, for a LoRA merge that unties it)."""
        required = {"token_embd.weight", "output_norm.weight"}
        optional: set[str] = set()
        (optional if tied else required).add("output.weight")
        weights, biases = self.layer_tensors(cfg), self.layer_biases(cfg)
        for i in range(self.block_count(cfg)):
            required.update(f"blk.{i}.{name}.weight" for name in weights)
            required.update(f"blk.{i}.{name}.bias" for name in biases)
        required.update(t.name for t in self.generated_tensors(cfg))
        return ExpectedTensors(required=frozenset(required), optional=frozenset(optional))


# The per-layer tensors of a Llama-style dense decoder (GGUF names).
DENSE_LAYER_TENSORS = (
    "attn_norm",
    "attn_q",
    "attn_k",
    "attn_v",
    "attn_output",
    "ffn_norm",
    "ffn_gate",
    "ffn_up",
    "ffn_down",
)


@dataclass(frozen=True)
class ExpectedTensors:
    """GGUF tensor names a model must have (``required``) and may have (``optional``)."""

    required: frozenset[str]
    optional: frozenset[str] = frozenset()

    def allows(self, name: str) -> bool:
        return name in self.required or name in self.optional
