"""The chat format of a model folder: its chat template and special tokens, as transformers
renders them. The GGUF converter, the Modelfile/Go template and the training engine all take
it from here, so all three use the same template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .folder import HFFolder, load_hf_folder

# The special-token names transformers passes to a chat template.
TEMPLATE_TOKEN_NAMES = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)


@dataclass(frozen=True, kw_only=True)
class ChatFormat:
    """A folder's chat template(s) and the token texts the template and the trainer need."""

    chat_template: str | None
    named_templates: Mapping[str, str]  # other templates by name (e.g. "tool_use")
    template_file: Path | None  # the file the default template came from
    special_tokens: Mapping[str, str]  # "bos_token" → "<s>", … (texts; absent when none)
    add_bos_token: bool | None  # the tokenizer adds BOS itself (None: unknown)
    end_of_turn: tuple[str, ...] = field(default=())  # other eos ids' texts (stop tokens)

    @property
    def bos_token(self) -> str | None:
        return self.special_tokens.get("bos_token")

    @property
    def eos_token(self) -> str | None:
        return self.special_tokens.get("eos_token")

    @property
    def pad_token(self) -> str | None:
        return self.special_tokens.get("pad_token")


def chat_template_folder(model: HFFolder, adapter: HFFolder | None) -> HFFolder:
    """The folder a merged fine-tune's chat format comes from: the base model's, with the
    LoRA adapter's own chat templates when it ships some (what the fine-tune was trained
    with). The tokenizer (special tokens, BOS) stays the base model's, as in the GGUF the
    converter writes; the GGUF and the Modelfile both take their template from here."""
    if adapter is not None and adapter.chat_template:
        return replace(model, chat_templates=adapter.chat_templates)
    return model


def read_chat_format(source: HFFolder | Path | str) -> ChatFormat:
    """The chat template and special tokens of a Hugging Face folder (or an already loaded
    :class:`HFFolder`). The training engine calls this; ``chat_template`` is None for a base
    model without one."""
    folder = source if isinstance(source, HFFolder) else load_hf_folder(source)
    merged: dict[str, Any] = {
        **folder.special_tokens_map,
        **{k: v for k, v in folder.tokenizer_config.items() if v is not None},
    }
    tokens = {name: text for name in TEMPLATE_TOKEN_NAMES if (text := token_text(merged.get(name)))}
    add_bos = merged.get("add_bos_token")
    add_bos_token = add_bos if isinstance(add_bos, bool) else None
    if add_bos_token is None:
        add_bos_token = _post_processor_adds(folder, tokens.get("bos_token"))
    templates = folder.chat_templates
    return ChatFormat(
        chat_template=templates.default,
        named_templates=dict(templates.named),
        template_file=templates.source_path,
        special_tokens=tokens,
        add_bos_token=add_bos_token,
        end_of_turn=_end_of_turn(folder, tokens.get("eos_token")),
    )


def token_text(value: object) -> str | None:
    """A special token's text: a string, or an ``AddedToken``-style ``{"content": …}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("content"), str):
        return str(value["content"])
    return None


def _post_processor_adds(folder: HFFolder, bos: str | None) -> bool | None:
    """Llama-3 style tokenizers add BOS in tokenizer.json's post-processor."""
    if not bos or folder.tokenizer_json is None:
        return None
    stack: list[Any] = [folder.tokenizer_json.get("post_processor")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "TemplateProcessing":
                single = node.get("single") or []
                return any(
                    isinstance(p, dict) and (p.get("SpecialToken") or {}).get("id") == bos
                    for p in single
                )
            stack.extend(node.get("processors") or [])
    return None


def _end_of_turn(folder: HFFolder, eos: str | None) -> tuple[str, ...]:
    """generation_config / config eos ids other than the eos token (e.g. ``<|eot_id|>``)."""
    table: dict[int, str] = {}
    tokenizer = folder.tokenizer_json or {}
    for item in tokenizer.get("added_tokens") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), int):
            table[item["id"]] = str(item.get("content", ""))
    for key, item in (folder.tokenizer_config.get("added_tokens_decoder") or {}).items():
        if isinstance(item, dict) and str(key).isdigit():
            table.setdefault(int(key), str(item.get("content", "")))
    extra: list[str] = []
    for source in (folder.generation_config, folder.config):
        eos_ids = source.get("eos_token_id")
        for token_id in eos_ids if isinstance(eos_ids, list) else [eos_ids]:
            text = table.get(token_id) if isinstance(token_id, int) else None
            if text and text != eos and text not in extra:
                extra.append(text)
    return tuple(extra)
