"""Read a PEFT adapter folder: ``adapter_config.json`` + ``adapter_model.safetensors``.

Reading never merges and never raises for adapter *kinds* we cannot merge (DoRA,
LoHa, …): :func:`read_adapter` reports them in :attr:`AdapterInfo.unsupported` so
``inspect`` and the GUI can show the adapter; :meth:`AdapterInfo.require_mergeable`
raises before any merge. Broken folders (no config, pickle weights, half pairs) raise
:class:`~engine.lora.errors.AdapterError` right away.

PEFT saves tensors under the module path of the wrapped model, with the adapter name
removed::

    base_model.model.<module>.lora_A.weight          (rank, in)      Linear
    base_model.model.<module>.lora_B.weight          (out, rank)
    base_model.model.<module>.lora_B.bias            (out,)          lora_bias=True
    base_model.model.<module>.lora_embedding_A       (rank, vocab)   Embedding
    base_model.model.<module>.lora_embedding_B       (dim, rank)
    base_model.model.<module>.token_adapter.trainable_tokens_delta   (n, dim)  rows
    base_model.model.<module>.lora_magnitude_vector  (out,)          DoRA
    base_model.model.<module>.base_layer.weight      full tensor (save_embedding_layers)
    base_model.model.<module>.weight                 full tensor (modules_to_save)

Adapters saved by transformers' own PEFT integration lack the ``base_model.model.``
prefix; both spellings are accepted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.formats.safetensors import (
    SafetensorsFile,
    lfs_pointer_error,
    looks_like_lfs_pointer,
)
from engine.hf import ADAPTER_CONFIG
from engine.lora.adapter_config import (
    float_field,
    int_field,
    opt_str,
    read_config,
    token_indices,
    unsupported_kinds,
)
from engine.lora.errors import AdapterError, AdapterUnsupportedError

ADAPTER_WEIGHTS = "adapter_model.safetensors"
PICKLE_WEIGHTS = ("adapter_model.bin", "adapter_model.pt", "adapter_model.pth")
KEY_PREFIX = "base_model.model."


@dataclass(frozen=True)
class LoraPair:
    """One adapted module: ``delta = B @ A`` (embedding: ``(B @ A).T``)."""

    module: str  # module path in the model, e.g. "model.layers.0.self_attn.q_proj"
    kind: str  # "linear" | "embedding"
    a_key: str
    b_key: str
    bias_key: str | None = None  # lora_B.bias (lora_bias=True)


@dataclass(frozen=True)
class AdapterLayout:
    """What the adapter's tensors do, by kind, in file order."""

    pairs: tuple[LoraPair, ...]
    # (base tensor name, adapter key, shared): ``shared`` for ``base_layer`` copies, which PEFT
    # loads into the base parameter itself (tied embeddings see them in both roles), as
    # opposed to ``modules_to_save`` copies, which replace one module only.
    replacements: tuple[tuple[str, str, bool], ...]
    token_rows: tuple[tuple[str, str], ...]  # (module, adapter key of the new rows)
    unsupported_keys: tuple[str, ...]  # DoRA magnitudes, AdaLoRA E, …


@dataclass(frozen=True)
class AdapterInfo:
    """An adapter folder as recorded in its config, plus what its tensors hold."""

    adapter_dir: Path
    peft_type: str
    base_model_name_or_path: str | None
    revision: str | None
    task_type: str | None
    r: int
    lora_alpha: float
    target_modules: tuple[str, ...]  # names, or one regex when target_modules_is_regex
    target_modules_is_regex: bool
    rank_pattern: dict[str, int]
    alpha_pattern: dict[str, float]
    use_rslora: bool
    use_dora: bool
    modules_to_save: tuple[str, ...]
    fan_in_fan_out: bool
    lora_bias: bool
    bias: str
    trainable_token_indices: dict[str, tuple[int, ...]]
    ensure_weight_tying: bool
    init_lora_weights: str
    base_model_class: str | None  # auto_mapping.base_model_class (PEFT records it sometimes)
    peft_version: str | None
    weights_file: Path
    weights_bytes: int
    parameters: int
    layout: AdapterLayout
    unsupported: tuple[str, ...] = field(default=())  # why it cannot be merged; () = mergeable

    @property
    def mergeable(self) -> bool:
        return not self.unsupported

    @property
    def adapted_modules(self) -> tuple[str, ...]:
        return tuple(p.module for p in self.layout.pairs)

    def require_mergeable(self) -> None:
        if self.unsupported:
            raise AdapterUnsupportedError(
                "this adapter cannot be merged: " + "; ".join(self.unsupported),
                path=self.adapter_dir,
                hint="Tuneforge merges plain LoRA adapters (rsLoRA, rank/alpha patterns, "
                "modules_to_save, embedding and lm_head adapters included). Merge this one with "
                "PEFT (model.merge_and_unload()) and drop the merged folder instead.",
            )

    def pattern_key(self, pattern: Mapping[str, Any], module: str) -> str | None:
        return pattern_key(pattern, module)

    def rank_for(self, module: str) -> int:
        key = pattern_key(self.rank_pattern, module)
        return int(self.rank_pattern[key]) if key is not None else self.r

    def alpha_for(self, module: str) -> float:
        key = pattern_key(self.alpha_pattern, module)
        return float(self.alpha_pattern[key]) if key is not None else self.lora_alpha

    def scale_for(self, module: str) -> float:
        """PEFT's ``scaling``: alpha / r, or alpha / sqrt(r) with rsLoRA (Python float)."""
        rank = self.rank_for(module)
        alpha = self.alpha_for(module)
        return alpha / math.sqrt(rank) if self.use_rslora else alpha / rank


