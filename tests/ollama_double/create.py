"""``POST /api/create`` in both forms, gated on the double's version like Ollama.

- ≥ 0.5.5: the JSON form (``server/create.go`` CreateHandler at v0.5.5+);
- < 0.5.5: ``{"name", "modelfile"}`` (``server/routes.go`` CreateHandler and
  ``server/images.go`` CreateModel at v0.5.4).

Streaming follows ``streamResponse`` (an error before output is an HTTP status, after
it a final ``{"error"}`` line); ``"stream": false`` follows ``waitForStream`` (500 unless
the error carried a status).
"""

from __future__ import annotations

import json
import posixpath
from typing import TYPE_CHECKING, Any

from tests.ollama_double.api import DIGEST, Layer, StoredModel
from tests.ollama_double.gguf_info import read_gguf_info
from tests.ollama_double.gotemplate import go_template_error
from tests.ollama_double.modelfile import ModelfileError, parse_modelfile
from tests.ollama_double.names import parse_name
from tests.ollama_double.params import create_violations, from_modelfile
from tests.ollama_double.rewrite import rewritten_gguf
from tests.ollama_double.selection import LLAMA_SERVER_SINCE

if TYPE_CHECKING:
    from tests.ollama_double.server import _Handler

JSON_FORM_SINCE = (0, 5, 5)


class _Stop(Exception):
    """Raised after an error was sent: the goroutine returns."""


class _Wait:
    """``waitForStream``: remember the last status, answer once."""

    def __init__(self, h: _Handler) -> None:
        self.h = h
        self.latest: dict[str, Any] = {}
        self.answered = False

    def send(self, data: dict[str, Any]) -> None:
        self.latest = data

    def error(self, message: str, status: int = 500) -> None:
        self.h.send_error_json(status, message)
        self.answered = True

    def end(self) -> None:
        if not self.answered:
            self.h.send_json(200, self.latest)


def create(h: _Handler) -> None:
    data, err = h.read_json()
    h.record(data)
    if err:
        h.send_error_json(400, err)
        return
    if not isinstance(data, dict):
        h.send_error_json(400, "json: cannot unmarshal into api.CreateRequest")
        return
    if h.double.version_tuple >= JSON_FORM_SINCE:
        _create_json(h, data)
    else:
        _create_legacy(h, data)


def _sink(h: _Handler, data: dict[str, Any]) -> Any:
    return h.stream() if data.get("stream", True) is not False else _Wait(h)


def _emit(h: _Handler, out: Any, status: str) -> None:
    out.send({"status": status})
    fault = h.double.faults
    if fault.create_error_after is not None and status.startswith(fault.create_error_after):
        out.error(fault.create_error)
        raise _Stop


def _valid_relative(path: str) -> bool:
    # io/fs.ValidPath: unrooted, slash-separated, no "." / ".." / empty elements
    if path == ".":
        return True
    return (
        bool(path)
        and not path.startswith("/")
        and all(part not in ("", ".", "..") for part in path.split("/"))
        and posixpath.normpath(path) == path
    )


def _create_json(h: _Handler, data: dict[str, Any]) -> None:
    files = data.get("files")
    if files is not None and not isinstance(files, dict):
        h.send_error_json(400, "json: cannot unmarshal files into map[string]string")
        return
    for path, digest in (files or {}).items():
        if not _valid_relative(path):
            h.send_error_json(400, "file path must be relative")
            return
        if digest == "":
            h.send_error_json(400, "invalid digest format")
            return
    name = data.get("model") or data.get("name") or ""
    parts = parse_name(name) if isinstance(name, str) else None
    if parts is None:
        h.send_error_json(400, "invalid model name")
        return
    out = _sink(h, data)
    try:
        if data.get("from"):
            out.error("test double: create 'from' another model is not implemented", 400)
            raise _Stop
        if files is None:
            out.error("neither 'from' or 'files' was specified", 400)
            raise _Stop
        if data.get("quantize") or data.get("quantization"):
            out.error("test double: quantize is not implemented", 400)
            raise _Stop
        model_path = _detect_gguf(h, out, files)
        digest = files[model_path]
        info, layer = _gguf_layer(h, out, digest, streaming_started=True)
        model_status = f"using existing layer {layer.digest}"  # NewLayerFromLayer
        if h.double.version_tuple >= LLAMA_SERVER_SINCE:
            layer, model_status = _rewrite_with_llama_quantize(h, out, layer)
            info = read_gguf_info(h.double.blob_path(layer.digest))
        for problem in create_violations(data.get("parameters")):
            h.double.violation(f"create {name!r}: {problem}")
        _finish(
            h,
            out,
            parts,
            info=info,
            model_layer=layer,
            model_status=model_status,
            template=_text(data.get("template")),
            system=_text(data.get("system")),
            parameters=data.get("parameters") or {},
            messages=data.get("messages") or [],
            licenses=_licenses(data.get("license")),
        )
    except _Stop:
        pass
    out.end()


def _detect_gguf(h: _Handler, out: Any, files: dict[str, str]) -> str:
    # create.go detectModelTypeFromFiles: ".gguf" by name, else the blob's magic bytes
    if not files:
        out.error("unknown type", 400)
        raise _Stop
    if len(files) > 1:
        out.error(
            "test double: more than one file (split GGUF / safetensors) is not implemented", 400
        )
        raise _Stop
    ((path, digest),) = files.items()
    if path.endswith(".safetensors"):
        out.error("test double: safetensors import is not implemented", 400)
        raise _Stop
    if not path.endswith(".gguf"):
        blob = h.double.blob_path(digest)
        ok = DIGEST.match(digest) and blob.name in h.double.blob_names()
        if not ok or blob.read_bytes()[:4] != b"GGUF":
            out.error("unknown type", 400)
            raise _Stop
    return path


