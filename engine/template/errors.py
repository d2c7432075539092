"""Errors of the chat-template package (Jinja rendering, Go renderer, derivation)."""

from __future__ import annotations

from engine.errors import InputError, ResourceError, UnsupportedError


class ChatTemplateError(InputError):
    """The model's Jinja chat template is missing, broken, or fails on a conversation."""


class TemplateRaised(ChatTemplateError):
    """The Jinja template called ``raise_exception`` (it rejects this conversation on purpose)."""


class GoRendererUnavailable(ResourceError):
    """Neither a prebuilt ``tuneforge-gorender`` binary nor a Go toolchain to build one."""


class GoRendererFailed(ResourceError):
    """The Go renderer ran but did not answer as expected (crash, bad output)."""


class TemplateDerivationError(UnsupportedError):
    """No Ollama Go template could be derived for this chat template."""
