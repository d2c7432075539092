"""The base model's own chat template, read in exactly one place.

Training renders every example with the template the GGUF will embed and the Ollama
template is derived from, so training and inference cannot drift. Everything in
``engine.train`` reads the template through :func:`read_base_template`, which goes through
the one Hugging Face folder reader (``engine.hf.read_chat_format``) like the converter.
"""

from __future__ import annotations

from pathlib import Path

from engine.template.source import ChatTemplateSource


def read_base_template(base_dir: str | Path) -> ChatTemplateSource:
    """The chat template and special tokens of the base model folder ``base_dir``."""
    from engine.template.source import template_from_model_dir

    return template_from_model_dir(base_dir)
