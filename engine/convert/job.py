"""``convert_job``: a Hugging Face model folder → one GGUF file, in a single streaming pass.

Steps: read ``config.json`` and pick the architecture module; plan every tensor
from the safetensors headers (names, shapes, transforms, output types); build the
metadata (general.*, the architecture's keys, the tokenizer); check free disk
space; then write header and tensors into ``OUT.gguf.partial``, hashing every byte
on the way, and rename it into place. A failure or a cancel leaves no file behind.
"""

from __future__ import annotations

import errno
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
from gguf import GGUFValueType

from engine.convert.arch import architecture_for
from engine.convert.arch.base import Architecture
from engine.convert.config import ModelConfig, load_config
from engine.convert.encode import OutType, choose_tensor_types, resolve_out_type
from engine.convert.general import general_keys
from engine.convert.plan import TensorPlan, plan_tensors
from engine.convert.stream import write_tensor_data
from engine.errors import InputError, ResourceError, UnsupportedError
from engine.formats.gguf_write import GGUFOutputError, GGUFStreamWriter
from engine.hf import (
    ChatTemplates,
    HFFolder,
    chat_template_folder,
    is_adapter_folder,
    load_hf_folder,
)
from engine.hf.weights import SafetensorsSource, TensorSource
from engine.jobs import JobContext, atomic_file

DISK_MARGIN_BYTES = 64 * 2**20


@dataclass(frozen=True, kw_only=True)
class ConvertSpec:
    """What to convert.

    ``model_dir``: a Hugging Face model folder; with ``adapter_dir`` it is the base
    model. A LoRA adapter folder may also be given as ``model_dir`` itself: its base is
    then ``base_dir`` or found locally from the adapter's ``base_model_name_or_path``.
    ``out_type``: ``f16`` (default), ``bf16``, ``f32`` or a quantized file type such as
    ``q8_0`` / ``Q4_K_M``. ``threads``: worker threads (default: CPU count, at most 8).
    ``model_name``: ``general.name`` (default: the adapter's or the model folder's name).
    """

    model_dir: Path
    output: Path
    out_type: str = "f16"
    adapter_dir: Path | None = None
    base_dir: Path | None = None
    threads: int | None = None
    model_name: str | None = None


@dataclass(frozen=True)
class ConvertResult:
    output: Path
    sha256: str  # of the whole GGUF file, computed while writing
    size_bytes: int
    out_type: str
    n_tensors: int
    seconds: float
    architecture: str  # GGUF architecture (general.architecture)


def convert_job(
    spec: ConvertSpec,
    ctx: JobContext,
    *,
    model_folder: HFFolder | None = None,
    adapter_folder: HFFolder | None = None,
) -> ConvertResult:
    """Convert; ``model_folder``/``adapter_folder`` are the already loaded folders of the
    base model and the adapter (``package_job`` reads them once), else they are read here."""
    started = time.monotonic()
    out_type = resolve_out_type(spec.out_type)
    output = Path(spec.output)
    adapter_dir = _adapter_dir(spec)
    model_dir = model_folder.path if model_folder else _base_dir(spec, adapter_dir, ctx)
    _check_paths(model_dir, output)
    folder = model_folder or load_hf_folder(model_dir)
    if adapter_dir is not None and adapter_folder is None:
        adapter_folder = load_hf_folder(adapter_dir)
    template_folder = chat_template_folder(folder, adapter_folder)
    if template_folder is not folder:
        ctx.log(f"chat template from the adapter: {template_folder.chat_templates.source_path}")
    for warning in folder.warnings:
        ctx.warn(warning)
    cfg = load_config(folder)
    try:
        arch = architecture_for(cfg.architecture)
    except UnsupportedError as exc:
        exc.path = exc.path or str(cfg.path)
        raise
    cfg = arch.with_defaults(cfg)
    _check_tokenizer_files(folder)
    ctx.log(f"{cfg.architecture} → GGUF arch {arch.name}, {out_type.name}")

    source = _open_source(model_dir, adapter_dir)
    try:
        for warning in getattr(source, "warnings", ()):
            ctx.warn(str(warning))
        plan = plan_tensors(arch, cfg, source)
        for warning in plan.warnings:
            ctx.warn(warning)
        types = _tensor_types(plan, out_type, arch, cfg)
        writer = GGUFStreamWriter(background_io=True)
        for warning in _add_metadata(
            writer, spec, cfg, arch, plan, out_type, folder, template_folder.chat_templates
        ):
            ctx.warn(warning)
        for tensor, ggml_type in zip(plan.tensors, types, strict=True):
            writer.add_tensor_info(tensor.name, tensor.shape, ggml_type)
        size = writer.file_size()
        _check_disk_space(output, size)
        ctx.log(f"{len(plan.tensors)} tensors, {_size_text(size)} → {output}")
        ctx.check_cancelled()
        with atomic_file(output) as tmp, open(tmp, "wb") as fh:
            try:
                writer.write_header(fh)
                write_tensor_data(writer, source, plan.tensors, types, ctx, threads=spec.threads)
                written = writer.finish()
            except GGUFOutputError as exc:
                raise _write_error(exc, output) from exc
            finally:
                writer.close()
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return ConvertResult(
        output=output,
        sha256=written.sha256,
        size_bytes=written.size_bytes,
        out_type=out_type.name,
        n_tensors=len(plan.tensors),
        seconds=round(time.monotonic() - started, 3),
        architecture=arch.name,
    )


