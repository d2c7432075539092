"""Request bodies for ``/api/create``: the JSON form and the legacy Modelfile form.

Parameters, quoting and Modelfile text come from the one Modelfile model
(:mod:`engine.modelfile`).

Both forms carry the same model; which one is sent depends on the server version
(see :mod:`engine.ollama.versions`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from engine.errors import InputError
from engine.messages import ChatMessage, as_messages
from engine.modelfile import Modelfile, ModelfileMessage
from engine.modelfile.model import MESSAGE_ROLES

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


def _license_list(license: str | Sequence[str] | None) -> list[str]:
    if license is None:
        return []
    items = [license] if isinstance(license, str) else list(license)
    if not all(isinstance(s, str) for s in items):
        raise InputError("the license must be text", field="license")
    return [s for s in items if s]


def create_modelfile(
    *,
    gguf_digest: str,
    template: str | None = None,
    system: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    messages: Sequence[ChatMessage | Mapping[str, Any]] | None = None,
    license: str | Sequence[str] | None = None,
) -> Modelfile:
    """The Modelfile model of a create request from loose fields (its FROM is the blob)."""
    return Modelfile(
        from_path=blob_reference(gguf_digest),
        template=template,
        system=system,
        parameters=parameters or {},
        messages=tuple(_modelfile_messages(messages)),
        licenses=tuple(_license_list(license)),
    )


def blob_reference(gguf_digest: str) -> str:
    """``@sha256:…``: a Modelfile FROM naming an uploaded blob (``server/images.go``)."""
    return "@" + normalize_digest(gguf_digest)


def check_create(modelfile: Modelfile, quantize: str | None = None) -> None:
    """Everything a create request carries is valid and writable as Modelfile text (both
    forms carry the same model): checked before a long upload, without building a body."""
    modelfile.render()
    if quantize:
        check_quantize(quantize)


def create_body(
    name: str,
    *,
    gguf_digest: str,
    modelfile: Modelfile,
    quantize: str | None = None,
    json_form: bool,
) -> dict[str, Any]:
    """The ``POST /api/create`` body for ``modelfile`` (TEMPLATE, SYSTEM, PARAMETERs,
    MESSAGEs, LICENSE; its FROM is replaced by the uploaded GGUF).

    ``json_form``: Ollama ≥ 0.5.5 takes ``{"model", "files", "template", …}``
    (``api/types.go`` CreateRequest); older servers ``{"name", "modelfile"}`` with
    ``FROM @sha256:…`` (what ``ollama create`` itself sent before 0.5.5 — ``cmd/cmd.go``
    at v0.5.4; ``server/images.go`` CreateModel reads ``@``).
    """
    digest = normalize_digest(gguf_digest)
    if json_form:
        body: dict[str, Any] = {"model": name, "files": {GGUF_FILE_NAME: digest}, "stream": True}
        if modelfile.template:
            body["template"] = modelfile.template
        if modelfile.system:
            body["system"] = modelfile.system
        if modelfile.parameters:
            body["parameters"] = modelfile.parameters_json()
        if modelfile.messages:
            body["messages"] = [{"role": m.role, "content": m.content} for m in modelfile.messages]
        licenses = list(modelfile.licenses)
        if licenses:
            body["license"] = licenses[0] if len(licenses) == 1 else licenses
    else:
        text = replace(modelfile, from_path=blob_reference(digest)).render()
        body = {"name": name, "model": name, "modelfile": text, "stream": True}
    if quantize:
        body["quantize"] = check_quantize(quantize)
    return body


def json_create_body(name: str, *, quantize: str | None = None, **fields: Any) -> dict[str, Any]:
    """:func:`create_body` in the JSON form, from loose fields (:func:`create_modelfile`'s)."""
    return _body_from_fields(name, quantize=quantize, json_form=True, **fields)


def legacy_create_body(name: str, *, quantize: str | None = None, **fields: Any) -> dict[str, Any]:
    """:func:`create_body` in the legacy Modelfile form, from loose fields."""
    return _body_from_fields(name, quantize=quantize, json_form=False, **fields)


def _body_from_fields(
    name: str, *, quantize: str | None, json_form: bool, **fields: Any
) -> dict[str, Any]:
    modelfile = create_modelfile(**fields)
    return create_body(
        name,
        gguf_digest=fields["gguf_digest"],
        modelfile=modelfile,
        quantize=quantize,
        json_form=json_form,
    )


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


def _modelfile_messages(
    messages: Sequence[ChatMessage | Mapping[str, Any]] | None,
) -> list[ModelfileMessage]:
    out = []
    for message in as_messages(messages or []):
        if message.role not in MESSAGE_ROLES:
            raise InputError(
                f"a Modelfile MESSAGE cannot have the role {message.role!r}", field="messages"
            )
        out.append(ModelfileMessage(role=message.role, content=message.content))
    return out
