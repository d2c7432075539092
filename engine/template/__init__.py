"""Chat templates: render the model's Jinja template, derive Ollama's Go template, prove parity.

Public API::

    derive_ollama_template(chat_template, *, bos_token, eos_token, add_bos_token, ...)
        -> DerivedTemplate(go_template, family, stops, thinking, warnings, parity, ...)
    check_parity(chat_template, derived, *, tokens=...) -> ParityReport
    render_chat_template(chat_template, messages, *, special_tokens, ...) -> str
    template_source(path) / template_from_model_dir(dir) / template_from_gguf(path)
        -> ChatTemplateSource(chat_template, tokens, origin, context_length)
"""

from engine.template.derive import DerivedTemplate, derive_from_source, derive_ollama_template
from engine.template.jinja_render import render_chat_template
from engine.template.parity import CaseResult, ParityReport, check_parity
from engine.template.source import (
    ChatTemplateSource,
    template_from_gguf,
    template_from_model_dir,
    template_source,
)
from engine.template.tokens import TemplateTokens

__all__ = [
    "CaseResult",
    "ChatTemplateSource",
    "DerivedTemplate",
    "ParityReport",
    "TemplateTokens",
    "check_parity",
    "derive_from_source",
    "derive_ollama_template",
    "render_chat_template",
    "template_from_gguf",
    "template_from_model_dir",
    "template_source",
]
