"""The double's own reading of Ollama model names (``types/model/name.go``).

Written separately from ``engine.ollama.names`` on purpose: the double must not share
the code it tests.
"""

from __future__ import annotations

import re

_PART = {
    "host": re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}\Z"),
    "namespace": re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}\Z"),
    "model": re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}\Z"),
    "tag": re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}\Z"),
}


def parse_name(text: str) -> tuple[str, str, str, str] | None:
    """``(host, namespace, model, tag)`` with Ollama's defaults, or ``None`` if invalid."""
    host = namespace = tag = ""
    rest = text
    if rest.rfind(":") > rest.rfind("/"):
        rest, _, tag = rest.rpartition(":")
        if not rest or not tag:
            return None
    if "/" in rest:
        rest, _, model = rest.rpartition("/")
        if not rest or not model:
            return None
        if "/" in rest:
            host, _, namespace = rest.rpartition("/")
            if not host or not namespace:
                return None
            if "://" in host:
                host = host.split("://", 1)[1]
        else:
            namespace = rest
    else:
        model = rest
    parts = (host or "registry.ollama.ai", namespace or "library", model, tag or "latest")
    for kind, part in zip(("host", "namespace", "model", "tag"), parts, strict=True):
        if not _PART[kind].match(part):
            return None
    return parts


def display(parts: tuple[str, str, str, str]) -> str:
    """``DisplayShortest``."""
    host, namespace, model, tag = parts
    if host.lower() != "registry.ollama.ai":
        return f"{host}/{namespace}/{model}:{tag}"
    if namespace.lower() != "library":
        return f"{namespace}/{model}:{tag}"
    return f"{model}:{tag}"


def key(parts: tuple[str, str, str, str]) -> tuple[str, ...]:
    return tuple(p.lower() for p in parts)
