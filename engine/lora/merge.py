"""Merge a LoRA adapter into base tensors on the fly, in numpy (no torch).

:func:`open_merged_source` wraps the converter's base :class:`TensorSource`: untouched
tensors come from the base as they are, adapted ones are computed for just the rows
asked for (``read_rows``), in cache-sized blocks of float32 scratch, so extra memory
stays at one row block plus the (small) LoRA factors.

The arithmetic is PEFT's CPU ``merge_and_unload()``, bit for bit (see
:mod:`engine.lora.numerics`): ``round(f32(base) + (B_f32 @ A_f32) * f32(scale))`` with
one rounding into the base dtype (embeddings: the delta is rounded first, as PEFT's
``Embedding.merge`` does); ``scale`` is alpha/r (alpha/sqrt(r) with rsLoRA) from
the rank/alpha patterns. Full copies stored in the adapter (``modules_to_save``,
embedding ``base_layer`` copies) are rounded into the base dtype first, as PEFT's
``load_state_dict`` does, before a delta is added.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.errors import InputError
from engine.formats.safetensors import SafetensorsFile, TensorInfo, to_f32
from engine.hf import optional_json_object, text_config
from engine.lora.adapter import AdapterInfo, read_adapter
from engine.lora.base_check import architecture_of, check_architecture
from engine.lora.errors import AdapterMismatchError, AdapterUnsupportedError
from engine.lora.numerics import error_weights, from_f32, merge_rows
from engine.lora.plan import Delta, MergePlan, Recipe, build_plan

# llama.cpp has no separate output matrix for these: an untied lm_head cannot be stored.
ALWAYS_TIED_IN_GGUF = frozenset({"GemmaForCausalLM", "Gemma2ForCausalLM"})


class TensorSource(Protocol):
    """What the converter reads tensors from (see ``engine.hf.weights``)."""

    def names(self) -> list[str]: ...
    def info(self, name: str) -> TensorInfo: ...
    def read(self, name: str) -> np.ndarray: ...


class MergedSource:
    """Base tensors with the adapter merged in, computed lazily, a row range at a time.

    Implements the converter's ``TensorSource`` and its optional ``RowReader``
    (``read_rows``): merged rows are computed for just the requested range, and
    untouched tensors come from the base's own ``read_rows`` (positional reads) when it
    has one, so neither path grows the process's resident memory by a whole model.
    Thread-safe: the converter reads blocks from several threads.
    """

    def __init__(
        self,
        *,
        base: TensorSource,
        adapter: AdapterInfo,
        adapter_file: SafetensorsFile,
        plan: MergePlan,
        exact: bool = True,
    ) -> None:
        self.base = base
        self.exact = exact
        self.adapter = adapter
        self.plan = plan
        self._adapter_file = adapter_file
        self._names = list(plan.names)
        self._factors = _FactorCache(adapter_file)

    # -- TensorSource ---------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._names)

    def info(self, name: str) -> TensorInfo:
        recipe = self.plan.recipes.get(name)
        return recipe.info if recipe is not None else self.base.info(name)

    def read(self, name: str) -> np.ndarray:
        """The whole tensor, raw in its stored dtype (BF16 as uint16), like the base's."""
        shape = self.info(name).shape
        return self.read_rows(name, 0, shape[0] if len(shape) >= 2 else 1)

    def read_rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` (first axis, clipped to the tensor); a 1-D tensor comes back whole."""
        return self._rows(name, start, stop, as_float32=False)

    def read_values(self, name: str, start: int, stop: int) -> np.ndarray:
        """``read_rows`` as float32 values (what a quantizer reads). A merged tensor comes
        straight from the float32 merge, without the narrowing to its stored dtype and
        the widening back (the values are the same)."""
        return self._rows(name, start, stop, as_float32=True)

    def _rows(self, name: str, start: int, stop: int, *, as_float32: bool) -> np.ndarray:
        shape = self.info(name).shape
        if len(shape) >= 2:
            start, stop = max(0, start), min(stop, shape[0])
        recipe = self.plan.recipes.get(name)
        if recipe is None:
            rows = base_rows(self.base, name, start, stop)
            return to_f32(rows, self.info(name).dtype) if as_float32 else rows
        return compute_rows(
            recipe,
            start,
            stop,
            base=self.base,
            adapter_file=self._adapter_file,
            factors=self._factors,
            exact=self.exact,
            as_float32=as_float32,
        )

    # -- extras ---------------------------------------------------------------------
    def is_modified(self, name: str) -> bool:
        return name in self.plan.recipes

    def reads_whole(self, name: str) -> bool:
        """True for tensors that start from a full copy stored in the adapter (read whole
        from the adapter file); every other tensor is best read a row block at a time."""
        recipe = self.plan.recipes.get(name)
        return recipe is not None and recipe.start_in_adapter

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.plan.warnings

    @property
    def untied_output(self) -> str | None:
        """``lm_head.weight`` when the merge had to untie a tied output head (see plan.py)."""
        return self.plan.untied_output

    def close(self) -> None:
        self._factors.clear()
        self._adapter_file.close()

    def __enter__(self) -> MergedSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_merged_source(
    *, base_dir: Path, adapter_dir: Path, base_source: TensorSource, exact: bool = True
) -> MergedSource:
    """The base model's tensors with the adapter in ``adapter_dir`` merged in.

    Validates everything that can be checked from headers first (adapter kind, ranks,
    architecture, every adapted module's shape against the base), so a mismatched pair
    fails in milliseconds with a message naming the tensor.
    """
    adapter = read_adapter(Path(adapter_dir))
    adapter.require_mergeable()
    base_config = read_config(Path(base_dir))
    check_architecture(adapter, base_config)
    check_adapter_model_config(adapter, base_config)
    check_recorded_base(adapter, Path(base_dir), base_config)
    adapter_file = SafetensorsFile(adapter.weights_file)
    try:
        plan = build_plan(
            adapter, adapter_file.tensors, base_source, base_config, read=adapter_file.read
        )
        arch = architecture_of(base_config)
        if plan.untied_output and arch in ALWAYS_TIED_IN_GGUF:
            raise AdapterUnsupportedError(
                f"{arch} always ties its output head to the embeddings in GGUF, but this "
                "adapter changes one without the other",
                path=adapter.adapter_dir,
                hint="Retrain without embed_tokens/lm_head in target_modules, or use "
                "`tuneforge merge` to get a Hugging Face folder instead of a GGUF.",
            )
        zero = _untrained_modules(adapter, adapter_file)
        if zero:
            plan = MergePlan(
                plan.names,
                plan.recipes,
                plan.untied_output,
                (
                    *plan.warnings,
                    f"lora_B is all zeros in {len(zero)} of {len(adapter.layout.pairs)} "
                    f"adapted modules (e.g. {zero[0]}): that part of the adapter was never trained",
                ),
            )
    except BaseException:
        adapter_file.close()
        raise
    return MergedSource(
        base=base_source, adapter=adapter, adapter_file=adapter_file, plan=plan, exact=exact
    )


def base_rows(base: TensorSource, name: str, start: int, stop: int) -> np.ndarray:
    """Rows of a base tensor: the base's positional ``read_rows`` if it has one."""
    read_rows = getattr(base, "read_rows", None)
    if read_rows is not None:
        return read_rows(name, start, stop)  # type: ignore[no-any-return]
    data = base.read(name)
    return data if data.ndim < 2 else data[start:stop]


def compute_rows(
    recipe: Recipe,
    start: int,
    stop: int,
    *,
    base: TensorSource,
    adapter_file: SafetensorsFile,
    factors: _FactorCache | None = None,
    exact: bool = True,
    as_float32: bool = False,
) -> np.ndarray:
    """Rows ``start:stop`` of one output tensor, per the recipe (arithmetic: module doc);
    raw in the output dtype, or (``as_float32``) the same values as float32."""
    shape = recipe.info.shape
    if len(shape) < 2:
        start, stop = 0, 1
    out_dtype = recipe.info.dtype
    if recipe.start_in_adapter:
        raw = adapter_file.read(recipe.start)
        start_dtype = adapter_file.tensors[recipe.start].dtype
        if raw.shape != shape:
            raise AdapterMismatchError(
                f"{recipe.start!r} has shape {list(raw.shape)}, expected {list(shape)}",
                path=adapter_file.path,
                field=recipe.start,
            )
        raw = raw if raw.ndim < 2 else raw[start:stop]
    else:
        raw, start_dtype = base_rows(base, recipe.start, start, stop), base.info(recipe.start).dtype
    if recipe.delta is not None and start_dtype == out_dtype:
        out = raw  # merge_rows writes a new array; no copy needed
    else:
        out = cast_raw(raw, start_dtype, out_dtype)  # a fresh, writable array
    # merge_rows can hand out float32 directly unless raw-dtype steps follow it
    later = recipe.rows is not None or recipe.bias_delta is not None
    widen_here = as_float32 and (recipe.delta is None or later)
    if recipe.delta is not None:
        a, b, weights = (factors or _FactorCache(adapter_file)).get(recipe.delta)
        out = merge_rows(
            out,
            out_dtype,
            a,
            b[start:stop],
            recipe.delta.scale,
            weights=weights,
            exact=exact,
            round_delta=recipe.delta.round_first,
            as_float32=as_float32 and not widen_here,
        )
    if recipe.bias_delta is not None:
        key, scale = recipe.bias_delta
        extra = to_f32(adapter_file.read(key), adapter_file.tensors[key].dtype) * np.float32(scale)
        out[...] = from_f32(to_f32(out, out_dtype) + extra, out_dtype)
    if recipe.rows is not None:
        indices, key = recipe.rows
        where = np.asarray(indices, dtype=np.int64)
        inside = (where >= start) & (where < stop)
        if inside.any():
            rows = adapter_file.read(key)[inside]
            out[where[inside] - start] = cast_raw(rows, adapter_file.tensors[key].dtype, out_dtype)
    return to_f32(out, out_dtype) if widen_here else out


class _FactorCache:
    """LoRA factors as float32, oriented so that ``delta[rows] = b[rows] @ a``.

    Linear: a = A (r, in), b = B (out, r). Transposed (embedding, Conv1D):
    delta = (B @ A).T, so a = B.T (r, dim) and b = A.T (vocab, r). Kept for the last few
    tensors, since the converter asks for many row blocks of the same tensor.
    """

    def __init__(self, adapter_file: SafetensorsFile, keep: int = 4) -> None:
        self._file = adapter_file
        self._keep = keep
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def get(self, delta: Delta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = (delta.a_key, delta.b_key)
        with self._lock:
            hit = self._items.get(key)
        if hit is not None:
            return hit
        tensors = self._file.tensors
        a = to_f32(self._file.read(delta.a_key), tensors[delta.a_key].dtype)
        b = to_f32(self._file.read(delta.b_key), tensors[delta.b_key].dtype)
        if delta.transposed:
            a, b = np.ascontiguousarray(b.T), np.ascontiguousarray(a.T)
        item = (a, b, error_weights(a, delta.scale))
        with self._lock:
            while len(self._items) >= self._keep:
                self._items.pop(next(iter(self._items)))
            self._items[key] = item
        return item

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def cast_raw(raw: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Raw tensor in dtype ``src`` → a new raw array in ``dst`` (round to nearest even)."""
    if src == dst:
        return np.array(raw, copy=True)
    if src not in ("F32", "F16", "BF16") or dst not in ("F32", "F16", "BF16"):
        raise AdapterUnsupportedError(f"cannot convert a {src} tensor to {dst}")
    return from_f32(to_f32(raw, src), dst)


def read_config(model_dir: Path) -> dict[str, Any]:
    """The base model's config.json ({} when absent)."""
    try:
        return optional_json_object(model_dir / "config.json") or {}
    except InputError as exc:
        raise AdapterMismatchError(
            f"cannot read the base model's config.json: {exc.message}",
            path=exc.path,
            line=exc.line,
            hint=exc.hint,
        ) from exc


def check_adapter_model_config(adapter: AdapterInfo, base_config: dict[str, Any]) -> None:
    """Some trainers save the model's config.json next to the adapter: compare its shape keys."""
    saved = read_config(adapter.adapter_dir)
    if not saved or not base_config:
        return
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"):
        mine, theirs = text_config(saved).get(key), text_config(base_config).get(key)
        if mine is not None and theirs is not None and mine != theirs:
            raise AdapterMismatchError(
                f"the adapter's config.json says {key}={mine} but the base has {key}={theirs}",
                path=adapter.adapter_dir / "config.json",
                field=key,
                hint="This adapter was trained on a different model size; pass the right base with --base.",
            )
    a, b = architecture_of(saved), architecture_of(base_config)
    if a and b and a != b and a.split("For")[0] != b.split("For")[0]:
        raise AdapterMismatchError(
            f"the adapter's config.json names {a} but the base is {b}",
            path=adapter.adapter_dir / "config.json",
            field="architectures",
            hint="Pass the base model the adapter was trained on with --base.",
        )


def check_recorded_base(adapter: AdapterInfo, base_dir: Path, base_config: dict[str, Any]) -> None:
    """If the adapter's recorded base is on this computer too, the given base must match it."""
    recorded = adapter.base_model_name_or_path
    if not recorded or not base_config:
        return
    from engine.lora.resolve import resolve_base_locally

    found = resolve_base_locally(
        recorded, adapter_dir=adapter.adapter_dir, revision=adapter.revision
    )
    if found is None or found.resolve() == base_dir.resolve():
        return
    theirs = read_config(found)
    problems = []
    if architecture_of(theirs) and architecture_of(theirs) != architecture_of(base_config):
        problems.append(f"{architecture_of(theirs)} vs {architecture_of(base_config)}")
    for key in ("hidden_size", "num_hidden_layers", "intermediate_size", "vocab_size"):
        a, b = text_config(theirs).get(key), text_config(base_config).get(key)
        if a is not None and b is not None and a != b:
            problems.append(f"{key} {a} vs {b}")
    if problems:
        raise AdapterMismatchError(
            f"the adapter was trained on {recorded} ({found}), which differs from the given "
            f"base: {', '.join(problems)}",
            path=base_dir,
            field="base_model_name_or_path",
            hint="Use the base model the adapter was trained on (leave out --base to use it).",
        )


def _untrained_modules(adapter: AdapterInfo, adapter_file: SafetensorsFile) -> list[str]:
    zero = []
    for pair in adapter.layout.pairs:
        if not np.any(adapter_file.read(pair.b_key)):
            zero.append(pair.module)
    return zero
