"""The tokenizer facts a chat template depends on: special-token texts and BOS handling."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.hf import token_text
from engine.template.jinja_render import SPECIAL_TOKEN_NAMES


@dataclass(frozen=True, kw_only=True)
class TemplateTokens:
    """Special tokens passed to the Jinja template, and whether the tokenizer adds BOS.

    ``add_bos_token`` is the tokenizer's own rule (``add_bos_token`` in tokenizer_config.json,
    ``tokenizer.ggml.add_bos_token`` in a GGUF). llama.cpp — and so Ollama — adds BOS itself
    when it is true, so the Go template must not print it again; ``None`` means unknown, and
    a template that starts with ``bos_token`` is then assumed to rely on the tokenizer.
    ``end_of_turn`` lists extra end tokens (generation_config ``eos_token_id`` …) for stops.
    """

    bos_token: str | None = None
    eos_token: str | None = None
    add_bos_token: bool | None = None
    others: Mapping[str, str] = field(default_factory=dict)
    end_of_turn: tuple[str, ...] = ()

    def special_tokens_map(self) -> dict[str, str]:
        """What transformers passes to the template (``bos_token``, ``eos_token`` …)."""
        out: dict[str, str] = {}
        for name in SPECIAL_TOKEN_NAMES:
            value = {"bos_token": self.bos_token, "eos_token": self.eos_token}.get(name)
            if value is None:
                value = self.others.get(name)
            if value is not None:
                out[name] = value
        return out

    def tokenizer_adds_bos(self, jinja_output: str) -> bool:
        """Whether the BOS that ``jinja_output`` starts with is left to the tokenizer."""
        if not self.bos_token or not jinja_output.startswith(self.bos_token):
            return False
        return self.add_bos_token is not False

    @classmethod
    def from_mapping(cls, data: Mapping[str, object] | None) -> TemplateTokens:
        """Build from a tokenizer_config-like mapping (token values may be dicts with ``content``)."""
        data = data or {}
        text = token_text

        others = {
            name: token
            for name in SPECIAL_TOKEN_NAMES
            if name not in ("bos_token", "eos_token") and (token := text(data.get(name)))
        }
        add_bos = data.get("add_bos_token")
        return cls(
            bos_token=text(data.get("bos_token")),
            eos_token=text(data.get("eos_token")),
            add_bos_token=add_bos if isinstance(add_bos, bool) else None,
            others=others,
        )
