"""Decide, per output tensor, how the merged value is made — and check the pairing.

A :class:`Recipe` says: start from this tensor (the base's, or a full copy stored in
the adapter), add this LoRA delta / bias delta, or overwrite these rows. Nothing is
read here beyond tensor headers, so a mismatched adapter fails before any work.

Tied embeddings. When the base ties ``lm_head`` to ``embed_tokens`` (no
``lm_head.weight`` stored) and the adapter changes one role but not the other (a
LoRA on ``lm_head``, or a LoRA / ``modules_to_save`` copy on ``embed_tokens``), the
trained PEFT model uses *different* input and output matrices. PEFT's own
``merge_and_unload`` adds both deltas into the one shared tensor (and warns), which
gives a model that differs from the one that was trained. We untie instead: the
output gets its own ``lm_head.weight`` and :attr:`MergePlan.untied_output` is set, so
the merged model computes what the trained model computed. With PEFT's
``ensure_weight_tying`` the head's LoRA is the embedding's, transposed: the tensor stays
tied and gets that delta once (PEFT's merge adds it twice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from engine.formats.safetensors import TensorInfo
from engine.lora.adapter import AdapterInfo, LoraPair
from engine.lora.base_check import architecture_of as architecture_of  # re-exported
from engine.lora.base_check import check_architecture as check_architecture  # re-exported
from engine.lora.base_check import mismatch_error, name_warnings
from engine.lora.errors import AdapterUnsupportedError

FLOAT_DTYPES = ("F32", "F16", "BF16")
EMBEDDING_SUFFIXES = ("embed_tokens.weight", "wte.weight", "word_embeddings.weight")
OUTPUT_MODULES = ("lm_head",)
# transformers module path ↔ checkpoint tensor prefix, where the two differ
_PREFIX_ALIASES: tuple[tuple[str, str], ...] = (
    ("model.language_model.", "language_model.model."),
    ("model.language_model.", "model."),
    ("model.", "language_model.model."),
)


class TensorHeaders(Protocol):
    def names(self) -> list[str]: ...
    def info(self, name: str) -> TensorInfo: ...


@dataclass(frozen=True)
class Delta:
    """``scale · B @ A`` added to the start tensor (``transposed``: ``(B @ A).T``)."""

    a_key: str
    b_key: str
    scale: float
    transposed: bool  # embeddings (vocab, dim) and fan_in_fan_out (Conv1D) layers
    round_first: bool = False  # PEFT's Embedding.merge rounds the delta to the weight dtype


@dataclass(frozen=True)
class Recipe:
    name: str  # output tensor name
    info: TensorInfo  # output dtype and shape
    start: str  # tensor the value starts from
    start_in_adapter: bool  # ``start`` is a full copy stored in the adapter file
    delta: Delta | None = None
    bias_delta: tuple[str, float] | None = None  # (lora_B.bias key, scale)
    rows: tuple[tuple[int, ...], str] | None = None  # trainable tokens: (row indices, key)

    @property
    def is_passthrough(self) -> bool:
        return (
            not self.start_in_adapter
            and self.delta is None
            and self.bias_delta is None
            and self.rows is None
            and self.start == self.name
        )


@dataclass(frozen=True)
class MergePlan:
    names: tuple[str, ...]  # output tensor names, base order (+ an untied lm_head last)
    recipes: dict[str, Recipe]  # only tensors that are not plain base tensors
    untied_output: str | None  # name of the lm_head tensor we added, if we untied
    warnings: tuple[str, ...]

    @property
    def lora_merged(self) -> int:
        return sum(1 for r in self.recipes.values() if r.delta is not None)

    @property
    def replaced(self) -> int:
        return sum(1 for r in self.recipes.values() if r.start_in_adapter and r.delta is None)


def build_plan(
    adapter: AdapterInfo,
    adapter_headers: Mapping[str, TensorInfo],
    base: TensorHeaders,
    base_config: Mapping[str, Any],
    read: Callable[[str], np.ndarray] | None = None,
) -> MergePlan:
    """``read``: reads an adapter tensor (used to recognise weight-tied LoRA copies)."""
    base_names = base.names()
    names = set(base_names)
    problems: list[str] = []
    warnings: list[str] = []
    recipes: dict[str, Recipe] = {}
    embed = _embedding_name(base_names)
    tied = _is_tied(base_config, names, embed)

    def locate(name: str) -> str | None:
        if name in names:
            return name
        for module_prefix, file_prefix in _PREFIX_ALIASES:
            if name.startswith(module_prefix):
                alias = file_prefix + name.removeprefix(module_prefix)
                if alias in names:
                    return alias
        return None

    def is_output(module: str) -> bool:
        return module.rsplit(".", 1)[-1] in OUTPUT_MODULES

    # 1. full copies stored in the adapter (modules_to_save, save_embedding_layers)
    starts: dict[str, tuple[str, bool]] = {}  # output name -> (adapter key, shared)
    untie_reasons: list[str] = []
    for name, key, shared in adapter.layout.replacements:
        target = locate(name)
        if target is None and tied and is_output(name.removesuffix(".weight")):
            target = name  # an lm_head copy on a tied base: becomes its own tensor
            if not shared:
                untie_reasons.append(f"it carries its own {name} (modules_to_save)")
        if target is None:
            problems.append(f"{key}: the base has no tensor {name!r}")
            continue
        if target == embed and tied and not shared and not adapter.ensure_weight_tying:
            untie_reasons.append(f"it carries its own {name} (modules_to_save)")
        got = adapter_headers[key]
        want = (
            base.info(target).shape
            if target in names
            else (base.info(embed).shape if embed else None)
        )
        if want is not None and got.shape != want:
            if (
                len(want) == 2
                and got.shape[1:] == want[1:]
                and (target == embed or is_output(name.removesuffix(".weight")))
            ):
                raise AdapterUnsupportedError(
                    f"the adapter resized the vocabulary ({want[0]} → {got.shape[0]} rows in "
                    f"{name}); merging a resized vocabulary is not supported yet",
                    path=adapter.weights_file,
                    hint="Merge with PEFT (resize the base's embeddings first, then "
                    "merge_and_unload()) and drop the merged folder instead.",
                )
            problems.append(_shape_problem(key, got.shape, target, want))
            continue
        starts[target] = (key, shared)

    # 2. LoRA pairs
    for pair in adapter.layout.pairs:
        target = locate(f"{pair.module}.weight")
        output_of_tied = False
        if target is None and tied and embed and is_output(pair.module):
            if adapter.ensure_weight_tying:
                if _is_tied_copy(pair, adapter, read):
                    continue  # the embedding's delta, shared by the tied head: merged once
                raise AdapterUnsupportedError(
                    f"{pair.module!r} has its own LoRA although ensure_weight_tying is set",
                    path=adapter.weights_file,
                    hint="Merge this adapter with PEFT and drop the merged folder instead.",
                )
            target, output_of_tied = f"{pair.module}.weight", True
            untie_reasons.append(f"it adapts {pair.module} separately from the embeddings")
        if target is None:
            problems.append(f"{pair.a_key}: the base has no tensor {pair.module + '.weight'!r}")
            continue
        if (
            pair.kind == "embedding"
            and target == embed
            and tied
            and not adapter.ensure_weight_tying
        ):
            untie_reasons.append(f"it adapts {pair.module} but not the tied output head")
        start_info = base.info(embed if output_of_tied and embed else target)
        problem = _pair_shape_problem(adapter, adapter_headers, pair, start_info.shape)
        if problem:
            problems.append(problem)
            continue
        _require_float(start_info, adapter)
        start, in_adapter = target, False
        if target in starts:
            start, in_adapter = starts.pop(target)[0], True
        elif output_of_tied:
            start = embed or target
        delta = Delta(
            a_key=pair.a_key,
            b_key=pair.b_key,
            scale=adapter.scale_for(pair.module),
            transposed=pair.kind == "embedding" or adapter.fan_in_fan_out,
            round_first=pair.kind == "embedding",
        )
        recipes[target] = Recipe(
            name=target,
            info=_out_info(target, start_info),
            start=start,
            start_in_adapter=in_adapter,
            delta=delta,
        )
        if pair.bias_key is not None:
            _add_bias(recipes, pair, adapter, base, locate, problems)

    # 3. remaining full copies, 4. trainable-token rows
    for target, (key, _shared) in starts.items():
        ref = base.info(target) if target in names else base.info(embed or target)
        recipes[target] = Recipe(
            name=target, info=_out_info(target, ref), start=key, start_in_adapter=True
        )
    for module, key in adapter.layout.token_rows:
        _add_rows(recipes, module, key, adapter, adapter_headers, base, locate, problems)

    if problems:
        raise mismatch_error(adapter, base_config, problems)

    untied: str | None = None
    out_names = list(base_names)
    if tied and embed and untie_reasons:
        untied = "lm_head.weight"
        if untied not in recipes:  # only the embedding changed: output keeps the original
            recipes[untied] = Recipe(
                name=untied,
                info=_out_info(untied, base.info(embed)),
                start=embed,
                start_in_adapter=False,
            )
        out_names.append(untied)
        warnings.append(
            "the base ties the output head to the embeddings, but this adapter "
            + "; ".join(dict.fromkeys(untie_reasons))
            + ": the merged model gets its own lm_head so it behaves like the trained one "
            "(PEFT's merge_and_unload would mix both into the shared matrix)"
        )
    warnings.extend(name_warnings(adapter, base_config))
    keep = set(out_names)  # a shared lm_head copy on a still-tied base is the embedding's twin
    recipes = {name: r for name, r in recipes.items() if name in keep}
    return MergePlan(tuple(out_names), recipes, untied, tuple(warnings))


def _is_tied_copy(
    pair: LoraPair, adapter: AdapterInfo, read: Callable[[str], np.ndarray] | None
) -> bool:
    """With ``ensure_weight_tying`` PEFT saves the head's LoRA as the embedding's factors
    transposed (A_head = B_emb.T, B_head = A_emb.T). Its merge_and_unload() then adds the
    same delta twice to the shared matrix; the trained model uses it once."""
    emb = next((p for p in adapter.layout.pairs if p.kind == "embedding"), None)
    if emb is None or read is None:
        return False
    return bool(
        np.array_equal(read(pair.a_key), read(emb.b_key).T)
        and np.array_equal(read(pair.b_key), read(emb.a_key).T)
        and adapter.scale_for(pair.module) == adapter.scale_for(emb.module)
    )


def _add_bias(recipes, pair: LoraPair, adapter, base, locate, problems) -> None:  # type: ignore[no-untyped-def]
    bias = locate(f"{pair.module}.bias")
    assert pair.bias_key is not None
    if bias is None:
        problems.append(
            f"{pair.bias_key}: lora_bias needs {pair.module}.bias, which the base lacks"
        )
        return
    info = base.info(bias)
    _require_float(info, adapter)
    recipes[bias] = Recipe(
        name=bias,
        info=info,
        start=bias,
        start_in_adapter=False,
        bias_delta=(pair.bias_key, adapter.scale_for(pair.module)),
    )


def _add_rows(recipes, module, key, adapter, headers, base, locate, problems) -> None:  # type: ignore[no-untyped-def]
    target = locate(f"{module}.weight")
    indices = _token_indices_for(adapter, module)
    if target is None or indices is None:
        problems.append(f"{key}: no base tensor / token indices for {module!r}")
        return
    if target in recipes:
        raise AdapterUnsupportedError(
            f"{module!r} has both trainable tokens and another adapter; Tuneforge cannot merge that",
            path=adapter.weights_file,
            hint="Merge this adapter with PEFT and drop the merged folder instead.",
        )
    info = base.info(target)
    rows = headers[key].shape
    if len(rows) != 2 or rows[0] != len(indices) or rows[1] != info.shape[1]:
        problems.append(
            f"{key}: rows {list(rows)} do not fit {len(indices)} tokens of {target} {list(info.shape)}"
        )
        return
    if max(indices) >= info.shape[0] or min(indices) < 0:
        problems.append(
            f"{key}: token index {max(indices)} is outside {target} ({info.shape[0]} rows)"
        )
        return
    _require_float(info, adapter)
    recipes[target] = Recipe(
        name=target, info=info, start=target, start_in_adapter=False, rows=(indices, key)
    )


def _token_indices_for(adapter: AdapterInfo, module: str) -> tuple[int, ...] | None:
    for name, indices in adapter.trainable_token_indices.items():
        if module == name or module.endswith("." + name):
            return indices
    if len(adapter.trainable_token_indices) == 1:  # a plain list: the input embedding
        return next(iter(adapter.trainable_token_indices.values()))
    return None


def _pair_shape_problem(
    adapter: AdapterInfo,
    headers: Mapping[str, TensorInfo],
    pair: LoraPair,
    base_shape: tuple[int, ...],
) -> str | None:
    a, b = headers[pair.a_key].shape, headers[pair.b_key].shape
    if len(base_shape) != 2:
        return f"{pair.module}: base tensor has shape {list(base_shape)}, not a matrix"
    # Linear: A (r, in), B (out, r) → delta (out, in); embedding: A (r, vocab), B (dim, r) →
    # (vocab, dim); Conv1D (fan_in_fan_out) stores (in, out)
    transposed = pair.kind == "embedding" or adapter.fan_in_fan_out
    want = (a[1], b[0]) if transposed else (b[0], a[1])
    if tuple(base_shape) != want:
        return _shape_problem(f"{pair.module} LoRA", want, f"{pair.module}.weight", base_shape)
    return None


def _shape_problem(what: str, got: tuple[int, ...], target: str, want: tuple[int, ...]) -> str:
    return f"{what} has shape {list(got)} but base {target} is {list(want)}"


def _require_float(info: TensorInfo, adapter: AdapterInfo) -> None:
    if info.dtype not in FLOAT_DTYPES:
        raise AdapterUnsupportedError(
            f"base tensor {info.name!r} is stored as {info.dtype}: a LoRA can only be merged into "
            "an unquantized (bf16/f16/f32) base",
            path=adapter.adapter_dir,
            hint="Use the original bf16 base model, not a GPTQ/AWQ/bitsandbytes-quantized copy.",
        )


def _out_info(name: str, ref: TensorInfo) -> TensorInfo:
    """Header of a computed tensor: dtype and shape of ``ref``; offsets span its size."""
    return TensorInfo(name, ref.dtype, ref.shape, 0, ref.end - ref.begin)


def _embedding_name(base_names: list[str]) -> str | None:
    found = [n for n in base_names if n.endswith(EMBEDDING_SUFFIXES)]
    return found[0] if len(found) == 1 else None


def _is_tied(config: Mapping[str, Any], names: set[str], embed: str | None) -> bool:
    if embed is None or any(n.rsplit(".", 2)[-2:-1] == ["lm_head"] for n in names):
        return False
    text = config.get("text_config")
    nested = text.get("tie_word_embeddings", True) if isinstance(text, dict) else True
    flag = config.get("tie_word_embeddings", nested)
    return flag is not False