def _gguf_layer(h: _Handler, out: Any, digest: str, *, streaming_started: bool) -> Any:
    # create.go ggufLayers: "parsing GGUF", then open the blob and decode it
    if streaming_started:
        _emit(h, out, "parsing GGUF")
    if not DIGEST.match(digest):
        out.error("invalid digest format")
        raise _Stop
    blob = h.double.blob_path(digest)
    if blob.name not in h.double.blob_names():
        out.error(f"open {blob}: no such file or directory")
        raise _Stop
    try:
        info = read_gguf_info(blob)
    except ValueError as exc:
        out.error(str(exc), 400)
        raise _Stop from exc
    layer = Layer("application/vnd.ollama.image.model", digest, blob.stat().st_size)
    return info, layer


def _rewrite_with_llama_quantize(h: _Handler, out: Any, layer: Layer) -> tuple[Layer, str]:
    """create.go copyLayerWithLlamaQuantize (≥ 0.30): the stored GGUF is a rewritten copy
    with a new digest (see :mod:`.rewrite`)."""
    content = rewritten_gguf(h.double.blob_path(layer.digest))
    _emit(h, out, "verifying conversion")
    new_layer, status = h.double.store.add_layer(layer.media_type, content)
    return new_layer, status


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _licenses(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _finish(
    h: _Handler,
    out: Any,
    parts: tuple[str, str, str, str],
    *,
    info: Any,
    model_layer: Layer,
    template: str,
    model_status: str | None = None,
    system: str,
    parameters: dict[str, Any],
    messages: list[dict[str, str]],
    licenses: list[str],
) -> None:
    """create.go createModel: layers for template/system/license/params/messages, their
    status lines, "writing manifest", then "success"."""
    store = h.double.store
    statuses = [model_status or f"using existing layer {model_layer.digest}"]
    layers = [model_layer]
    if template:
        problem = go_template_error(template)
        if problem:
            out.error(f"template error: {problem}", 400)
            raise _Stop
    contents: list[tuple[str, bytes]] = []
    if template:
        contents.append(("template", template.encode("utf-8")))
    if system:
        contents.append(("system", system.encode("utf-8")))
    contents += [("license", text.encode("utf-8")) for text in licenses]
    if parameters:
        # Go's json.Encoder: map keys sorted, compact, trailing newline
        contents.append(
            (
                "params",
                (json.dumps(parameters, sort_keys=True, separators=(",", ":")) + "\n").encode(),
            )
        )
    if messages:
        contents.append(("messages", (json.dumps(messages, separators=(",", ":")) + "\n").encode()))
    for kind, content in contents:
        layer, status = store.add_layer(f"application/vnd.ollama.image.{kind}", content)
        layers.append(layer)
        statuses.append(status)
    for status in statuses:
        _emit(h, out, status)
    _emit(h, out, "writing manifest")
    store.put(
        StoredModel(
            parts=parts,
            info=info,
            gguf_digest=model_layer.digest,
            template=template,
            chat_template=str(info.model_info.get("tokenizer.chat_template") or ""),
            system=system,
            parameters=dict(parameters),
            messages=[
                {"role": m.get("role", ""), "content": m.get("content", "")} for m in messages
            ],
            license=licenses,
            layers=layers,
        )
    )
    _emit(h, out, "success")


def _create_legacy(h: _Handler, data: dict[str, Any]) -> None:
    name = data.get("model") or data.get("name") or ""
    parts = parse_name(name) if isinstance(name, str) else None
    if parts is None:
        h.send_error_json(400, "invalid model name")
        return
    if not data.get("path") and not data.get("modelfile"):
        h.send_error_json(400, "path or Modelfile are required")
        return
    if not data.get("modelfile"):
        h.send_error_json(400, "test double: create from a Modelfile path is not implemented")
        return
    try:
        commands = parse_modelfile(str(data["modelfile"]))
    except ModelfileError as exc:
        h.send_error_json(400, str(exc))
        return
    out = _sink(h, data)
    try:
        fields: dict[str, Any] = {
            "template": "",
            "system": "",
            "parameters": {},
            "messages": [],
            "licenses": [],
        }
        model = None
        for command, second, value in commands:
            if command == "from":
                if not value.startswith("@"):
                    out.error("test double: FROM a model name or path is not implemented", 400)
                    raise _Stop
                model = _gguf_layer(h, out, value[1:], streaming_started=False)
            elif command in ("template", "system"):
                fields[command] = value
            elif command == "license":
                fields["licenses"].append(value)
            elif command == "message":
                fields["messages"].append({"role": second, "content": value})
            elif command == "parameter":
                try:
                    typed = from_modelfile(second, value)
                except ValueError as exc:
                    out.error(str(exc))
                    raise _Stop from exc
                params = fields["parameters"]
                params[second] = (
                    params.get(second, []) + typed if isinstance(typed, list) else typed
                )
            else:
                out.error(f"test double: {command.upper()} is not implemented", 400)
                raise _Stop
        assert model is not None
        info, layer = model
        _finish(h, out, parts, info=info, model_layer=layer, **fields)
    except _Stop:
        pass
    out.end()
