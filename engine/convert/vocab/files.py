"""The tokenizer files of a Hugging Face model folder, read once.

Which files exist decides the tokenizer kind; every JSON file is read with a
clear :class:`InputError` (file, line) when it is broken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError

from .sp_model import SentencePieceModel, read_sentencepiece_model

TOKENIZER_JSON = "tokenizer.json"
TOKENIZER_MODEL = "tokenizer.model"
TOKENIZER_CONFIG = "tokenizer_config.json"
SPECIAL_TOKENS_MAP = "special_tokens_map.json"
ADDED_TOKENS = "added_tokens.json"
CONFIG = "config.json"
CHAT_TEMPLATE_JINJA = "chat_template.jinja"
CHAT_TEMPLATE_JSON = "chat_template.json"
CHAT_TEMPLATE_DIR = "additional_chat_templates"

_RESAVE_HINT = (
    "Re-save the tokenizer with transformers (AutoTokenizer.from_pretrained(folder)"
    ".save_pretrained(folder)) or copy the tokenizer files from the base model."
)


def read_json(path: Path) -> Any:
    """Parse a UTF-8 JSON file; a broken one becomes an ``InputError`` naming file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(
            f"cannot read {path.name}: {exc.strerror or exc}", path=path, hint=_RESAVE_HINT
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text", path=path, hint=_RESAVE_HINT) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name} is not valid JSON: {exc.msg}",
            path=path,
            line=exc.lineno,
            hint=_RESAVE_HINT,
        ) from exc


def _optional_object(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path.name} must hold a JSON object", path=path, hint=_RESAVE_HINT)
    return data


@dataclass(frozen=True, kw_only=True)
class TokenizerFiles:
    """Everything about the tokenizer that a model folder holds (missing files are None)."""

    model_dir: Path
    tokenizer_json: dict[str, Any] | None
    sp_model: SentencePieceModel | None
    tokenizer_config: dict[str, Any]
    special_tokens_map: dict[str, Any]
    added_tokens_json: dict[str, Any]
    config: dict[str, Any]

    @property
    def tokenizer_json_path(self) -> Path:
        return self.model_dir / TOKENIZER_JSON

    @property
    def sp_model_path(self) -> Path:
        return self.model_dir / TOKENIZER_MODEL


def load_tokenizer_files(model_dir: Path) -> TokenizerFiles:
    """Read the tokenizer files of ``model_dir``; fails clearly when there is no tokenizer."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InputError(
            f"model folder not found: {model_dir}",
            path=model_dir,
            hint="Choose the folder that holds config.json and the tokenizer files.",
        )
    tokenizer_json = _optional_object(model_dir / TOKENIZER_JSON)
    sp_path = model_dir / TOKENIZER_MODEL
    sp_model = read_sentencepiece_model(sp_path) if sp_path.is_file() else None
    if tokenizer_json is None and sp_model is None:
        raise InputError(
            f"no tokenizer in {model_dir.name}: neither {TOKENIZER_JSON} nor {TOKENIZER_MODEL} exists",
            path=model_dir,
            hint="Copy tokenizer.json (and tokenizer_config.json) from the base model into "
            "this folder, or save the tokenizer next to the model with "
            "tokenizer.save_pretrained(folder).",
        )
    if tokenizer_json is not None and not isinstance(tokenizer_json.get("model"), dict):
        raise InputError(
            f"{TOKENIZER_JSON} has no 'model' section",
            path=model_dir / TOKENIZER_JSON,
            field="model",
            hint=_RESAVE_HINT,
        )
    return TokenizerFiles(
        model_dir=model_dir,
        tokenizer_json=tokenizer_json,
        sp_model=sp_model,
        tokenizer_config=_optional_object(model_dir / TOKENIZER_CONFIG) or {},
        special_tokens_map=_optional_object(model_dir / SPECIAL_TOKENS_MAP) or {},
        added_tokens_json=_optional_object(model_dir / ADDED_TOKENS) or {},
        config=_optional_object(model_dir / CONFIG) or {},
    )
