"""``tuneforge inspect``: tell the user what they dropped, without loading weights."""

from __future__ import annotations

from pathlib import Path

from engine.errors import InputError
from engine.formats.gguf_read import GGUF_MAGIC
from engine.formats.safetensors import lfs_pointer_error, looks_like_lfs_pointer
from engine.hf import ADAPTER_CONFIG, HF_MODEL, LORA_ADAPTER, is_adapter_folder
from engine.inspect.adapter import inspect_adapter
from engine.inspect.gguf_file import inspect_gguf
from engine.inspect.hf_model import inspect_hf_model, read_chat_template
from engine.inspect.report import AdapterInfo, GGUFInfo, InspectReport, ModelInfo
from engine.jobs.vocabulary import SourceKind

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
PICKLE_HINT = (
    "PyTorch pickle checkpoints are never opened by Tuneforge (loading a pickle can run "
    "arbitrary code). Re-save the model with safetensors: "
    "model.save_pretrained(dir, safe_serialization=True), or in LLaMA-Factory export with "
    "'save_safetensors' on."
)


def source_kind(path: Path) -> str:
    """A :class:`SourceKind` (``hf_model`` | ``lora_adapter`` | ``gguf``), or
    ``"gguf_in_folder"`` for a folder holding exactly one ``.gguf`` — or an InputError
    saying what to drop."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            "no such file or folder",
            path=path,
            hint="Check the path: a model folder (with config.json), a LoRA adapter folder "
            "or a .gguf file. Put quotes around a path with spaces.",
        )
    if path.is_file():
        if looks_like_lfs_pointer(path):
            raise lfs_pointer_error(path)
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic == GGUF_MAGIC or path.suffix.lower() == ".gguf":
            return SourceKind.GGUF
        if path.suffix.lower() in PICKLE_SUFFIXES:
            raise InputError("this is a PyTorch pickle checkpoint", path=path, hint=PICKLE_HINT)
        if path.suffix.lower() == ".safetensors" or path.name == "config.json":
            raise InputError(
                "this is one file of a model",
                path=path,
                hint=f"Drop the whole folder instead: {path.parent}",
            )
        raise InputError(
            "not a model file",
            path=path,
            hint="Drop a .gguf file, a Hugging Face model folder or a LoRA adapter folder.",
        )
    if is_adapter_folder(path):
        return LORA_ADAPTER
    if (path / "config.json").is_file() or any(path.glob("*.safetensors")):
        return HF_MODEL
    pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise InputError(
            f"this folder only has pickle weights ({', '.join(pickles[:3])})",
            path=path,
            hint=PICKLE_HINT,
        )
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        return "gguf_in_folder"
    nested = sorted(p.parent.name for p in path.glob("*/config.json"))
    nested += sorted(p.parent.name for p in path.glob(f"*/{ADAPTER_CONFIG}"))
    hint = (
        "It contains model folders: " + ", ".join(nested[:5]) + " — drop one of those."
        if nested
        else "Drop the folder that holds config.json and the *.safetensors files, a LoRA "
        "adapter folder (adapter_config.json) or a .gguf file."
    )
    if ggufs:
        hint = (
            "It holds several .gguf files: " + ", ".join(g.name for g in ggufs[:5]) + "; drop one."
        )
    raise InputError("not a model folder", path=path, hint=hint)


def inspect_path(path: Path) -> InspectReport:
    """Inspect a model folder, LoRA adapter folder or GGUF file."""
    path = Path(path)
    kind = source_kind(path)
    if kind == "gguf_in_folder":
        path = next(path.glob("*.gguf"))
        kind = SourceKind.GGUF
    if kind == SourceKind.GGUF:
        gguf_info, warnings = inspect_gguf(path)
        return InspectReport(kind=kind, path=str(path), gguf=gguf_info, warnings=tuple(warnings))
    if kind == SourceKind.LORA_ADAPTER:
        adapter, warnings = inspect_adapter(path)
        return InspectReport(kind=kind, path=str(path), adapter=adapter, warnings=tuple(warnings))
    model, warnings = inspect_hf_model(path)
    return InspectReport(kind=kind, path=str(path), model=model, warnings=tuple(warnings))


__all__ = [
    "AdapterInfo",
    "GGUFInfo",
    "InspectReport",
    "ModelInfo",
    "inspect_path",
    "read_chat_template",
    "source_kind",
]