def pattern_key(pattern: Mapping[str, Any], module: str) -> str | None:
    """The first key of ``rank_pattern``/``alpha_pattern`` that matches ``module``.

    Same rule as PEFT's ``get_pattern_key``: the key is a regex that must match a
    dot-separated suffix of the module path (``v_proj`` matches
    ``model.layers.0.self_attn.v_proj``; ``layers.1.self_attn.q_proj`` only layer 1).
    """
    for key in pattern:
        try:
            if re.match(rf"(.*\.)?({key})$", module):
                return key
        except re.error:
            continue
    return None


def read_adapter(adapter_dir: Path) -> AdapterInfo:
    """Read and validate an adapter folder (config + tensor headers; no tensor data)."""
    adapter_dir = Path(adapter_dir)
    config = read_config(adapter_dir)
    weights = _weights_file(adapter_dir)
    with SafetensorsFile(weights) as sf:
        infos = dict(sf.tensors)
    layout = parse_layout(infos.keys(), path=weights)
    _check_pair_shapes(layout, infos, weights)

    targets = config.get("target_modules") or ()
    is_regex = isinstance(targets, str)
    target_modules = (targets,) if isinstance(targets, str) else tuple(str(t) for t in targets)
    auto_mapping = config.get("auto_mapping") or {}
    info = AdapterInfo(
        adapter_dir=adapter_dir,
        peft_type=str(config.get("peft_type") or "LORA").upper(),
        base_model_name_or_path=opt_str(config.get("base_model_name_or_path")),
        revision=opt_str(config.get("revision")),
        task_type=opt_str(config.get("task_type")),
        r=int_field(config, "r", 8, adapter_dir),
        lora_alpha=float_field(config, "lora_alpha", 8.0, adapter_dir),
        target_modules=tuple(sorted(target_modules)) if not is_regex else target_modules,
        target_modules_is_regex=is_regex,
        rank_pattern={str(k): int(v) for k, v in (config.get("rank_pattern") or {}).items()},
        alpha_pattern={str(k): float(v) for k, v in (config.get("alpha_pattern") or {}).items()},
        use_rslora=bool(config.get("use_rslora", False)),
        use_dora=bool(config.get("use_dora", False)),
        modules_to_save=tuple(str(m) for m in (config.get("modules_to_save") or ())),
        fan_in_fan_out=bool(config.get("fan_in_fan_out", False)),
        lora_bias=bool(config.get("lora_bias", False)),
        bias=str(config.get("bias") or "none"),
        trainable_token_indices=token_indices(config.get("trainable_token_indices")),
        ensure_weight_tying=bool(config.get("ensure_weight_tying", False)),
        init_lora_weights=str(config.get("init_lora_weights", True)),
        base_model_class=opt_str(
            auto_mapping.get("base_model_class") if isinstance(auto_mapping, dict) else None
        ),
        peft_version=opt_str(config.get("peft_version")),
        weights_file=weights,
        weights_bytes=weights.stat().st_size,
        parameters=sum(i.n_elements for i in infos.values()),
        layout=layout,
        unsupported=_unsupported(config, layout),
    )
    for module, rank in ((p.module, infos[p.a_key].shape[0]) for p in layout.pairs):
        expected = info.rank_for(module)
        if rank != expected:
            raise AdapterError(
                f"module {module!r} has rank {rank} in the weights but the config says "
                f"{expected} (r / rank_pattern)",
                path=adapter_dir / ADAPTER_CONFIG,
                field="rank_pattern" if info.rank_pattern else "r",
                hint="The config and the weights come from different trainings; copy both "
                "files from the same checkpoint folder.",
            )
    return info