# -- steps ---------------------------------------------------------------------------
def _check_paths(model_dir: Path, output: Path) -> None:
    if model_dir.is_file():
        if model_dir.suffix.lower() == ".gguf":
            raise InputError(
                "this is a GGUF file, already converted; convert takes a model folder",
                path=model_dir,
                hint=f'To change its type: `tuneforge quantize "{model_dir}" --type Q4_K_M`; '
                f'to put it into Ollama: `tuneforge package "{model_dir}" --name NAME`.',
            )
        raise InputError(
            "this is a file; convert takes a model folder",
            path=model_dir,
            hint="Choose the folder that holds config.json and the *.safetensors files.",
        )
    if not model_dir.is_dir():
        raise InputError(
            "the model folder does not exist",
            path=model_dir,
            hint="Check the path; choose the folder that holds config.json.",
        )
    if output.is_dir():
        raise InputError(
            "the output path is a folder", path=output, hint="Give a file name such as model.gguf."
        )
    if output.suffix.lower() != ".gguf":
        raise InputError(
            "the output file name must end in .gguf",
            path=output,
            field="output",
            hint=f"Use e.g. {output.with_suffix('.gguf').name}.",
        )


def _check_tokenizer_files(folder: HFFolder) -> None:
    if not folder.has_tokenizer:
        raise InputError(
            "the model folder has no tokenizer (tokenizer.json or tokenizer.model)",
            path=folder.path,
            hint="Copy the tokenizer files (tokenizer.json, tokenizer_config.json, "
            "tokenizer.model if any) from the original model into this folder.",
        )


def _adapter_dir(spec: ConvertSpec) -> Path | None:
    """The LoRA adapter to merge: ``adapter_dir``, or ``model_dir`` itself when it is an
    adapter folder (:func:`engine.hf.is_adapter_folder`)."""
    if spec.adapter_dir is not None:
        return Path(spec.adapter_dir)
    model_dir = Path(spec.model_dir)
    return model_dir if is_adapter_folder(model_dir) else None


def _base_dir(spec: ConvertSpec, adapter_dir: Path | None, ctx: JobContext) -> Path:
    """The model whose config, tokenizer and weights are converted (the adapter's base)."""
    if adapter_dir is None:
        return Path(spec.model_dir)
    if spec.base_dir is not None:
        return Path(spec.base_dir)
    if Path(spec.model_dir) != adapter_dir:
        return Path(spec.model_dir)
    from engine.lora import read_adapter, resolve_base

    return Path(
        resolve_base(read_adapter(adapter_dir), explicit_base=None, allow_download=False, ctx=ctx)
    )


def _open_source(model_dir: Path, adapter_dir: Path | None) -> TensorSource:
    base = SafetensorsSource(model_dir)
    if adapter_dir is None:
        return base
    try:
        from engine.lora import open_merged_source

        merged = open_merged_source(base_dir=model_dir, adapter_dir=adapter_dir, base_source=base)
    except BaseException:
        base.close()
        raise
    return _ClosingSource(merged, base)


