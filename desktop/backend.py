"""Every engine call the GUI makes, in one module.

Engine modules are imported inside the functions: the window opens before any of
them (or numpy, requests, gguf) is loaded, and all of these run off the GUI thread
through :mod:`desktop.jobs`. Nothing here touches a widget, and nothing here does engine
work: sizes, templates, stages and kinds come from the engine (``engine.package.prepare``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.jobs import JobContext

# -- inspect / prepare ------------------------------------------------------------------


def inspect_source(path: Path) -> Any:
    """``engine.inspect.inspect_path``: an InspectReport for a folder or .gguf file."""
    from engine.inspect import inspect_path

    return inspect_path(Path(path))


def prepare_source(path: Path, base_model: Path | None = None) -> Any:
    """``engine.package.prepare``: the source kind, the reports, the quant choices with
    their exact sizes, the derived template and the stages (an ``engine.package.PreparedSource``)."""
    # Warm what the form then calls on the GUI thread (pure string checks), so typing
    # a name never waits for an import.
    import engine.ollama.names  # noqa: F401
    from engine.package import prepare

    return prepare(Path(path), base_model)


# -- names ---------------------------------------------------------------------------------


def check_model_name(name: str, tag: str) -> tuple[str | None, str | None]:
    """``(normalized name, None)`` or ``(None, what is wrong + what to do)``. Cheap: GUI thread OK."""
    from engine.errors import InputError
    from engine.ollama.names import validate_model_name

    full = f"{name.strip()}:{tag.strip()}" if tag.strip() else name.strip()
    try:
        return validate_model_name(full), None
    except InputError as exc:
        return None, exc.message[:1].upper() + exc.message[1:] + "."


# -- Ollama ----------------------------------------------------------------------------------

DEFAULT_HOST_LABEL = "127.0.0.1:11434"  # what an empty setting and no OLLAMA_HOST mean


@dataclass(frozen=True, kw_only=True)
class OllamaState:
    """What the status bar shows."""

    state: str  # "running" | "unsupported" | "stopped" | "missing"
    host: str
    version: str | None = None
    message: str = ""
    program: Path | None = None  # the Ollama program, to start it


def ollama_state(host: str | None) -> OllamaState:
    """Never raises: ``OllamaClient.status`` plus where Ollama is installed."""
    from engine.ollama import OllamaClient, find_ollama

    with OllamaClient(host or None, timeout=2.0) as client:
        status = client.status()
    if status.running:
        state = "running" if status.supported else "unsupported"
        return OllamaState(
            state=state, host=status.host, version=status.version, message=status.message
        )
    program = find_ollama()
    return OllamaState(
        state="stopped" if program is not None or status.installed else "missing",
        host=status.host,
        message=status.message,
        program=program,
    )


def list_models(host: str | None) -> list[Any]:
    from engine.ollama import OllamaClient

    with OllamaClient(host or None) as client:
        return sorted(client.list_models(), key=lambda m: m.modified_at, reverse=True)


def show_model(host: str | None, name: str) -> Any:
    from engine.ollama import OllamaClient

    with OllamaClient(host or None) as client:
        return client.show(name)


def delete_model(host: str | None, name: str) -> None:
    from engine.ollama import OllamaClient

    with OllamaClient(host or None) as client:
        client.delete(name)


# -- chat --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChatRequest:
    """One turn of the Chat page: who answers, the conversation so far, the options."""

    messages: tuple[dict[str, str], ...]
    model: str | None = None  # an Ollama model …
    gguf: str | None = None  # … or a local GGUF run in-process
    host: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    think: bool | None = None


_backends: dict[tuple[str | None, str | None, str | None], Any] = {}


def chat_job(request: ChatRequest, ctx: Any) -> Any:
    """Stream one answer; chunks are posted to the GUI (``ctx.post``); returns the stats.

    A local GGUF backend (llama.cpp in a child process) is kept open between turns:
    loading it is the slow part. If llama.cpp crashes, the dead backend is dropped and
    the ``NativeCrashError`` reaches the page, which offers :func:`restart_chat_model`.
    """
    from engine.chat import open_backend
    from engine.chat.errors import NativeCrashError

    key = (request.model, request.gguf, request.host)
    backend: Any = _backends.get(key)
    if backend is None:
        if request.gguf:
            ctx.progress("loading", 0, 0)
            backend = open_backend(gguf=request.gguf)
            _backends.clear()  # one local model in memory at a time
            _backends[key] = backend
        else:
            backend = open_backend(model=request.model, host=request.host or None)
    stats = None
    try:
        for chunk in backend.stream(
            list(request.messages),
            options=request.options or None,
            think=request.think,
            cancel_event=ctx.cancel_event,
        ):
            ctx.post(chunk)
            if chunk.done:
                stats = chunk.stats
    except NativeCrashError:
        if _backends.get(key) is backend:
            del _backends[key]
        backend.close()
        raise
    if request.model:
        backend.close()
    return stats


def restart_chat_model(request: ChatRequest, ctx: Any) -> str:
    """Load the request's local GGUF again in a fresh llama.cpp child (after a crash)."""
    from engine.chat import open_backend

    assert request.gguf, "only a local GGUF runs in a llama.cpp child"
    close_chat_backends()
    ctx.progress("loading", 0, 0)
    backend = open_backend(gguf=request.gguf)
    _backends[(request.model, request.gguf, request.host)] = backend
    return Path(request.gguf).name


def close_chat_backends() -> None:
    for backend in _backends.values():
        try:
            backend.close()
        except Exception:
            pass
    _backends.clear()


# -- package ------------------------------------------------------------------------------------


def package_spec(
    *,
    source: Path,
    name: str,
    quant_type: str | None,
    output_dir: Path,
    base_model: Path | None = None,
    system: str = "",
    parameters: dict[str, Any] | None = None,
    host: str | None = None,
    register: bool = True,
    smoke_chat: bool = True,
) -> Any:
    """The Package page's form as an ``engine.package.PackageSpec``: the files go to
    ``<output_dir>/<name as a file name>/``; ``parameters`` are the typed form values."""
    from engine.modelfile import parameter_pairs
    from engine.package import PackageSpec, safe_file_stem

    return PackageSpec(
        source=Path(source),
        name=name,
        quant_type=quant_type,
        system=system or None,
        params=parameter_pairs(parameters or {}),
        out_dir=Path(output_dir) / safe_file_stem(name),
        host=host,
        register=register,
        smoke=smoke_chat,
        base_dir=base_model,
    )


def package_job(spec: Any, ctx: JobContext) -> Any:
    """``engine.package.package_job`` (imported when the first run starts): (merge) →
    convert/quantize → Modelfile → upload → create → smoke chat → a ``PackageResult``."""
    from engine.package import package_job as engine_package_job

    return engine_package_job(spec, ctx)
