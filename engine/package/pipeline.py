"""``package_job``: source → (merge) → GGUF → Modelfile (+ parity) → Ollama → smoke chat.

Every stage reports progress under one of :data:`STAGES`. A cancel anywhere removes
what this run wrote and never leaves a half-registered model (the create request is
only sent after a complete upload). With no Ollama reachable the files are still
produced and the result says how to register them by hand.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import InputError, JobCancelled, TuneforgeError
from engine.jobs import JobContext, atomic_file
from engine.jobs.vocabulary import SourceKind, Stage
from engine.package.prompt_check import probe_prompt
from engine.package.smoke import run_smoke_chat
from engine.package.spec import DEFAULT_QUANT, PackageResult, PackageSpec, safe_file_stem

COPY_CHUNK = 8 * 2**20
# The register job's own stage names that show as the pipeline's upload stage (the rest of
# its progress, Ollama's statuses, shows as "create").
_REGISTER_UPLOAD_STAGES = {"uploading": Stage.UPLOAD, "checksum": Stage.UPLOAD}


def package_job(spec: PackageSpec, ctx: JobContext) -> PackageResult:
    from engine.inspect import source_kind
    from engine.ollama import validate_model_name

    name = validate_model_name(spec.name)  # before any work
    _check_modelfile_inputs(spec)
    found = source_kind(Path(spec.source))
    if found == "gguf_in_folder":
        kind, source = SourceKind.GGUF, next(Path(spec.source).glob("*.gguf"))
    else:
        kind, source = SourceKind(found), Path(spec.source)
    out_dir = Path(spec.out_dir) if spec.out_dir else Path.cwd() / safe_file_stem(name)
    stem = safe_file_stem(name)
    gguf_path = out_dir / f"{stem}.gguf"
    modelfile_path = out_dir / "Modelfile"
    if gguf_path.resolve() == source.resolve():
        raise InputError(
            "the output would overwrite the source file",
            path=source,
            hint="Choose another output folder or model name.",
        )
    created_dir = not out_dir.exists()
    timings: dict[str, float] = {}
    warnings: list[str] = []
    written: list[Path] = []
    try:
        t0 = time.monotonic()
        model_dir, adapter_dir = _plan_sources(spec, kind, source, ctx)
        folders = _load_folders(model_dir, adapter_dir)  # each HF folder is read once
        timings[Stage.MERGE] = time.monotonic() - t0

        t0 = time.monotonic()
        written.append(gguf_path)
        sha256, size, file_type = _make_gguf(spec, kind, source, folders, gguf_path, ctx)
        timings[Stage.CONVERT] = time.monotonic() - t0

        t0 = time.monotonic()
        ctx.progress(Stage.MODELFILE, 0, 1)
        modelfile = _build_modelfile(spec, kind, folders, gguf_path)
        derived = modelfile.derivation
        warnings.extend(getattr(derived, "warnings", ()) or ())
        written.append(modelfile_path)
        with atomic_file(modelfile_path) as tmp:
            tmp.write_bytes(modelfile.render().encode("utf-8"))
        ctx.progress(Stage.MODELFILE, 1, 1)
        parity = derived.parity.to_dict() if derived is not None and derived.parity else None
        if parity:
            ctx.log(f"template {derived.family}: parity {parity.get('status')}")
        timings[Stage.MODELFILE] = time.monotonic() - t0
        ctx.check_cancelled()

        registered, note, registered_name, in_use = _register(
            spec, name, gguf_path, sha256, modelfile, ctx, timings
        )
        written.clear()  # complete and registered (or deliberately not): keep everything
        model = registered_name if registered else None
        prompt_check = (
            probe_prompt(model=model, host=spec.host, gguf_path=gguf_path,
                         system=modelfile.system, ctx=ctx)
            if spec.smoke and model else None
        )  # fmt: skip
        smoke = (
            run_smoke_chat(model=model, host=spec.host, gguf_path=gguf_path,
                           stops=tuple(getattr(derived, "stops", ()) or ()), ctx=ctx, timings=timings)
            if spec.smoke else None
        )  # fmt: skip
    except JobCancelled:
        _remove(written, out_dir if created_dir else None)
        raise
    except TuneforgeError as exc:
        if written and gguf_path.exists() and modelfile_path.exists():
            exc.hint = (exc.hint + "\n  → " if exc.hint else "") + (
                f"The GGUF and Modelfile are complete in {out_dir}; register them later "
                f'with: ollama create {name} -f "{modelfile_path}"'
            )
        else:
            _remove(written, out_dir if created_dir else None)
        raise
    return PackageResult(
        name=registered_name if registered else name,
        out_dir=out_dir,
        gguf_path=gguf_path,
        modelfile_path=modelfile_path,
        sha256=sha256,
        size_bytes=size,
        file_type=file_type,
        template_family=getattr(derived, "family", None),
        parity=parity,
        registered=registered,
        register_note=note,
        template_in_use=in_use.to_dict() if in_use is not None else None,
        prompt_check=prompt_check.to_dict() if prompt_check is not None else None,
        smoke=smoke,
        stage_seconds=timings,
        warnings=tuple(warnings),
    )


# -- stages ----------------------------------------------------------------------------
def _plan_sources(
    spec: PackageSpec, kind: SourceKind, source: Path, ctx: JobContext
) -> tuple[Path | None, Path | None]:
    """(model folder, adapter folder) to convert; the base is resolved for an adapter."""
    if kind == SourceKind.HF_MODEL:
        return source, None
    if kind != SourceKind.LORA_ADAPTER:
        return None, None
    from engine.lora import read_adapter, resolve_base

    ctx.progress(Stage.MERGE, 0, 1)
    adapter = read_adapter(source)
    base = resolve_base(
        adapter,
        explicit_base=spec.base_dir,
        allow_download=spec.allow_download,
        ctx=ctx.stage(Stage.MERGE),  # a base download shows as the merge stage
    )
    ctx.log(f"LoRA adapter on {base}; merging while converting")
    ctx.progress(Stage.MERGE, 1, 1)
    return base, source


def _load_folders(model_dir: Path | None, adapter_dir: Path | None) -> tuple[Any, Any]:
    """(base model folder, adapter folder) as :class:`engine.hf.HFFolder`, or None."""
    from engine.hf import load_hf_folder

    return (
        load_hf_folder(model_dir) if model_dir else None,
        load_hf_folder(adapter_dir) if adapter_dir else None,
    )


def _make_gguf(
    spec: PackageSpec,
    kind: SourceKind,
    source: Path,
    folders: tuple[Any, Any],
    gguf_path: Path,
    ctx: JobContext,
) -> tuple[str, int, str]:
    inner = ctx.stage(Stage.CONVERT)
    if kind == SourceKind.GGUF:
        return _gguf_from_gguf(spec, source, gguf_path, inner)
    from engine.convert import ConvertSpec, convert_job

    model_folder, adapter_folder = folders
    assert model_folder is not None
    model_dir = model_folder.path
    adapter_dir = adapter_folder.path if adapter_folder else None
    result = convert_job(
        ConvertSpec(
            model_dir=model_dir,
            output=gguf_path,
            out_type=spec.quant_type or DEFAULT_QUANT,
            adapter_dir=adapter_dir,
            base_dir=model_dir if adapter_dir else None,
            threads=spec.threads,
            model_name=spec.name.split(":")[0],
        ),
        inner,
        model_folder=model_folder,
        adapter_folder=adapter_folder,
    )
    return result.sha256, result.size_bytes, result.out_type.upper()


def _gguf_from_gguf(
    spec: PackageSpec, source: Path, gguf_path: Path, ctx: JobContext
) -> tuple[str, int, str]:
    from engine.inspect import inspect_path
    from engine.quant import parse_file_type

    current = inspect_path(source).gguf
    current_type = (current.file_type if current else None) or "unknown"
    wanted = parse_file_type(spec.quant_type).name if spec.quant_type else current_type
    if wanted.upper() != current_type.upper():
        from engine.quant.requantize import QuantizeSpec, quantize_gguf

        quantize_gguf(
            QuantizeSpec(
                input_path=source, output_path=gguf_path, file_type=wanted, threads=spec.threads
            ),
            ctx,
        )
        sha = _hash_file(gguf_path, ctx)
        return sha, gguf_path.stat().st_size, wanted.upper()
    sha = _copy_hashing(source, gguf_path, ctx)
    return sha, gguf_path.stat().st_size, current_type


def _build_modelfile(
    spec: PackageSpec, kind: SourceKind, folders: tuple[Any, Any], gguf_path: Path
) -> Any:
    from engine.hf import chat_template_folder
    from engine.modelfile import build_modelfile, parameters_from_pairs

    params = parameters_from_pairs(spec.params)
    from_path = f"./{gguf_path.name}"
    if kind == SourceKind.GGUF:
        return build_modelfile(
            from_path=from_path, gguf_path=gguf_path, system=spec.system, params=params
        )
    # A fine-tune may ship its own chat template next to the adapter: it wins (the GGUF
    # embeds the same one: convert_job uses chat_template_folder too).
    model_folder, adapter_folder = folders
    return build_modelfile(
        from_path=from_path,
        model_dir=chat_template_folder(model_folder, adapter_folder),
        system=spec.system,
        params=params,
    )


def _check_modelfile_inputs(spec: PackageSpec) -> None:
    """Bad parameters or an unwritable SYSTEM text fail now, not after a long conversion."""
    from engine.modelfile import Modelfile, parameters_from_pairs

    Modelfile(
        from_path="./check.gguf",
        system=spec.system or None,
        parameters=parameters_from_pairs(spec.params),
    ).render()


def _register(
    spec: PackageSpec,
    name: str,
    gguf_path: Path,
    sha256: str,
    modelfile: Any,
    ctx: JobContext,
    timings: dict[str, float],
) -> tuple[bool, str | None, str, Any]:
    """Upload + create with one client (GET /api/version is asked once); with no Ollama
    the files stay and the note says how to register them by hand. On Ollama 0.30+ the Go
    template is sent only where Ollama would use it; afterwards ``/api/show`` says which
    template runs (``TemplateInUse``)."""
    by_hand = f'ollama create {name} -f "{gguf_path.parent / "Modelfile"}"'
    if not spec.register:
        note = f"only the files were made, as asked; to add it to Ollama: {by_hand}"
        return False, note, name, None
    from engine.ollama import OllamaClient, RegisterSpec, register_job
    from engine.ollama.template_choice import plan_template
    from engine.package.template_use import embedded_chat_template, read_back_template

    with OllamaClient(spec.host) as client:
        status = client.status()
        if not status.running:
            note = f"{status.message}. The files are ready; once Ollama runs: {by_hand}"
            ctx.warn(note)
            return False, note, name, None
        chat_template = embedded_chat_template(gguf_path)
        plan = plan_template(
            server_version=status.version or "",
            go_template=modelfile.template,
            chat_template=chat_template,
        )
        ctx.log(f"template: {plan.reason}")
        sent = modelfile.template if plan.send_go_template else None
        t0 = time.monotonic()
        result = register_job(
            RegisterSpec(
                gguf_path=gguf_path,
                name=name,
                gguf_sha256=sha256,
                # the Modelfile as written, less the template where Ollama would not use it
                modelfile=replace(modelfile, derivation=None, template=sent),
                host=spec.host,
            ),
            ctx.stage(Stage.CREATE, renames=_REGISTER_UPLOAD_STAGES, log_other_stages=True),
            client=client,
        )
        timings["upload+create"] = time.monotonic() - t0
        in_use = read_back_template(client, result, sent, chat_template, modelfile, ctx)
    return True, None, result.name, in_use


# -- helpers ---------------------------------------------------------------------------
def _copy_hashing(source: Path, target: Path, ctx: JobContext) -> str:
    """Copy ``source`` to ``target`` atomically, hashing it on the way (one read)."""
    with atomic_file(target) as tmp, open(tmp, "wb") as dst:
        return _hash_file(source, ctx, copy_to=dst)


def _hash_file(path: Path, ctx: JobContext, *, copy_to: BinaryIO | None = None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with open(path, "rb") as fh:
        while chunk := fh.read(COPY_CHUNK):
            ctx.check_cancelled()
            digest.update(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
            done += len(chunk)
            ctx.progress(Stage.CONVERT, done, total, unit="B")
    return digest.hexdigest()


def _remove(paths: list[Path], folder: Path | None) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    if folder is not None and folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)


__all__ = ["package_job"]
