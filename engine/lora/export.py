"""The ``tuneforge merge`` job: adapter + base → a merged Hugging Face model folder.

Streams tensor by tensor (base mmap → numpy merge → safetensors shard), so memory stays
around one tensor; writes into ``OUT.partial/`` and renames it on success, so a failed
or cancelled merge leaves nothing behind. The folder gets sharded safetensors (+ index
when there is more than one shard), config.json, generation_config.json and the
tokenizer files — the adapter's own tokenizer files win when it has them, because they
are what the model was trained with (chat template included).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError, ResourceError
from engine.formats.safetensors import TensorInfo
from engine.formats.safetensors_write import SafetensorsWriter, TensorEntry
from engine.hf import optional_json_object
from engine.hf.weights import SafetensorsSource
from engine.jobs import JobContext, atomic_dir
from engine.lora.merge import MergedSource, open_merged_source, read_config
from engine.lora.resolve import resolve_base

BLOCK_BYTES = 32 * 2**20
DEFAULT_MAX_SHARD_BYTES = 5_000_000_000  # transformers' save_pretrained default ("5GB")
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
    "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja", "chat_template.json",
)  # fmt: skip
BASE_EXTRA_FILES = ("generation_config.json",)
BASE_EXTRA_GLOBS = ("*.py", "*.tiktoken", "LICENSE*", "NOTICE*", "USE_POLICY*")


@dataclass(frozen=True, kw_only=True)
class MergeSpec:
    adapter_dir: Path
    output_dir: Path
    base: Path | str | None = None  # folder or repo id; None: the adapter's recorded base
    allow_download: bool = False
    overwrite: bool = False
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES


@dataclass(frozen=True, kw_only=True)
class MergeResult:
    output_dir: Path
    base_dir: Path
    tensors: int
    lora_merged: int
    replaced: int
    shards: int
    bytes_written: int
    untied_output: bool
    tokenizer_from: str  # "adapter" | "base" | "none"
    seconds: float


def merge_job(spec: MergeSpec, ctx: JobContext) -> MergeResult:
    started = time.monotonic()
    adapter_dir = Path(spec.adapter_dir)
    output = Path(spec.output_dir)
    from engine.lora.adapter import read_adapter

    adapter = read_adapter(adapter_dir)
    adapter.require_mergeable()
    base_dir = resolve_base(
        adapter, explicit_base=spec.base, allow_download=spec.allow_download, ctx=ctx
    )
    _check_output(output, base_dir=base_dir, adapter_dir=adapter_dir, overwrite=spec.overwrite)
    with (
        SafetensorsSource(base_dir) as base,
        open_merged_source(base_dir=base_dir, adapter_dir=adapter_dir, base_source=base) as merged,
    ):
        for warning in merged.warnings:
            ctx.warn(warning)
        shards = plan_shards([merged.info(n) for n in merged.names()], spec.max_shard_bytes)
        total = sum(info.n_bytes for shard in shards for info in shard)
        _check_disk(output, total)
        ctx.log(
            f"merging {merged.plan.lora_merged} LoRA tensors"
            + (f" and {merged.plan.replaced} full copies" if merged.plan.replaced else "")
            + f" into {base_dir.name} → {output}"
        )
        with atomic_dir(output) as tmp:
            written = _write_shards(tmp, shards, merged, total, ctx)
            tokenizer_from = _copy_side_files(tmp, base_dir, adapter_dir, merged, ctx)
    return MergeResult(
        output_dir=output,
        base_dir=base_dir,
        tensors=len(merged.names()),
        lora_merged=merged.plan.lora_merged,
        replaced=merged.plan.replaced,
        shards=len(shards),
        bytes_written=written,
        untied_output=merged.untied_output is not None,
        tokenizer_from=tokenizer_from,
        seconds=round(time.monotonic() - started, 3),
    )


def plan_shards(infos: list[TensorInfo], max_shard_bytes: int) -> list[list[TensorInfo]]:
    """Greedy split in tensor order; a tensor bigger than the limit gets a shard of its own."""
    shards: list[list[TensorInfo]] = [[]]
    size = 0
    for info in infos:
        if shards[-1] and size + info.n_bytes > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append(info)
        size += info.n_bytes
    return shards


def shard_names(count: int) -> list[str]:
    if count == 1:
        return ["model.safetensors"]
    return [f"model-{i:05d}-of-{count:05d}.safetensors" for i in range(1, count + 1)]


def _write_shards(
    folder: Path, shards: list[list[TensorInfo]], merged: MergedSource, total: int, ctx: JobContext
) -> int:
    names = shard_names(len(shards))
    weight_map: dict[str, str] = {}
    done = 0
    ctx.progress("merge", 0, total, unit="B")
    for file_name, shard in zip(names, shards, strict=True):
        entries = [TensorEntry(i.name, i.dtype, tuple(i.shape)) for i in shard]
        with SafetensorsWriter(folder / file_name, entries, metadata={"format": "pt"}) as writer:
            for info in shard:
                ctx.check_cancelled()
                writer.write_parts(info.name, _row_blocks(merged, info))
                weight_map[info.name] = file_name
                done += info.n_bytes
                ctx.progress("merge", done, total, unit="B")
    if len(names) > 1:
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        _write_json(folder / "model.safetensors.index.json", index)
    return done


def _row_blocks(source: MergedSource, info: TensorInfo) -> Iterator[np.ndarray]:
    """A tensor in row blocks of about ``BLOCK_BYTES``, so memory stays small."""
    if len(info.shape) < 2:
        yield source.read_rows(info.name, 0, 1)
        return
    rows = info.shape[0]
    row_bytes = max(1, info.n_bytes // max(1, rows))
    step = max(1, BLOCK_BYTES // row_bytes)
    for start in range(0, rows, step):
        yield source.read_rows(info.name, start, min(rows, start + step))


def _copy_side_files(
    folder: Path, base_dir: Path, adapter_dir: Path, merged: MergedSource, ctx: JobContext
) -> str:
    config = read_config(base_dir)
    if not config:
        raise InputError("the base model has no config.json", path=base_dir)
    if merged.untied_output:
        config["tie_word_embeddings"] = False
        if isinstance(config.get("text_config"), dict):
            config["text_config"]["tie_word_embeddings"] = False
    _write_json(folder / "config.json", config)
    for name in BASE_EXTRA_FILES:
        if (base_dir / name).is_file():
            shutil.copyfile(base_dir / name, folder / name)
    for pattern in BASE_EXTRA_GLOBS:
        for path in base_dir.glob(pattern):
            if path.is_file():
                shutil.copyfile(path, folder / path.name)
    source = "none"
    for name in TOKENIZER_FILES:
        if (base_dir / name).is_file():
            shutil.copyfile(base_dir / name, folder / name)
            source = "base"
    adapter_files = [n for n in TOKENIZER_FILES if (adapter_dir / n).is_file()]
    if any(
        n in adapter_files for n in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
    ):
        for name in adapter_files:
            shutil.copyfile(adapter_dir / name, folder / name)
        if _has_inline_template(adapter_dir) and not any(
            n in adapter_files for n in ("chat_template.jinja", "chat_template.json")
        ):  # a base template file would shadow the adapter's tokenizer_config one
            for name in ("chat_template.jinja", "chat_template.json"):
                (folder / name).unlink(missing_ok=True)
        source = "adapter"
        ctx.log("tokenizer and chat template taken from the adapter folder (what training used)")
    if source == "none":
        ctx.warn("neither the base nor the adapter has tokenizer files; the merged folder has none")
    return source


def _has_inline_template(folder: Path) -> bool:
    try:
        config = optional_json_object(folder / "tokenizer_config.json") or {}
    except InputError:
        return False
    return bool(config.get("chat_template"))


def _check_output(output: Path, *, base_dir: Path, adapter_dir: Path, overwrite: bool) -> None:
    resolved = output.resolve()
    for other, what in ((base_dir, "base model"), (adapter_dir, "adapter")):
        if resolved == Path(other).resolve():
            raise InputError(
                f"the output folder is the {what} folder",
                path=output,
                hint="Choose a new folder for the merged model.",
            )
    if output.exists() and not (output.is_dir() and not any(output.iterdir())) and not overwrite:
        raise InputError(
            "the output folder already exists and is not empty",
            path=output,
            hint="Choose another folder, or pass --overwrite to replace it.",
        )


def _check_disk(output: Path, needed: int) -> None:
    probe = output.parent if output.parent.exists() else Path(output.anchor or ".")
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    if free < needed + 64 * 2**20:
        raise ResourceError(
            f"not enough disk space: the merged model needs {needed / 2**30:.1f} GiB, "
            f"{free / 2**30:.1f} GiB are free",
            path=probe,
            hint="Free some space or choose an output folder on another drive.",
        )


def _write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
