"""Tokenizer export for the HF → GGUF converter (torch-free).

``export_vocab(model_dir, arch=..., vocab_size=...)`` reads tokenizer.json /
tokenizer.model / tokenizer_config.json / chat templates and returns a
:class:`VocabExport` whose ``kv_items()`` are the GGUF ``tokenizer.*`` keys.
"""

from __future__ import annotations

from .export import KeyWriter, VocabExport, export_vocab

__all__ = ["KeyWriter", "VocabExport", "export_vocab"]
