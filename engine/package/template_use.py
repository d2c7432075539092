"""After the create: which chat template Ollama really runs (read back, never assumed).

See :mod:`engine.ollama.template_choice` for Ollama's rules before and after 0.30.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import TuneforgeError


def embedded_chat_template(gguf_path: Path) -> str | None:
    """The GGUF's ``tokenizer.chat_template`` (what Ollama ≥ 0.30 compares with)."""
    from engine.template.source import template_from_gguf

    try:
        return template_from_gguf(gguf_path).chat_template
    except TuneforgeError:
        return None


def read_back_template(
    client: Any, result: Any, sent: str | None, chat_template: str | None, modelfile: Any, ctx: Any
) -> Any:
    """Read back which template Ollama runs (``/api/show``); None when it cannot say."""
    from engine.ollama.template_choice import template_in_use

    derived = modelfile.derivation
    report = getattr(derived, "parity", None)
    try:
        shown = client.show(result.name).template
    except TuneforgeError as exc:
        ctx.warn(f"could not read back the model's template from Ollama: {exc.message}")
        return None
    in_use = template_in_use(
        server_version=result.server_version,
        shown_template=shown,
        sent_go_template=sent,
        chat_template=chat_template,
        proven=bool(report is not None and report.identical),
    )
    if in_use.source == "default":
        ctx.warn(in_use.summary)
    else:
        ctx.log(in_use.summary)
    return in_use
