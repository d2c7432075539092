"""Ollama model names, checked with Ollama's own rules before any work starts.

Read from Ollama's ``types/model/name.go`` (``ParseNameBare``, ``isValidPart``):

    [host/][namespace/]model[:tag]

- the tag is what follows the last ``:`` if that ``:`` comes after the last ``/``
  (so a host may carry a port: ``myhost:5000/ns/model``);
- every part is 1–80 characters (the host up to 350), starts with an ASCII letter,
  digit or ``_``, then letters, digits, ``_`` and ``-``; ``.`` is allowed everywhere
  except in the namespace; ``:`` only in the host;
- a separator with nothing on one side is an error (``ns//model``, ``model:``);
- no tag means ``latest``; Ollama compares names case-insensitively.

Non-ASCII letters (Chinese model names) are not allowed by Ollama.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InputError

DEFAULT_TAG = "latest"
DEFAULT_NAMESPACE = "library"
DEFAULT_HOST = "registry.ollama.ai"
_MAX_LEN = {"host": 350, "namespace": 80, "model": 80, "tag": 80}
_RULE_HINT = (
    "Ollama names look like 'my-model' or 'my-model:v2' (or 'namespace/my-model:tag'): "
    "ASCII letters, digits, '_', '-' and '.', starting with a letter, digit or '_', "
    "at most 80 characters per part."
)


@dataclass(frozen=True, kw_only=True)
class ModelName:
    host: str
    namespace: str
    model: str
    tag: str

    def __str__(self) -> str:
        """The short form Ollama shows (``DisplayShortest``)."""
        if self.host.lower() != DEFAULT_HOST:
            return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"
        if self.namespace.lower() != DEFAULT_NAMESPACE:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.model}:{self.tag}"

    def key(self) -> tuple[str, str, str, str]:
        """Case-insensitive identity, as Ollama compares names (``EqualFold``)."""
        return (self.host.lower(), self.namespace.lower(), self.model.lower(), self.tag.lower())


def parse_model_name(name: str) -> ModelName:
    """Split and check ``name``; :class:`InputError` names the rule broken."""
    if not isinstance(name, str) or not name.strip():
        raise InputError("the model name is empty", hint=_RULE_HINT, field="name")
    text = name.strip()
    host = namespace = tag = ""
    rest = text
    if rest.rfind(":") > rest.rfind("/"):
        rest, tag = _cut_last(rest, ":", name, "tag")
    if "/" in rest:
        rest, model = _cut_last(rest, "/", name, "model")
        if "/" in rest:
            host, namespace = _cut_last(rest, "/", name, "namespace")
            host = host.partition("://")[2] or host  # a scheme may precede the host
        else:
            namespace = rest
    else:
        model = rest
    parsed = ModelName(
        host=host or DEFAULT_HOST,
        namespace=namespace or DEFAULT_NAMESPACE,
        model=model,
        tag=tag or DEFAULT_TAG,
    )
    for kind in ("host", "namespace", "model", "tag"):
        _check_part(kind, getattr(parsed, kind), name)
    return parsed


def validate_model_name(name: str) -> str:
    """Check ``name`` with Ollama's rules; return it normalized (``model`` → ``model:latest``)."""
    return str(parse_model_name(name))


def same_model(a: str, b: str) -> bool:
    """Do two names point at the same Ollama model (tag defaults, case-insensitive)?"""
    try:
        return parse_model_name(a).key() == parse_model_name(b).key()
    except InputError:
        return False


def _cut_last(text: str, sep: str, name: str, after: str) -> tuple[str, str]:
    before, _, part = text.rpartition(sep)
    if not part:
        raise InputError(
            f"the model name {name!r} has nothing after '{sep}' (the {after} is missing)",
            hint=_RULE_HINT,
            field="name",
        )
    if not before:
        raise InputError(
            f"the model name {name!r} has nothing before '{sep}'",
            hint=_RULE_HINT,
            field="name",
        )
    return before, part


def _check_part(kind: str, part: str, name: str) -> None:
    limit = _MAX_LEN[kind]
    if len(part) > limit:
        raise InputError(
            f"the {kind} part of the model name {name!r} is {len(part)} characters long "
            f"(Ollama allows at most {limit})",
            hint=_RULE_HINT,
            field="name",
        )
    first = part[0]
    if not _word_char(first):
        raise InputError(
            f"the {kind} part of the model name {name!r} starts with {first!r}; "
            "it must start with an ASCII letter, a digit or '_'",
            hint=_RULE_HINT,
            field="name",
        )
    for char in part[1:]:
        if _word_char(char) or char in "-_":
            continue
        if char == "." and kind != "namespace":
            continue
        if char == ":" and kind == "host":
            continue
        where = f"the {kind} part of the model name {name!r}"
        if not char.isascii():
            raise InputError(
                f"{where} contains {char!r}; Ollama only allows ASCII letters and digits",
                hint=_RULE_HINT + " Use pinyin or English for the name.",
                field="name",
            )
        raise InputError(
            f"{where} contains {char!r}, which Ollama does not allow", hint=_RULE_HINT, field="name"
        )


def _word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")
