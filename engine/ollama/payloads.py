"""Request bodies for ``/api/create``: parameter checks, the JSON form, the legacy Modelfile form.

Both forms carry the same model; which one is sent depends on the server version
(see :mod:`engine.ollama.versions`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from engine.chat.messages import ChatMessage, as_messages
from engine.errors import InputError

_DIGEST = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")
GGUF_FILE_NAME = "model.gguf"


def normalize_digest(digest: str) -> str:
    """``sha256:<hex>`` with **lowercase** hex, which is all Ollama accepts on upload.

    (An uppercase digest: HEAD says 404 and the upload fails with ``digest mismatch``,
    since Ollama compares the text with its own lowercase ``%x`` digest —
    ``server/routes.go`` CreateBlobHandler.) A bare 64-hex string is accepted too.
    """
    text = digest.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        text = "sha256:" + text
    match = _DIGEST.match(text)
    if not match:
        raise InputError(
            f"{digest!r} is not a sha256 digest",
            hint="Expected 'sha256:' followed by 64 hexadecimal digits.",
            field="digest",
        )
    return "sha256:" + match.group(1).lower()


@cache
def known_parameters() -> dict[str, str]:
    text = resources.files("engine.ollama").joinpath("parameters.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def normalize_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check PARAMETER names and JSON types before Ollama stores them unvalidated.

    Ollama keeps ``parameters`` as given and only fails at chat time (``option "stop"
    must be of type array`` — ``api/types.go`` ``Options.FromMap``), so a wrong type
    would register a model that cannot chat. ``stop`` may be given as one string; it is
    sent as a list.
    """
    known = known_parameters()
    out: dict[str, Any] = {}
    for key, value in (parameters or {}).items():
        kind = known.get(key)
        if kind is None:
            raise InputError(
                f"unknown Ollama parameter {key!r}",
                hint="Known parameters: " + ", ".join(sorted(known)) + ".",
                field=f"parameters.{key}",
            )
        out[key] = _check_type(key, kind, value)
    return out


def _check_type(key: str, kind: str, value: Any) -> Any:
    field = f"parameters.{key}"
    if kind == "string_list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
            raise InputError(f"parameter {key!r} must be a list of strings", field=field)
        if any(not s for s in items):
            raise InputError(f"parameter {key!r} contains an empty string", field=field)
        return list(dict.fromkeys(items))
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(f"parameter {key!r} must be true or false, not {value!r}", field=field)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"parameter {key!r} must be a number, not {value!r}", field=field)
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise InputError(
                f"parameter {key!r} must be a whole number, not {value!r}", field=field
            )
        return int(value)
    return float(value) if isinstance(value, int) else value


def _license_list(license: str | Sequence[str] | None) -> list[str]:
    if license is None:
        return []
    items = [license] if isinstance(license, str) else list(license)
    if not all(isinstance(s, str) for s in items):
        raise InputError("the license must be text", field="license")
    return [s for s in items if s]


def json_create_body(
    name: str,
    *,
    gguf_digest: str,
    template: str | None,
    system: str | None,
    parameters: Mapping[str, Any] | None,
    messages: Sequence[ChatMessage | Mapping[str, Any]] | None,
    license: str | Sequence[str] | None,
    quantize: str | None,
) -> dict[str, Any]:
    """``POST /api/create`` body for Ollama ≥ 0.5.5 (``api/types.go`` CreateRequest)."""
    body: dict[str, Any] = {
        "model": name,
        "files": {GGUF_FILE_NAME: normalize_digest(gguf_digest)},
        "stream": True,
    }
    if template:
        body["template"] = template
    if system:
        body["system"] = system
    params = normalize_parameters(parameters)
    if params:
        body["parameters"] = params
    if messages:
        body["messages"] = [m.to_ollama() for m in as_messages(messages)]
    licenses = _license_list(license)
    if licenses:
        body["license"] = licenses[0] if len(licenses) == 1 else licenses
    if quantize:
        body["quantize"] = check_quantize(quantize)
    return body


def check_quantize(quantize: str) -> str:
    """Ollama can only quantize to these (``server/create.go`` / ``llama.ParseFileType``)."""
    allowed = {"q4_k_s": "q4_K_S", "q4_k_m": "q4_K_M", "q8_0": "q8_0"}
    value = allowed.get(quantize.strip().lower())
    if value is None:
        raise InputError(
            f"Ollama cannot quantize to {quantize!r}",
            hint="Ollama quantizes only to q4_K_S, q4_K_M and q8_0 (from F16/F32/BF16); "
            "make other types with Tuneforge before registering.",
            field="quantize",
        )
    return value


def legacy_create_body(
    name: str,
    *,
    gguf_digest: str,
    template: str | None,
    system: str | None,
    parameters: Mapping[str, Any] | None,
    messages: Sequence[ChatMessage | Mapping[str, Any]] | None,
    license: str | Sequence[str] | None,
    quantize: str | None,
) -> dict[str, Any]:
    """``POST /api/create`` body for Ollama < 0.5.5: ``{"name", "modelfile"}``.

    ``FROM @sha256:…`` names an uploaded blob (what ``ollama create`` itself sent before
    0.5.5 — ``cmd/cmd.go`` at v0.5.4; ``server/images.go`` CreateModel reads ``@``).
    """
    lines = [f"FROM @{normalize_digest(gguf_digest)}"]
    if template:
        lines.append(f"TEMPLATE {modelfile_quote(template, field='template')}")
    if system:
        lines.append(f"SYSTEM {modelfile_quote(system, field='system')}")
    for key, value in normalize_parameters(parameters).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = item if isinstance(item, str) else json.dumps(item)
            lines.append(
                f"PARAMETER {key} {modelfile_quote(text, field=f'parameters.{key}', always=True)}"
            )
    for message in as_messages(messages or []):
        if message.role not in ("system", "user", "assistant"):
            raise InputError(
                f"a Modelfile MESSAGE cannot have the role {message.role!r}",
                field="messages",
            )
        lines.append(f"MESSAGE {message.role} {modelfile_quote(message.content, field='messages')}")
    for text in _license_list(license):
        lines.append(f"LICENSE {modelfile_quote(text, field='license')}")
    body: dict[str, Any] = {
        "name": name,
        "model": name,
        "modelfile": "\n".join(lines) + "\n",
        "stream": True,
    }
    if quantize:
        body["quantize"] = check_quantize(quantize)
    return body


def modelfile_quote(text: str, *, field: str, always: bool = False) -> str:
    """Quote a Modelfile value the way Ollama's parser reads it back verbatim.

    ``parser/parser.go``: a value in triple double quotes spans lines and keeps leading
    and trailing newlines; a literal triple quote inside cannot be written.
    """
    if '"""' in text:
        raise InputError(
            f'the {field} contains """, which a Modelfile cannot hold',
            hint="Remove the triple quotes from the text.",
            field=field,
        )
    if always and "\n" not in text and '"' not in text:
        return f'"{text}"'
    return f'"""{text}"""'
