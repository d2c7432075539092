"""Every engine call the GUI makes, in one module.

Engine modules are imported inside the functions: the window opens before any of
them (or numpy, requests, gguf) is loaded, and all of these run off the GUI thread
through :mod:`desktop.jobs`. Nothing here touches a widget.

Where the engine does not offer a call yet, the function says so with a
``TODO(engine)`` naming the missing engine function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.jobs import JobContext

# -- inspect ------------------------------------------------------------------------------


def inspect_source(path: Path) -> Any:
    """``engine.inspect.inspect_path``: an InspectReport for a folder or .gguf file."""
    from engine.inspect import inspect_path

    return inspect_path(Path(path))


def parameter_count(report: Any) -> int | None:
    if report.model is not None:
        return int(report.model.parameters)
    if report.gguf is not None:
        return int(report.gguf.parameters)
    return None


def suggested_model_name(report: Any) -> str:
    """A valid Ollama name from the folder/file name ("Qwen2.5 0.5B 微调" → "qwen2.5-0.5b")."""
    stem = Path(report.path).name
    if stem.lower().endswith(".gguf"):
        stem = stem[:-5]
    out, dash = [], False
    for char in stem.lower():
        if char.isascii() and (char.isalnum() or char in "._"):
            out.append(char)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    name = "".join(out).strip("-.") or "my-model"
    if not (name[0].isalnum() or name[0] == "_"):
        name = "m" + name
    return name[:60]


@dataclass(frozen=True, kw_only=True)
class PreparedSource:
    """Everything the Package page shows after a drop, computed in one background job."""

    report: Any  # engine.inspect.InspectReport
    base_report: Any = None  # the adapter's base model, when found or chosen
    quant_options: tuple[QuantOption, ...] = ()
    template: TemplatePreview | None = None
    suggested_name: str = "my-model"


def prepare_source(path: Path, base_model: Path | None = None) -> PreparedSource:
    """Inspect the source (and an adapter's base), price the quant types, derive the template."""
    # Warm what the form then calls on the GUI thread (pure string checks), so typing
    # a name never waits for an import.
    import engine.ollama.names
    import engine.package.spec  # noqa: F401

    report = inspect_source(path)
    base_report = None
    template_path: Path | None = Path(report.path)
    if report.kind == "lora_adapter":
        from engine.inspect import read_chat_template

        base = base_model or (
            Path(report.adapter.base_found) if report.adapter.base_found else None
        )
        if base is not None:
            base_report = inspect_source(base)
        # A fine-tune may ship its own chat template next to the adapter: it wins (as in
        # engine.package); otherwise the base model's is used.
        if read_chat_template(Path(report.path)) is None:
            template_path = Path(base_report.path) if base_report is not None else None
    return PreparedSource(
        report=report,
        base_report=base_report,
        quant_options=tuple(quant_options(report, base_report)),
        template=template_preview(report, template_path) if template_path is not None else None,
        suggested_name=suggested_model_name(report),
    )


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


# -- quantization ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class QuantOption:
    """One row of the quant picker."""

    name: str  # "Q4_K_M"
    description: str
    recommendation: str
    size_bytes: int | None  # expected GGUF size
    exact: bool  # size from the tensor plan (True) or a parameters × bits estimate
    recommended: bool
    reason: str = ""  # why it is recommended (for the recommended one)


def quant_options(report: Any, base_report: Any = None) -> list[QuantOption]:
    """File types with expected size, the recommended one marked. ``[]`` for a GGUF source
    (it is registered as it is).

    TODO(engine): sizes here are ``parameters × bits_per_weight / 8``. The exact sizes
    need the source's tensor plan: ask for ``engine.convert.quant_choices_for(model_dir,
    adapter_dir=None) -> list[engine.quant.QuantChoice]`` (``engine.quant.quant_choices``
    fed with the converter's PlannedTensors) and call it here.
    """
    from engine.quant import FILE_TYPES, recommend

    if report.kind == "gguf":
        return []
    source = base_report if report.kind == "lora_adapter" else report
    n_params = parameter_count(source) if source is not None else None
    meta = 0
    if source is not None and source.model is not None:
        meta = 64 * 1024 + (source.model.vocab_size or 0) * 24
    sizes = {
        name: int(n_params * ft.bits_per_weight / 8) + meta if n_params else None
        for name, ft in FILE_TYPES.items()
    }
    best = recommend(n_params=n_params or 7_000_000_000)
    return [
        QuantOption(
            name=name,
            description=ft.description,
            recommendation=ft.recommendation,
            size_bytes=sizes[name],
            exact=False,
            recommended=name == best.file_type.name,
            reason=best.reason if name == best.file_type.name else "",
        )
        for name, ft in FILE_TYPES.items()
    ]


# -- template --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TemplatePreview:
    family: str | None
    template: str  # the Ollama Go template that will be sent ("" if none)
    stop: tuple[str, ...] = ()
    parity: bool | None = None  # None: not checked
    first_difference: str = ""
    conversations: int = 0
    note: str = ""


def template_preview(report: Any, template_path: Path | None = None) -> TemplatePreview:
    """``engine.template``: read the chat template (of ``template_path``, default the
    source), derive the Ollama template and prove it renders the same (Go's
    text/template against the Jinja original)."""
    from engine.errors import TuneforgeError
    from engine.template import derive_from_source, template_from_gguf, template_from_model_dir

    info = report.model or report.gguf
    family = getattr(info, "chat_template_family", None) if info is not None else None
    where = Path(template_path or report.path)
    try:
        source = template_from_gguf(where) if where.is_file() else template_from_model_dir(where)
        derived = derive_from_source(source)
    except TuneforgeError as exc:
        return TemplatePreview(family=family, template="", parity=None, note=exc.message)
    parity = derived.parity
    checked = [c for c in parity.cases if c.status != "not_applicable"] if parity else []
    note = ""
    if parity is not None and parity.status == "not_run" and parity.reason:
        note = parity.reason
    if derived.fallback and derived.warnings:
        note = f"{note} {derived.warnings[-1]}" if note else derived.warnings[-1]
    return TemplatePreview(
        family=derived.family,
        template=derived.go_template or "",
        stop=tuple(derived.stops),
        parity=None
        if parity is None or parity.status == "not_run"
        else parity.status == "identical",
        first_difference=(parity.first_difference or "") if parity else "",
        conversations=len(checked),
        note=note.strip(),
    )


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


@dataclass(frozen=True, kw_only=True)
class PackageRequest:
    """Everything the Package page's form says; becomes an ``engine.package.PackageSpec``."""

    source: Path
    kind: str  # "hf_model" | "lora_adapter" | "gguf"
    name: str  # normalized Ollama name, e.g. "my-model:latest"
    quant_type: str | None  # None for a GGUF source (kept as it is)
    output_dir: Path  # the settings' output folder; the files go to <output_dir>/<name>/
    base_model: Path | None = None  # for adapters
    system: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    host: str | None = None
    register: bool = True  # False: Ollama is not there, make the files only
    smoke_chat: bool = True


@dataclass(frozen=True, kw_only=True)
class PackageOutcome:
    """What the end card shows."""

    name: str
    gguf_path: Path
    modelfile_path: Path | None
    gguf_bytes: int
    registered: bool
    register_note: str = ""  # why not, and how to register by hand
    smoke_ok: bool | None = None
    smoke_reply: str = ""
    smoke_problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # which chat template Ollama runs (engine.ollama.template_choice): "jinja", "go",
    # "default" or None when not registered; the summary is the engine's English sentence
    template_source: str | None = None
    template_proven: bool = False
    template_summary: str = ""
    # engine.package.prompt_check: (probe, Ollama's tokens, the model's own template's
    # tokens) of the first probe conversation whose prompt differs; None when all match
    prompt_mismatch: tuple[str, int, int] | None = None
    prompt_not_checked: str = ""  # why the probes could not run (the engine's words)


# The rows the page shows, per source kind (the engine's stage names, engine.package.STAGES).
STAGES: dict[str, tuple[str, ...]] = {
    "lora_adapter": ("merge", "convert", "modelfile", "upload", "create", "smoke"),
    "hf_model": ("convert", "modelfile", "upload", "create", "smoke"),
    "gguf": ("convert", "modelfile", "upload", "create", "smoke"),
}


def _prompt_mismatch(check: dict[str, Any] | None) -> tuple[str, int, int] | None:
    if not check or check.get("status") != "mismatch":
        return None
    for probe in check.get("probes") or ():
        if not probe.get("ok"):
            return str(probe["name"]), int(probe.get("reported") or 0), int(probe["expected"])
    return None


def _prompt_not_checked(check: dict[str, Any] | None) -> str:
    if not check or check.get("status") != "not_run":
        return ""
    return str(check.get("problem") or "")


def package_output_dir(request: PackageRequest) -> Path:
    from engine.package import safe_file_stem

    return Path(request.output_dir) / safe_file_stem(request.name)


def package_spec(request: PackageRequest) -> Any:
    """The engine's PackageSpec for the form."""
    from engine.package import PackageSpec

    params: list[tuple[str, str]] = []
    for key, value in request.parameters.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            params.append((key, _param_text(item)))
    return PackageSpec(
        source=Path(request.source),
        name=request.name,
        quant_type=request.quant_type,
        system=request.system or None,
        params=tuple(params),
        out_dir=package_output_dir(request),
        host=request.host,
        register=request.register,
        smoke=request.smoke_chat,
        base_dir=request.base_model if request.kind == "lora_adapter" else None,
    )


def _param_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def package_job(request: PackageRequest, ctx: JobContext) -> PackageOutcome:
    """``engine.package.package_job``: (merge) → convert/quantize → Modelfile → upload →
    create → smoke chat; a cancel removes what the run wrote."""
    from engine.package import package_job as engine_package_job

    result = engine_package_job(package_spec(request), ctx)
    smoke = result.smoke
    in_use = result.template_in_use or {}
    return PackageOutcome(
        prompt_mismatch=_prompt_mismatch(result.prompt_check),
        prompt_not_checked=_prompt_not_checked(result.prompt_check),
        name=result.name,
        gguf_path=Path(result.gguf_path),
        modelfile_path=Path(result.modelfile_path),
        gguf_bytes=result.size_bytes,
        registered=result.registered,
        register_note=result.register_note or "",
        smoke_ok=None if smoke is None or not smoke.ran else smoke.ok,
        smoke_reply=smoke.reply if smoke else "",
        smoke_problems=tuple(smoke.problems) if smoke else (),
        warnings=tuple(result.warnings),
        template_source=in_use.get("source"),
        template_proven=bool(in_use.get("proven")),
        template_summary=str(in_use.get("summary") or ""),
    )
