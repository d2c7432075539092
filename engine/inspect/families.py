"""Which chat-template family a Jinja template looks like (for display only).

The authoritative detection, used to build the Ollama template, lives in
``engine.template``; this is the quick label shown by ``inspect``.
"""

from __future__ import annotations


def guess_family(chat_template: str) -> str | None:
    try:
        from engine.template import detect_family
    except ImportError:  # template package not installed in a trimmed build
        return _signature_guess(chat_template)
    return detect_family(chat_template) or _signature_guess(chat_template)


# (family, markers that must all appear) — first match wins
_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deepseek-r1", ("<｜User｜>", "<｜Assistant｜>")),
    ("qwen3", ("<|im_start|>", "<think>")),
    ("chatml", ("<|im_start|>", "<|im_end|>")),
    ("llama3", ("<|start_header_id|>", "<|eot_id|>")),
    ("gemma", ("<start_of_turn>", "<end_of_turn>")),
    ("phi3", ("<|user|>", "<|end|>")),
    ("mistral", ("[INST]", "[/INST]")),
)


def _signature_guess(chat_template: str) -> str | None:
    for family, markers in _SIGNATURES:
        if all(m in chat_template for m in markers):
            return family
    return None
