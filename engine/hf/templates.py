"""The chat template(s) of a Hugging Face folder, resolved in transformers' order.

Precedence (transformers 5.25, read from its source):

1. ``chat_template.jinja`` and ``additional_chat_templates/*.jinja``: in
   ``src/transformers/tokenization_utils_base.py``, ``PreTrainedTokenizerBase._from_pretrained``
   ("If independent chat template file(s) exist, they take priority over template entries in
   the tokenizer config") overwrites ``init_kwargs["chat_template"]`` with them.
2. the ``chat_template`` entry of ``tokenizer_config.json`` (a string, or a list of
   ``{name, template}`` that ``PreTrainedTokenizerBase.__init__`` turns into a dict by name).
3. ``chat_template.json``: the tokenizer never reads it; only the processor of multimodal
   models does (``src/transformers/processing_utils.py``, "chat_template.json is a legacy file
   used by the processor class"), so it is the last resort.

llama.cpp's ``gguf-py/gguf/vocab.py`` (``SpecialVocab._try_load_from_tokenizer_json``) lets
tokenizer_config.json win over chat_template.jinja; Tuneforge follows transformers, because
the model was trained (and is fine-tuned) with what transformers renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import InputError

from .json_files import read_json

CHAT_TEMPLATE_JINJA = "chat_template.jinja"
CHAT_TEMPLATE_JSON = "chat_template.json"
CHAT_TEMPLATE_DIR = "additional_chat_templates"
TOKENIZER_CONFIG = "tokenizer_config.json"


@dataclass(frozen=True, kw_only=True)
class ChatTemplates:
    """The default template, the other named ones (e.g. ``tool_use``) and where they came from."""

    default: str | None
    named: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None  # file name the default came from
    directory: Path | None = None  # the folder that file is in

    @property
    def source_path(self) -> Path | None:
        return self.directory / self.source if self.directory and self.source else None

    def get(self, name: str | None = None) -> str | None:
        """The default template, or the one called ``name``."""
        if name is None or name == "default":
            return self.default
        return self.named.get(name)


NO_TEMPLATES = ChatTemplates(default=None)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path.name}: {exc}", path=path) from exc


def templates_from_value(value: Any, *, source: str, path: Path | None = None) -> ChatTemplates:
    """A ``chat_template`` JSON value: a string or a list of ``{name, template}``."""
    if isinstance(value, str):
        return ChatTemplates(default=value, source=source)
    if isinstance(value, list):
        named: dict[str, str] = {}
        default = None
        for item in value:
            if isinstance(item, Mapping) and isinstance(item.get("template"), str):
                name = str(item.get("name") or "")
                if name == "default":
                    default = str(item["template"])
                elif name:
                    named[name] = str(item["template"])
        return ChatTemplates(default=default, named=named, source=source)
    raise InputError(
        f"{source}: chat_template must be a string or a list of {{name, template}}",
        path=path,
        field="chat_template",
        hint="Fix the chat_template entry or remove it.",
    )


def resolve_chat_templates(folder: Path, tokenizer_config: Mapping[str, Any]) -> ChatTemplates:
    """The folder's chat templates in transformers' order (see the module docstring)."""
    folder = Path(folder)
    found = _resolve(folder, tokenizer_config)
    return replace(found, directory=folder) if found.default or found.named else found


def _resolve(folder: Path, tokenizer_config: Mapping[str, Any]) -> ChatTemplates:
    jinja = folder / CHAT_TEMPLATE_JINJA
    if jinja.is_file():
        named = {
            p.stem: _read_text(p) for p in sorted((folder / CHAT_TEMPLATE_DIR).glob("*.jinja"))
        }
        return ChatTemplates(default=_read_text(jinja), named=named, source=CHAT_TEMPLATE_JINJA)
    if tokenizer_config.get("chat_template") is not None:
        return templates_from_value(
            tokenizer_config["chat_template"],
            source=TOKENIZER_CONFIG,
            path=folder / TOKENIZER_CONFIG,
        )
    json_file = folder / CHAT_TEMPLATE_JSON
    if json_file.is_file():
        data = read_json(json_file)
        value = data.get("chat_template") if isinstance(data, dict) else None
        if value is not None:
            return templates_from_value(value, source=CHAT_TEMPLATE_JSON, path=json_file)
    return NO_TEMPLATES
