"""Which ggml type each tensor gets for a file type: llama.cpp's rules, re-implemented.

The rules (learned from ``src/llama-quant.cpp``, llama-cpp-python 0.3.36):

* Only weight matrices are quantized: ≥ 2 dimensions that are not 1 (ggml's
  ``n_dims``), name ends in ``weight``, not a norm, not one of the small special
  tensors in ``tensor_rules.json``. Everything else keeps its unquantized type.
* The output matrix (or ``token_embd`` when there is no ``output.weight``: tied
  embeddings) gets Q6_K, Q8_0 stays Q8_0, and a row length that the default type
  cannot hold gives Q8_0.
* ``attn_v``-like tensors (``attn_v``, fused ``attn_qkv``, ``attn_kv_b``) and
  ``ffn_down`` get more bits in some layers, chosen by ``use_more_bits``; the
  counters advance in llama.cpp's visiting order (non-block tensors sorted by
  name, then ``blk.0.*``, ``blk.1.*`` … each sorted by name), which
  :func:`plan_tensor_types` reproduces whatever order the caller passes.
* Finally a type whose block does not divide the row length falls back
  (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K/Q3_K→Q4_0; then F16 if even that fails).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from gguf import GGMLQuantizationType

from engine.quant.ggml import block_size
from engine.quant.types import FileType

T = GGMLQuantizationType

FallbackSink = Callable[[str, GGMLQuantizationType, GGMLQuantizationType], None]

_FALLBACK = {T.Q2_K: T.Q4_0, T.Q3_K: T.Q4_0, T.Q4_K: T.Q5_0, T.Q5_K: T.Q5_1, T.Q6_K: T.Q8_0}
_BLOCK_PREFIX = re.compile(r"blk\.\s*([+-]?\d+)")  # what sscanf("blk.%d.") accepts


@dataclass(frozen=True)
class PlannedTensor:
    """A tensor as it will appear in the GGUF.

    ``name``: GGUF name (``blk.3.attn_v.weight``). ``shape``: numpy order, the last
    dimension is the row length (ggml's ``ne[0]``). ``unquantized_type``: the type
    the tensor has in an unquantized GGUF (what tensors the quantizer leaves alone
    keep); None means F32, which is what the converter writes for norms, biases
    and other 1-D tensors.
    """

    name: str
    shape: tuple[int, ...]
    unquantized_type: GGMLQuantizationType | None = None


@dataclass
class _Counters:
    n_attn_v: int
    i_attn_v: int = 0
    i_ffn_down: int = 0


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    text = resources.files("engine.quant").joinpath("tensor_rules.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def visiting_order(names: Sequence[str]) -> list[str]:
    """llama.cpp's tensor order: non-block names sorted, then blk.0.*, blk.1.* … sorted."""
    return sorted(names, key=lambda name: (_layer_of(name), name))


def _layer_of(name: str) -> int:
    match = _BLOCK_PREFIX.match(name)
    return int(match.group(1)) if match else -1


def ggml_n_dims(shape: Sequence[int]) -> int:
    """ggml's ``n_dims``: trailing ggml dims (= leading numpy dims) of size 1 don't count."""
    dims = list(reversed([int(d) for d in shape]))  # ggml order: ne[0] = row length
    for i in range(len(dims) - 1, 0, -1):
        if dims[i] > 1:
            return i + 1
    return 1


def allows_quantization(name: str, shape: Sequence[int]) -> bool:
    """True for the tensors llama_model_quantize would quantize (see module docstring)."""
    if ggml_n_dims(shape) < 2 or not name.endswith("weight"):
        return False
    rules = _rules()
    if name in rules["never_quantize_exact"]:
        return False
    return not any(part in name for part in rules["never_quantize_substrings"])


def _category(name: str) -> str:
    """llama.cpp's tensor categories, tested in its order (substring matches)."""
    if name == "output.weight":
        return "output"
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return "token_embd"
    for part, category in (
        ("attn_qkv.weight", "attn_v"),
        ("attn_kv_b.weight", "attn_v"),
        ("attn_v.weight", "attn_v"),
        ("attn_k.weight", "attn_k"),
        ("attn_q.weight", "attn_q"),
        ("attn_output.weight", "attn_output"),
        ("ffn_up", "ffn_up"),
        ("ffn_gate", "ffn_gate"),
        ("ffn_down", "ffn_down"),
    ):
        if part in name:
            return category
    return "other"


def _use_more_bits(i: int, n: int) -> bool:
    # C integer division; i >= 0 and n > 0 here, so // matches.
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


@dataclass(frozen=True)
class _Model:
    arch: str
    n_layer: int
    n_head: int | None
    n_head_kv: int | None
    n_expert: int

    def n_gqa(self) -> int:
        if self.n_head is None or self.n_head_kv is None:
            raise ValueError("this file type needs n_head and n_head_kv (grouped-query attention)")
        return self.n_head // self.n_head_kv if self.n_head_kv else 0

    def is_70b_class(self) -> bool:
        rule = _rules()["large_model_layers"].get(self.arch)
        if not rule or self.n_layer != rule["block_count"]:
            return False
        if rule["needs_gqa"]:
            if self.n_head is None or self.n_head_kv is None:
                raise ValueError(f"a {self.n_layer}-layer {self.arch} plan needs n_head/n_head_kv")
            return self.n_head != self.n_head_kv
        return True


def plan_tensor_types(
    tensors: Sequence[PlannedTensor],
    *,
    file_type: FileType,
    arch: str,
    n_layer: int,
    n_head: int | None = None,
    n_head_kv: int | None = None,
    n_expert: int = 0,
    on_fallback: FallbackSink | None = None,
) -> dict[str, GGMLQuantizationType]:
    """GGUF tensor name → ggml type, exactly as ``llama_model_quantize`` chooses it.

    ``tensors``: every tensor of the model (any order; the plan counts in
    llama.cpp's order). ``arch``: GGUF architecture (``general.architecture``).
    ``n_layer``: ``{arch}.block_count``. ``n_head``/``n_head_kv``: attention head
    counts (needed for Q2_K and 80-layer llama; pass them always). ``n_expert``:
    ``{arch}.expert_count`` (0 for dense models). ``on_fallback(name, wanted, got)``
    is called for each tensor whose row length forced another type.
    """
    names = [t.name for t in tensors]
    if len(set(names)) != len(names):
        raise ValueError("duplicate tensor names in the plan")
    model = _Model(arch, int(n_layer), n_head, n_head_kv, int(n_expert))
    counters = _Counters(n_attn_v=sum(_category(n) == "attn_v" for n in names))
    tied = "output.weight" not in names
    by_name = {t.name: t for t in tensors}

    plan: dict[str, GGMLQuantizationType] = {}
    for name in visiting_order(names):
        tensor = by_name[name]
        if not allows_quantization(name, tensor.shape):
            plan[name] = tensor.unquantized_type or T.F32
        elif not file_type.is_quantized:
            plan[name] = file_type.default_type
        else:
            wanted = _mixed_type(name, tensor.shape, file_type, model, counters, tied)
            plan[name] = _fit_row_length(name, int(tensor.shape[-1]), wanted, on_fallback)
    return {name: plan[name] for name in names}  # caller's order


def _mixed_type(
    name: str,
    shape: Sequence[int],
    file_type: FileType,
    model: _Model,
    counters: _Counters,
    tied: bool,
) -> GGMLQuantizationType:
    """llama.cpp's per-category choice for the K-quant and Q8_0 file types we write."""
    ft = file_type.name
    default = file_type.default_type
    category = _category(name)
    falcon = model.arch == "falcon"

    if category == "output" or (tied and category == "token_embd"):
        if falcon or int(shape[-1]) % block_size(default):
            return T.Q8_0
        return default if default == T.Q8_0 else T.Q6_K

    if category == "attn_v":
        new = default
        if ft == "Q2_K":
            new = T.Q4_K if model.n_gqa() >= 4 else T.Q3_K
        elif ft == "Q3_K_M":
            new = T.Q5_K if counters.i_attn_v < 2 else T.Q4_K
        elif ft in ("Q4_K_M", "Q5_K_M") and _use_more_bits(counters.i_attn_v, counters.n_attn_v):
            new = T.Q6_K
        elif ft == "Q4_K_S" and counters.i_attn_v < 4:
            new = T.Q5_K
        if new in (T.Q3_K, T.Q4_K) and model.is_70b_class():
            new = T.Q5_K
        if model.n_expert == 8:
            new = T.Q8_0
        counters.i_attn_v += 1
        return new

    if category == "attn_k":
        return T.Q8_0 if model.n_expert == 8 else default

    if category == "ffn_down":
        i_layer, n_layer = _ffn_down_layer(name, counters.i_ffn_down, model)
        counters.i_ffn_down += 1
        more = _use_more_bits(i_layer, n_layer)
        if ft == "Q2_K":
            return T.Q3_K
        if ft == "Q3_K_M":
            if i_layer < n_layer // 16:
                return T.Q5_K
            return T.Q4_K if (not falcon or more) else T.Q3_K
        if ft == "Q4_K_M":
            if falcon:
                return T.Q6_K if i_layer < n_layer // 16 else (T.Q5_K if more else T.Q4_K)
            return T.Q6_K if more else default
        if ft == "Q5_K_M":
            return T.Q6_K if more else default
        if ft == "Q4_K_S" and not falcon and i_layer < n_layer // 8:
            return T.Q5_K
        return default

    if category == "attn_output":
        if falcon:
            return default
        if model.n_expert == 8:
            return T.Q5_K if ft in ("Q2_K", "Q3_K_M", "Q4_K_S", "Q4_K_M") else default
        return {"Q2_K": T.Q3_K, "Q3_K_M": T.Q4_K}.get(ft, default)

    return default


def _ffn_down_layer(name: str, i_ffn_down: int, model: _Model) -> tuple[int, int]:
    """(layer, n_layer) for the ffn_down rules: the visit counter, or the name for MoE."""
    if model.n_expert > 1:
        layer = _layer_of(name)
        if not 0 <= layer < model.n_layer:
            raise ValueError(f"cannot tell the layer of {name} (n_layer {model.n_layer})")
        return layer, model.n_layer
    return i_ffn_down, model.n_layer


def _fit_row_length(
    name: str, n_per_row: int, wanted: GGMLQuantizationType, on_fallback: FallbackSink | None
) -> GGMLQuantizationType:
    if n_per_row % block_size(wanted) == 0:
        return wanted
    got = _FALLBACK.get(wanted, wanted)
    if n_per_row % block_size(got):
        got = T.F16
    if on_fallback is not None:
        on_fallback(name, wanted, got)
    return got
