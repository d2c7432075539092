"""``config.json`` of a Hugging Face model, read the way llama.cpp's converter reads it.

Two config styles exist in the wild: the Hub's (``rope_theta`` + ``rope_scaling``)
and the one transformers ≥ 5 writes (``rope_parameters``, per attention type for
Gemma 3). :class:`ModelConfig` folds both into one ``rope`` mapping with the keys
``rope_theta``, ``rope_type``, ``factor``, … (and ``full_attention`` /
``sliding_attention`` sub-mappings when the model has them), as llama.cpp does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.hf import HFFolder, load_hf_folder

_GLOBAL_THETA_KEYS = (
    "global_rope_theta",
    "rope_global_theta",
    "rope_theta_global",
    "rope_theta",
    "rotary_emb_base",
)
_LOCAL_THETA_KEYS = (
    "local_rope_theta",
    "rope_local_theta",
    "rope_theta_local",
    "swa_rope_theta",
    "rope_local_base_freq",
)
_MISSING = object()


@dataclass(frozen=True)
class ModelConfig:
    """The (text part of the) model config plus normalized rope parameters."""

    path: Path
    data: Mapping[str, Any]
    architecture: str
    rope: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key, default)
        return default if value is None else value

    def find(self, keys: Iterable[str], default: Any = None) -> Any:
        """The value of the first of ``keys`` present (and not null)."""
        for key in keys:
            value = self.data.get(key)
            if value is not None:
                return value
        return default

    def require(self, *keys: str) -> Any:
        """Like :meth:`find`, but a missing field is an :class:`InputError`."""
        value = self.find(keys, _MISSING)
        if value is _MISSING:
            raise InputError(
                f"config.json has no {keys[0]!r}",
                path=self.path,
                field=keys[0],
                hint="The config does not belong to a supported model, or it is damaged; "
                "copy config.json from the original model.",
            )
        return value

    def require_int(self, *keys: str) -> int:
        value = self.require(*keys)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(
                f"config.json field {keys[0]!r} must be a non-negative integer, not {value!r}",
                path=self.path,
                field=keys[0],
            )
        return value

    def with_defaults(self, defaults: Mapping[str, Any]) -> ModelConfig:
        """A copy where keys absent from config.json take ``defaults`` (what the
        transformers config class would fill in; an explicit null is kept)."""
        data = {**{k: v for k, v in defaults.items() if k not in self.data}, **self.data}
        return ModelConfig(
            path=self.path, data=data, architecture=self.architecture, rope=_rope(data)
        )

    @property
    def full_rope(self) -> Mapping[str, Any]:
        """Rope parameters of the full-attention layers (all layers for most models)."""
        nested = self.rope.get("full_attention")
        return nested if isinstance(nested, Mapping) else self.rope

    @property
    def swa_rope_theta(self) -> float | None:
        nested = self.rope.get("sliding_attention")
        return nested.get("rope_theta") if isinstance(nested, Mapping) else None


def load_config(model: Path | HFFolder) -> ModelConfig:
    """The text config of a model folder (or an already loaded :class:`HFFolder`)."""
    folder = model if isinstance(model, HFFolder) else load_hf_folder(model)
    architecture = folder.require_architecture()
    data = folder.text_config
    return ModelConfig(
        path=folder.config_path, data=data, architecture=architecture, rope=_rope(data)
    )


def _rope(data: Mapping[str, Any]) -> dict[str, Any]:
    """llama.cpp's view: ``rope_parameters`` or ``rope_scaling``, completed from top-level keys."""
    given = data.get("rope_parameters", data.get("rope_scaling"))
    rope: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    if "full_attention" in rope or "sliding_attention" in rope:
        return rope

    def first(keys: Iterable[str]) -> Any:
        return next((data[k] for k in keys if data.get(k) is not None), None)

    local_theta = first(_LOCAL_THETA_KEYS)
    if local_theta is not None:
        rope["sliding_attention"] = {"rope_theta": local_theta}
    theta = first(_GLOBAL_THETA_KEYS)
    if "rope_theta" not in rope and theta is not None:
        rope["rope_theta"] = theta
    if "rope_type" not in rope and rope.get("type") is not None:
        rope["rope_type"] = rope["type"]
    partial = first(("partial_rotary_factor", "rope_pct", "rope_percent"))
    if "partial_rotary_factor" not in rope and partial is not None:
        rope["partial_rotary_factor"] = partial
    original = data.get("original_max_position_embeddings")
    if "original_max_position_embeddings" not in rope and original is not None:
        rope["original_max_position_embeddings"] = original
    return rope
