"""The double's endpoints and model store. Each handler cites the Ollama code it mimics."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tests.ollama_double.gguf_info import GGUFInfo, human_number
from tests.ollama_double.names import display, key, parse_name
from tests.ollama_double.params import go_value
from tests.ollama_double.selection import LLAMA_SERVER_SINCE, Selection, select

if TYPE_CHECKING:
    from tests.ollama_double.server import OllamaDouble, _Handler

Handler = Callable[["_Handler"], None]

# manifest/paths.go BlobsPath: "^sha256[:-][0-9a-fA-F]{64}$" (uppercase hex passes here;
# the case then matters on disk: Linux file names are case-sensitive).
DIGEST = re.compile(r"^sha256[:-][0-9a-fA-F]{64}\Z")
DEFAULT_TEMPLATE = "{{ .Prompt }}"


@dataclass
class Layer:
    media_type: str
    digest: str
    size: int


@dataclass
class StoredModel:
    parts: tuple[str, str, str, str]
    info: GGUFInfo
    gguf_digest: str
    template: str = ""
    chat_template: str = ""  # the GGUF's tokenizer.chat_template
    system: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, str]] = field(default_factory=list)
    license: list[str] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    modified_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).astimezone())

    @property
    def name(self) -> str:
        return display(self.parts)

    def selection(self, double: OllamaDouble) -> Selection:
        """Which template runs and the capabilities /api/show reports (see .selection)."""
        return select(
            version=double.version_tuple,
            go_template=self.template,
            chat_template=self.chat_template,
            default_template=DEFAULT_TEMPLATE,
            go_template_env=double.go_template_env,
        )

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)

    def manifest_digest(self) -> str:
        data = json.dumps([[lay.media_type, lay.digest, lay.size] for lay in self.layers])
        return hashlib.sha256(data.encode()).hexdigest()


class ModelStore:
    def __init__(self, double: OllamaDouble) -> None:
        self.double = double
        self.models: dict[tuple[str, ...], StoredModel] = {}

    def get(self, parts: tuple[str, str, str, str]) -> StoredModel | None:
        return self.models.get(key(parts))

    def put(self, model: StoredModel) -> None:
        # getExistingName: a case-insensitive match keeps the existing spelling
        old = self.models.get(key(model.parts))
        if old is not None:
            model.parts = old.parts
        self.models[key(model.parts)] = model

    def remove(self, parts: tuple[str, str, str, str]) -> None:
        model = self.models.pop(key(parts))
        # manifest.RemoveLayers: delete blobs no other model uses
        used = {lay.digest for m in self.models.values() for lay in m.layers}
        for layer in model.layers:
            if layer.digest not in used:
                self.double.blob_path(layer.digest).unlink(missing_ok=True)

    def add_layer(self, media_type: str, content: bytes) -> tuple[Layer, str]:
        """manifest.NewLayer: store ``content`` as a blob; the status line Ollama streams."""
        digest = "sha256:" + hashlib.sha256(content).hexdigest()
        path = self.double.blob_path(digest)
        status = "using existing layer"
        if path.name not in self.double.blob_names():
            status = "creating new layer"
            path.write_bytes(content)
        return Layer(media_type, digest, len(content)), f"{status} {digest}"


def routes(path: str) -> dict[str, Handler] | None:
    """server/routes.go GenerateRoutes, for the endpoints the double implements."""
    from tests.ollama_double.chat import chat
    from tests.ollama_double.create import create

    table: dict[str, dict[str, Handler]] = {
        "/": {"GET": root, "HEAD": root},
        "/api/version": {"GET": version, "HEAD": version},
        "/api/tags": {"GET": tags, "HEAD": tags},
        "/api/show": {"POST": show},
        "/api/delete": {"DELETE": delete},
        "/api/create": {"POST": create},
        "/api/chat": {"POST": chat},
    }
    if path.startswith("/api/blobs/") and "/" not in path[len("/api/blobs/") :]:
        return {"HEAD": head_blob, "POST": post_blob}
    return table.get(path)


def root(h: _Handler) -> None:
    h.record()
    h.send_text(200, "Ollama is running")


def version(h: _Handler) -> None:
    h.record()
    h.send_json(200, {"version": h.double.reported_version or h.double.version})


def _digest_param(h: _Handler) -> str:
    return h.path.split("?", 1)[0][len("/api/blobs/") :]


def head_blob(h: _Handler) -> None:
    """HeadBlobHandler: 400 bad digest, 404 absent, 200 present."""
    digest = _digest_param(h)
    h.record()
    if not DIGEST.match(digest):
        h.send_error_json(400, "invalid digest format")
    elif h.double.has_blob_file(digest):
        h.send_status(200)
    else:
        h.send_error_json(404, f'blob "{digest}" not found')


def post_blob(h: _Handler) -> None:
    """CreateBlobHandler + manifest.NewLayer: verify the digest while receiving."""
    double = h.double
    digest = _digest_param(h)
    if not DIGEST.match(digest):
        h.record()
        h.discard_unread_body()
        h.send_error_json(400, "invalid digest format")
        return
    if double.has_blob_file(digest):
        h.record()
        # The source answers 200 without reading the body (routes.go CreateBlobHandler);
        # a real 0.12.6 was seen answering 201 here (docs/OLLAMA.md): clients accept both.
        h.discard_unread_body()
        h.send_status(200)
        return
    sha = hashlib.sha256()
    received = 0
    fd, tmp_name = tempfile.mkstemp(prefix="sha256-", dir=double.blobs_dir)
    try:
        with os.fdopen(fd, "wb") as tmp:
            for piece in h.body_pieces():
                tmp.write(piece)
                sha.update(piece)
                received += len(piece)
                h.throttle(len(piece))
    except (ConnectionError, OSError, ValueError):
        # io.Copy failed: NewLayer returns the error and removes its temp file
        os.unlink(tmp_name)
        double.aborted_uploads += 1
        h.record(received)
        h.close_connection = True
        return
    h.record(received)
    computed = "sha256:" + sha.hexdigest()
    final = double.blob_path(computed)
    if final.name in double.blob_names():
        os.unlink(tmp_name)
    else:
        os.replace(tmp_name, final)
    if computed != digest:
        h.send_error_json(400, f'digest mismatch, expected "{digest}", got "{computed}"')
    else:
        h.send_status(201)


def tags(h: _Handler) -> None:
    """ListHandler: newest first."""
    h.record()
    models = sorted(h.double.store.models.values(), key=lambda m: m.modified_at, reverse=True)
    h.send_json(200, {"models": [_list_entry(m) for m in models]})


def _details(m: StoredModel) -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": m.info.architecture,
        "families": [m.info.architecture],
        "parameter_size": human_number(m.info.parameter_count),
        "quantization_level": m.info.file_type,
    }


def _list_entry(m: StoredModel) -> dict[str, Any]:
    return {
        "name": m.name,
        "model": m.name,
        "modified_at": m.modified_at.isoformat(),
        "size": m.size,
        "digest": m.manifest_digest(),
        "details": _details(m),
    }


def _model_from_body(h: _Handler, data: Any) -> tuple[str, tuple[str, str, str, str] | None]:
    if not isinstance(data, dict):
        return "", None
    name = data.get("model") or data.get("name") or ""
    return name, parse_name(name) if isinstance(name, str) and name else None


def show(h: _Handler) -> None:
    """ShowHandler / GetModelInfo."""
    data, err = h.read_json()
    h.record(data)
    if err:
        h.send_error_json(400, err)
        return
    name, parts = _model_from_body(h, data)
    if not name:
        h.send_error_json(400, "model is required")
        return
    if parts is None:
        h.send_error_json(400, "invalid model name")  # guess: errtypes.InvalidModelNameErrMsg
        return
    model = h.double.store.get(parts)
    if model is None:
        h.send_error_json(404, f"model '{display(parts)}' not found")
        return
    params = "\n".join(
        f"{k:<30} {go_value(item)}"
        for k, v in sorted(model.parameters.items())
        for item in (v if isinstance(v, list) else [v])
    )
    chosen = model.selection(h.double)
    model_info = dict(model.info.model_info)
    if h.double.version_tuple >= LLAMA_SERVER_SINCE:
        # routes.go GetModelInfo at v0.32: the chat template is not repeated in model_info
        model_info.pop("tokenizer.chat_template", None)
    body: dict[str, Any] = {
        "modelfile": _modelfile_text(h.double, model),
        "parameters": params,
        # routes.go selectedModelTemplate (≥ 0.30): the Jinja text when llama-server renders
        "template": chosen.shown_template,
        "details": _details(model),
        "model_info": model_info,
        "capabilities": chosen.capabilities,
        "modified_at": model.modified_at.isoformat(),
    }
    if model.system:
        body["system"] = model.system
    if model.license:
        body["license"] = "\n".join(model.license)
    if model.messages:
        body["messages"] = model.messages
    h.send_json(200, body)


def _modelfile_text(double: OllamaDouble, m: StoredModel) -> str:
    # A simplified version of the text "ollama show --modelfile" prints (server/routes.go)
    lines = [
        '# Modelfile generated by "ollama show"',
        "# To build a new Modelfile based on this, replace FROM with:",
        f"# FROM {m.name}",
        "",
        f"FROM {double.blob_path(m.gguf_digest)}",
        f'TEMPLATE """{m.template or DEFAULT_TEMPLATE}"""',
    ]
    if m.system:
        lines.append(f'SYSTEM """{m.system}"""')
    for k, v in sorted(m.parameters.items()):
        for item in v if isinstance(v, list) else [v]:
            lines.append(f"PARAMETER {k} {item}")
    for message in m.messages:
        lines.append(f"MESSAGE {message['role']} {message['content']}")
    for text in m.license:
        lines.append(f'LICENSE """{text}"""')
    return "\n".join(lines) + "\n"


def delete(h: _Handler) -> None:
    """DeleteHandler: 200 with an empty body; 404 when missing."""
    data, err = h.read_json()
    h.record(data)
    if err:
        h.send_error_json(400, err)
        return
    name, parts = _model_from_body(h, data)
    if parts is None:
        h.send_error_json(400, f'name "{name}" is invalid')
        return
    if h.double.store.get(parts) is None:
        h.send_error_json(404, f"model '{name}' not found")
        return
    h.double.store.remove(parts)
    h.send_status(200)