def parse_layout(keys: Iterable[str], *, path: Path) -> AdapterLayout:
    """Sort the adapter's tensor names into LoRA pairs, full replacements and rows."""
    a_keys: dict[str, tuple[str, str]] = {}  # module -> (key, kind)
    b_keys: dict[str, tuple[str, str]] = {}
    bias_keys: dict[str, str] = {}
    replacements: list[tuple[str, str, bool]] = []
    token_rows: list[tuple[str, str]] = []
    unsupported: list[str] = []
    for key in keys:
        name = key.removeprefix(KEY_PREFIX)
        if name.endswith(".lora_A.weight"):
            a_keys[name.removesuffix(".lora_A.weight")] = (key, "linear")
        elif name.endswith(".lora_B.weight"):
            b_keys[name.removesuffix(".lora_B.weight")] = (key, "linear")
        elif name.endswith(".lora_B.bias"):
            bias_keys[name.removesuffix(".lora_B.bias")] = key
        elif name.endswith(".lora_embedding_A"):
            a_keys[name.removesuffix(".lora_embedding_A")] = (key, "embedding")
        elif name.endswith(".lora_embedding_B"):
            b_keys[name.removesuffix(".lora_embedding_B")] = (key, "embedding")
        elif name.endswith(".token_adapter.trainable_tokens_delta"):
            token_rows.append((name.removesuffix(".token_adapter.trainable_tokens_delta"), key))
        elif ".lora_" in name or ".token_adapter." in name:
            unsupported.append(key)
        else:
            replacements.append((_replaced_tensor_name(name), key, ".base_layer." in name))
    pairs: list[LoraPair] = []
    for module, (a_key, kind) in a_keys.items():
        b = b_keys.pop(module, None)
        if b is None or b[1] != kind:
            raise AdapterError(
                f"{a_key!r} has no matching lora_B tensor",
                path=path,
                field=a_key,
                hint="The adapter file is incomplete; copy it again from the training output.",
            )
        pairs.append(LoraPair(module, kind, a_key, b[0], bias_keys.pop(module, None)))
    orphans = [k for k, _ in b_keys.values()] + list(bias_keys.values())
    if orphans:
        raise AdapterError(
            f"{orphans[0]!r} has no matching lora_A tensor",
            path=path,
            field=orphans[0],
            hint="The adapter file is incomplete; copy it again from the training output.",
        )
    return AdapterLayout(tuple(pairs), tuple(replacements), tuple(token_rows), tuple(unsupported))


def _replaced_tensor_name(name: str) -> str:
    """``lm_head.base_layer.weight`` / ``lm_head.modules_to_save.weight`` → ``lm_head.weight``."""
    for marker in (".base_layer.", ".modules_to_save.default.", ".modules_to_save."):
        name = name.replace(marker, ".")
    return name


def _check_pair_shapes(layout: AdapterLayout, infos: Mapping[str, Any], path: Path) -> None:
    for pair in layout.pairs:
        a, b = infos[pair.a_key], infos[pair.b_key]
        if len(a.shape) != 2 or len(b.shape) != 2:
            raise AdapterUnsupportedError(
                f"{pair.a_key!r} has shape {list(a.shape)}: only 2-D LoRA factors (Linear and "
                "Embedding layers) can be merged",
                path=path,
                field=pair.a_key,
                hint="Convolution or fused-parameter adapters are not supported; merge with PEFT.",
            )
        if a.shape[0] != b.shape[1] or 0 in a.shape or 0 in b.shape:
            raise AdapterError(
                f"{pair.module!r}: lora_A {list(a.shape)} and lora_B {list(b.shape)} do not "
                "have the same rank (or are empty)",
                path=path,
                field=pair.a_key,
                hint="The adapter was saved from a sharded (ZeRO-3/FSDP) run without "
                "gathering the weights, or the file is corrupt. Save it again.",
            )
        for key in (pair.a_key, pair.b_key, pair.bias_key):
            if key is not None and infos[key].dtype not in ("F32", "F16", "BF16"):
                raise AdapterUnsupportedError(
                    f"{key!r} is stored as {infos[key].dtype}; LoRA factors must be float",
                    path=path,
                    field=key,
                )


def _weights_file(adapter_dir: Path) -> Path:
    weights = adapter_dir / ADAPTER_WEIGHTS
    if weights.is_file():
        if looks_like_lfs_pointer(weights):
            raise lfs_pointer_error(weights)
        return weights
    for name in PICKLE_WEIGHTS:
        if (adapter_dir / name).is_file():
            raise AdapterError(
                f"the adapter weights are a PyTorch pickle ({name}), which Tuneforge never "
                "opens because loading a pickle can run arbitrary code",
                path=adapter_dir / name,
                hint="Re-save the adapter as safetensors: in PEFT "
                "model.save_pretrained(dir, safe_serialization=True); in LLaMA-Factory keep "
                "save_safetensors: true (the default) and export again.",
            )
    raise AdapterError(
        f"{ADAPTER_WEIGHTS} is missing next to {ADAPTER_CONFIG}",
        path=adapter_dir,
        hint="Copy the whole adapter folder from the training output.",
    )


def _unsupported(config: Mapping[str, Any], layout: AdapterLayout) -> tuple[str, ...]:
    reasons = list(unsupported_kinds(config))
    if layout.unsupported_keys and not config.get("use_dora"):
        reasons.append(f"unknown adapter tensors such as {layout.unsupported_keys[0]!r}")
    return tuple(reasons)
