"""The tokenizer files of a Hugging Face model folder, read once.

Which files exist decides the tokenizer kind; the JSON files come from
:class:`engine.hf.HFFolder` (one reader, errors name the file and line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.hf import ChatTemplates, HFFolder, load_hf_folder

from .sp_model import SentencePieceModel, read_sentencepiece_model

TOKENIZER_JSON = "tokenizer.json"
TOKENIZER_MODEL = "tokenizer.model"
TOKENIZER_CONFIG = "tokenizer_config.json"

_RESAVE_HINT = (
    "Re-save the tokenizer with transformers (AutoTokenizer.from_pretrained(folder)"
    ".save_pretrained(folder)) or copy the tokenizer files from the base model."
)


@dataclass(frozen=True, kw_only=True)
class TokenizerFiles:
    """Everything about the tokenizer that a model folder holds (missing files are None)."""

    folder: HFFolder
    tokenizer_json: dict[str, Any] | None
    sp_model: SentencePieceModel | None
    chat_templates: ChatTemplates  # the folder's, or a fine-tune's own (chat_template_folder)

    @property
    def model_dir(self) -> Path:
        return self.folder.path

    @property
    def tokenizer_config(self) -> dict[str, Any]:
        return self.folder.tokenizer_config

    @property
    def special_tokens_map(self) -> dict[str, Any]:
        return self.folder.special_tokens_map

    @property
    def added_tokens_json(self) -> dict[str, Any]:
        return self.folder.added_tokens

    @property
    def config(self) -> dict[str, Any]:
        return self.folder.config

    @property
    def tokenizer_json_path(self) -> Path:
        return self.model_dir / TOKENIZER_JSON

    @property
    def sp_model_path(self) -> Path:
        return self.model_dir / TOKENIZER_MODEL


def load_tokenizer_files(model: Path | HFFolder) -> TokenizerFiles:
    """The tokenizer of a model folder; fails clearly when there is none."""
    if isinstance(model, HFFolder):
        folder = model
    else:
        model_dir = Path(model)
        if not model_dir.is_dir():
            raise InputError(
                f"model folder not found: {model_dir}",
                path=model_dir,
                hint="Choose the folder that holds config.json and the tokenizer files.",
            )
        folder = load_hf_folder(model_dir)
    model_dir = folder.path
    tokenizer_json = folder.tokenizer_json
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
        folder=folder,
        tokenizer_json=tokenizer_json,
        sp_model=sp_model,
        chat_templates=folder.chat_templates,
    )
