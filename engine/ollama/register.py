"""The register job: upload a GGUF to Ollama (unless it has it) and create the model.

Blobs that no model references are deleted when Ollama restarts (``server/images.go``
deleteUnusedLayers / PruneLayers), so upload and create happen in one job. Cancel stops
the upload mid-stream; once the upload is done the create is the last, short step and
is never sent after a cancel — there is no half-registered model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.jobs.context import JobContext
from engine.modelfile import Modelfile
from engine.ollama.client import OllamaClient
from engine.ollama.names import validate_model_name
from engine.ollama.payloads import check_create, normalize_digest
from engine.ollama.responses import CreateStatus
from engine.ollama.versions import supports_json_create

GGUF_MAGIC = b"GGUF"
_HASH_PIECE = 4 << 20


@dataclass(frozen=True, kw_only=True)
class RegisterSpec:
    """What to register. ``gguf_sha256`` is the digest computed while the GGUF was
    written (hex or ``sha256:hex``); ``None`` makes the job read the file once to hash it.
    ``modelfile``: the Modelfile model (TEMPLATE, SYSTEM, PARAMETERs, MESSAGEs, LICENSE)
    the model is created with; its FROM is replaced by the uploaded GGUF. None: none of them.
    """

    gguf_path: Path
    name: str
    gguf_sha256: str | None = None
    modelfile: Modelfile | None = None
    quantize: str | None = None
    host: str | None = None

    def create_modelfile(self) -> Modelfile:
        return self.modelfile or Modelfile(from_path=str(self.gguf_path))


@dataclass(frozen=True, kw_only=True)
class RegisterResult:
    name: str  # as Ollama shows it, e.g. "my-model:latest"
    digest: str  # sha256:… of the GGUF
    uploaded: bool  # False when Ollama already had the file
    size: int
    server_version: str
    create_form: str  # "json" (Ollama ≥ 0.5.5) or "modelfile"
    host: str


def register_job(
    spec: RegisterSpec, ctx: JobContext, *, client: OllamaClient | None = None
) -> RegisterResult:
    """``client``: an open client to reuse (its server version is asked only once)."""
    name = validate_model_name(spec.name)
    path = Path(spec.gguf_path)
    size = _check_gguf(path)
    # Check template/parameters/messages now, not after a long upload.
    check_create(spec.create_modelfile(), spec.quantize)

    own_client = client is None
    client = client or OllamaClient(spec.host)
    try:
        return _register(spec, ctx, client, name=name, path=path, size=size)
    finally:
        if own_client:
            client.close()


def _register(
    spec: RegisterSpec, ctx: JobContext, client: OllamaClient, *, name: str, path: Path, size: int
) -> RegisterResult:
    version = client.require_supported()
    ctx.log(f"Ollama {version} at {client.host}")
    ctx.check_cancelled()

    digest = normalize_digest(spec.gguf_sha256) if spec.gguf_sha256 else _sha256_file(path, ctx)
    ctx.check_cancelled()

    uploaded = False
    if client.has_blob(digest):
        ctx.log("Ollama already has this GGUF; skipping the upload")
    else:
        ctx.log(f"uploading {path.name} ({size / 2**20:,.0f} MiB) to Ollama")
        uploaded = client.push_blob(
            path,
            digest,
            progress=lambda done, total: ctx.progress("uploading", done, total, unit="B"),
            cancel_event=ctx.cancel_event,
            skip_if_present=False,
        )
    # Last point where a cancel is honoured: the create is never sent after it.
    ctx.check_cancelled()

    steps = 0

    def on_status(status: CreateStatus) -> None:
        nonlocal steps
        if status.total:  # e.g. Ollama quantizing: a real fraction
            ctx.progress(status.status, status.completed, status.total)
            return
        steps += 1
        ctx.progress("registering", steps, 0)  # total unknown: a busy indicator
        ctx.log(f"Ollama: {status.status}")

    client.create_from_modelfile(
        name,
        gguf_digest=digest,
        modelfile=spec.create_modelfile(),
        quantize=spec.quantize,
        on_status=on_status,
    )
    if ctx.cancelled:
        ctx.warn(f"the cancel came after the model was sent to Ollama; {name} is registered")
    ctx.log(f"registered {name}")
    return RegisterResult(
        name=name,
        digest=digest,
        uploaded=uploaded,
        size=size,
        server_version=version,
        create_form="json" if supports_json_create(version) else "modelfile",
        host=client.host,
    )


def _check_gguf(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InputError("the GGUF file does not exist", path=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read the GGUF file: {exc.strerror}", path=path) from exc
    if magic != GGUF_MAGIC:
        raise InputError(
            "this file is not a GGUF (it does not start with 'GGUF')",
            hint="Ollama can only register .gguf files; convert the model first.",
            path=path,
        )
    return size


def _sha256_file(path: Path, ctx: JobContext) -> str:
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        while piece := fh.read(_HASH_PIECE):
            digest.update(piece)
            done += len(piece)
            ctx.progress("checksum", done, total, unit="B")
            ctx.check_cancelled()
    return "sha256:" + digest.hexdigest()
