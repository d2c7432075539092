"""A Hugging Face model or adapter folder, read in one place.

- :func:`load_hf_folder` → :class:`HFFolder`: config.json (+ the text config of multimodal
  wrappers), generation_config.json, tokenizer_config.json, special_tokens_map.json,
  added_tokens.json, the chat templates in transformers' order, tokenizer.json (lazily) and
  the kind of folder (:data:`HF_MODEL` or :data:`LORA_ADAPTER`, :func:`is_adapter_folder`).
- :func:`read_chat_format` → :class:`ChatFormat`: the chat template and special tokens that
  the converter, the Modelfile and the trainer share.
- :func:`read_json` / :func:`read_json_object`: the JSON reader (file + line on errors, Git
  LFS pointers recognised).
- :mod:`engine.hf.weights`: the folder's safetensors as a tensor source (imported on demand).
"""

from engine.hf.chat_format import (
    TEMPLATE_TOKEN_NAMES,
    ChatFormat,
    chat_template_folder,
    read_chat_format,
    token_text,
)
from engine.hf.folder import (
    ADAPTER_CONFIG,
    HF_MODEL,
    LORA_ADAPTER,
    HFFolder,
    has_model_weights,
    is_adapter_folder,
    load_hf_folder,
    text_config,
)
from engine.hf.json_files import optional_json_object, read_json, read_json_object
from engine.hf.templates import ChatTemplates, resolve_chat_templates

__all__ = [
    "ADAPTER_CONFIG",
    "HF_MODEL",
    "LORA_ADAPTER",
    "TEMPLATE_TOKEN_NAMES",
    "ChatFormat",
    "ChatTemplates",
    "HFFolder",
    "chat_template_folder",
    "has_model_weights",
    "is_adapter_folder",
    "load_hf_folder",
    "optional_json_object",
    "read_chat_format",
    "read_json",
    "read_json_object",
    "resolve_chat_templates",
    "text_config",
    "token_text",
]
