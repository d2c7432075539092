"""``HFFolder``: everything Tuneforge reads from a Hugging Face model or adapter folder,
read once, with one rule for what kind of folder it is.

JSON files are read eagerly (they are small); ``tokenizer.json`` (often tens of MB) is
read on first use. A missing optional file reads as an empty mapping; a broken one is an
:class:`~engine.errors.InputError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.jobs.vocabulary import SourceKind

from .json_files import optional_json_object
from .templates import ChatTemplates, resolve_chat_templates

CONFIG = "config.json"
GENERATION_CONFIG = "generation_config.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
SPECIAL_TOKENS_MAP = "special_tokens_map.json"
ADDED_TOKENS = "added_tokens.json"
TOKENIZER_JSON = "tokenizer.json"
TOKENIZER_MODEL = "tokenizer.model"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS_PREFIX = "adapter_model"

HF_MODEL = SourceKind.HF_MODEL  # a full (merged) model: config.json + *.safetensors
LORA_ADAPTER = SourceKind.LORA_ADAPTER  # a PEFT adapter: adapter_config.json + adapter weights


def has_model_weights(folder: Path) -> bool:
    """True when the folder holds full-model safetensors (not only adapter weights)."""
    return any(
        not p.name.startswith(ADAPTER_WEIGHTS_PREFIX) for p in Path(folder).glob("*.safetensors")
    )


def is_adapter_folder(folder: Path) -> bool:
    """The one rule: a PEFT adapter folder has ``adapter_config.json`` and no full-model
    weights (trainers often save a ``config.json`` next to the adapter; that does not make
    it a model)."""
    folder = Path(folder)
    return (folder / ADAPTER_CONFIG).is_file() and not has_model_weights(folder)


def text_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Fields of the language model; multimodal wrappers nest them in ``text_config``
    (outer keys fill what the nested config lacks)."""
    nested = config.get("text_config")
    if isinstance(nested, dict):
        return {**nested, **{k: v for k, v in config.items() if k not in nested}}
    return dict(config)


@dataclass(frozen=True, kw_only=True, eq=False)
class HFFolder:
    """A Hugging Face folder, read once. Missing optional files are empty mappings."""

    path: Path
    kind: SourceKind  # HF_MODEL | LORA_ADAPTER
    config: dict[str, Any]  # config.json as written ({} when absent)
    generation_config: dict[str, Any]
    tokenizer_config: dict[str, Any]
    special_tokens_map: dict[str, Any]
    added_tokens: dict[str, Any]  # added_tokens.json
    chat_templates: ChatTemplates
    warnings: tuple[str, ...] = field(default=())

    # -- config --------------------------------------------------------------------
    @property
    def is_adapter(self) -> bool:
        return self.kind == LORA_ADAPTER

    @property
    def has_config(self) -> bool:
        return (self.path / CONFIG).is_file()

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @cached_property
    def text_config(self) -> dict[str, Any]:
        return text_config(self.config)

    @property
    def architecture(self) -> str | None:
        """``architectures[0]`` of config.json, or None."""
        names = self.config.get("architectures")
        if isinstance(names, list) and names and isinstance(names[0], str):
            return names[0]
        return None

    def require_architecture(self) -> str:
        if not self.has_config:
            raise InputError(
                "the model folder has no config.json",
                path=self.path,
                hint="Choose the folder that holds config.json and the *.safetensors files.",
            )
        architecture = self.architecture
        if architecture is None:
            raise InputError(
                "config.json has no 'architectures' entry",
                path=self.config_path,
                field="architectures",
                hint='Add e.g. "architectures": ["Qwen2ForCausalLM"] matching the model.',
            )
        return architecture

    # -- tokenizer -----------------------------------------------------------------
    @property
    def chat_template(self) -> str | None:
        return self.chat_templates.default

    @property
    def tokenizer_json_path(self) -> Path:
        return self.path / TOKENIZER_JSON

    @property
    def sp_model_path(self) -> Path:
        return self.path / TOKENIZER_MODEL

    @property
    def has_tokenizer(self) -> bool:
        return self.tokenizer_json_path.is_file() or self.sp_model_path.is_file()

    @cached_property
    def adapter_config(self) -> dict[str, Any]:
        """adapter_config.json, read on first use ({} when absent)."""
        return optional_json_object(self.path / ADAPTER_CONFIG) or {}

    @cached_property
    def tokenizer_json(self) -> dict[str, Any] | None:
        """tokenizer.json, read on first use (None when the folder has none)."""
        return optional_json_object(self.tokenizer_json_path)

    def special_token(self, role: str) -> Any:
        """``<role>_token`` as transformers resolves it: tokenizer_config.json wins (an
        explicit null means none), special_tokens_map.json is the legacy fallback."""
        key = f"{role}_token"
        if key in self.tokenizer_config:
            return self.tokenizer_config[key]
        return self.special_tokens_map.get(key)


def load_hf_folder(path: Path | str) -> HFFolder:
    """Read the JSON files of a Hugging Face model or PEFT adapter folder."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(
            "the model folder does not exist" if not folder.exists() else "not a folder",
            path=folder,
            hint="Choose the folder that holds config.json (or adapter_config.json).",
        )
    adapter = is_adapter_folder(folder)
    tokenizer_config = optional_json_object(folder / TOKENIZER_CONFIG) or {}
    generation_config, warnings = _generation_config(folder)
    return HFFolder(
        path=folder,
        kind=LORA_ADAPTER if adapter else HF_MODEL,
        config=optional_json_object(folder / CONFIG) or {},
        generation_config=generation_config,
        tokenizer_config=tokenizer_config,
        special_tokens_map=optional_json_object(folder / SPECIAL_TOKENS_MAP) or {},
        added_tokens=optional_json_object(folder / ADDED_TOKENS) or {},
        chat_templates=resolve_chat_templates(folder, tokenizer_config),
        warnings=warnings,
    )


def _generation_config(folder: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    """generation_config.json only holds sampling defaults: a broken file is ignored with a
    warning (llama.cpp's converter ignores it too)."""
    try:
        return optional_json_object(folder / GENERATION_CONFIG) or {}, ()
    except InputError as exc:
        return {}, (f"{GENERATION_CONFIG} ignored: {exc.message}",)