class _ClosingSource:
    """A merged source that also closes the base it wraps."""

    def __init__(self, merged: Any, base: SafetensorsSource) -> None:
        self._merged = merged
        self._base = base
        self.warnings = tuple(getattr(merged, "warnings", ()))
        self.untied_output = getattr(merged, "untied_output", None)

    def names(self) -> list[str]:
        return list(self._merged.names())

    def file_of(self, name: str) -> Path | None:
        return self._base.file_of(name)

    def info(self, name: str) -> Any:
        return self._merged.info(name)

    def read(self, name: str) -> Any:
        return self._merged.read(name)

    def read_rows(self, name: str, start: int, stop: int) -> Any:
        """Untouched base tensors stream from the files; merged rows are computed for just
        this block, in the converter's worker threads (so the merge of one block overlaps
        the quantization of others)."""
        return self._merged.read_rows(name, start, stop)

    def read_values(self, name: str, start: int, stop: int) -> Any:
        """The same rows as float32 (see ``MergedSource.read_values``)."""
        return self._merged.read_values(name, start, stop)

    def reads_whole(self, name: str) -> bool:
        return bool(self._merged.reads_whole(name))

    def close(self) -> None:
        try:
            close = getattr(self._merged, "close", None)
            if close is not None:
                close()
        finally:
            self._base.close()


def _tensor_types(
    plan: TensorPlan, out_type: OutType, arch: Architecture, cfg: ModelConfig
) -> list[gguf.GGMLQuantizationType]:
    n_head, n_head_kv = arch.head_counts(cfg)
    return choose_tensor_types(
        [(t.name, t.shape, t.n_dims) for t in plan.tensors],
        out_type,
        arch=arch.name,
        n_layer=arch.block_count(cfg),
        n_head=n_head,
        n_head_kv=n_head_kv,
    )


def _add_metadata(
    writer: GGUFStreamWriter,
    spec: ConvertSpec,
    cfg: ModelConfig,
    arch: Architecture,
    plan: TensorPlan,
    out_type: OutType,
    folder: HFFolder,
    chat_templates: ChatTemplates,
) -> tuple[str, ...]:
    """Write every metadata key; returns the tokenizer export's warnings."""
    adapter_dir = _adapter_dir(spec)
    name = spec.model_name or (adapter_dir.name if adapter_dir else folder.path.name)
    embedding = next(t for t in plan.tensors if t.name == "token_embd.weight")
    vocab = _export_vocab(
        folder, arch=arch.name, vocab_size=embedding.shape[0], chat_templates=chat_templates
    )
    name = arch.general_name(name, rstrip_specials=vocab.required_name_tag is not None)
    n_params = sum(t.n_elements for t in plan.tensors)
    for key, value, value_type in general_keys(
        arch=arch.name, name=name, n_params=n_params, generation_config=folder.generation_config
    ):
        writer.add_key(key, value, value_type)
    for key, value, value_type in arch.metadata(cfg):
        writer.add_key(key, value, value_type)
    writer.add_key(gguf.Keys.General.FILE_TYPE, out_type.ftype, GGUFValueType.UINT32)
    writer.add_key(
        gguf.Keys.General.QUANTIZATION_VERSION, gguf.GGML_QUANT_VERSION, GGUFValueType.UINT32
    )
    vocab.write_to(writer)
    return tuple(vocab.warnings)


def _export_vocab(
    folder: HFFolder, *, arch: str, vocab_size: int, chat_templates: ChatTemplates
) -> Any:
    try:
        from engine.convert.vocab import export_vocab
    except ImportError:  # pragma: no cover - ships with the converter
        raise UnsupportedError("the tokenizer exporter is not available in this build") from None
    return export_vocab(folder, arch=arch, vocab_size=vocab_size, chat_templates=chat_templates)


def _check_disk_space(output: Path, size: int) -> None:
    folder = output.parent if output.parent.exists() else _existing_parent(output)
    free = shutil.disk_usage(folder).free
    if free < size + DISK_MARGIN_BYTES:
        raise ResourceError(
            f"not enough free disk space: the GGUF needs {_size_text(size)}, "
            f"{_size_text(free)} are free",
            path=folder,
            hint="Free some space or choose another output folder (or a smaller type such as q8_0).",
            needed_bytes=size,
            free_bytes=free,
        )


def _write_error(exc: OSError, output: Path) -> Exception:
    if exc.errno == errno.ENOSPC:
        return ResourceError(
            "the disk became full while writing the GGUF",
            path=output.parent,
            hint="Free some space or choose another output folder, then convert again.",
        )
    return ResourceError(
        f"cannot write the GGUF: {exc.strerror or exc}",
        path=output,
        hint="Check that the folder is writable and the drive is connected.",
    )


def _size_text(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def _existing_parent(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path.cwd()
