"""``tuneforge quantize``: an existing F32/F16/BF16 GGUF → a quantized GGUF.

llama.cpp's own ``llama_model_quantize`` does the work in a child process (it has
no progress or abort hook): its per-tensor log lines become progress events, and
cancelling kills the child. The output appears atomically; a cancelled or failed
run leaves nothing behind.

Windows note: llama.cpp opens the output with a narrow-character ``std::ofstream``,
which cannot name non-ASCII paths (``C:\\Users\\张三\\…``). The child therefore
changes into the output folder and writes an ASCII-named temporary file there,
which the parent renames.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.jobs import JobContext, atomic_file
from engine.jobs.runners import child_job
from engine.quant.errors import QuantizeInputError
from engine.quant.estimate import (
    QuantChoice,
    check_free_disk,
    estimate_output_bytes,
    format_size,
    quant_choices,
    tensor_info_bytes,
)
from engine.quant.plan import PlannedTensor
from engine.quant.types import UNQUANTIZED_TYPES, parse_file_type

STAGE = "quantize"
_TENSOR_LINE = re.compile(r"\[\s*(\d+)\s*/\s*(\d+)\]\s+(\S+)")


@dataclass(frozen=True, kw_only=True)
class QuantizeSpec:
    input_path: Path
    output_path: Path
    file_type: str  # a FILE_TYPES name or alias, e.g. "Q4_K_M"
    threads: int | None = None  # None: all CPUs


@dataclass(frozen=True, kw_only=True)
class QuantizeResult:
    output_path: Path
    file_type: str
    output_bytes: int
    input_bytes: int
    seconds: float


@dataclass(frozen=True, kw_only=True)
class LlamaQuantizeSpec:
    """What the child runs: plain llama_model_quantize, output named relative to ``work_dir``."""

    input_path: Path
    work_dir: Path
    output_name: str  # ASCII file name inside work_dir
    ftype: int
    threads: int


@dataclass(frozen=True, kw_only=True)
class _InputModel:
    arch: str
    n_layer: int
    n_head: int | None
    n_head_kv: int | None
    n_expert: int
    tensors: tuple[PlannedTensor, ...]
    metadata_bytes: int

    def plan_facts(self) -> dict[str, Any]:
        """What the size estimate takes besides the tensors."""
        return {
            "arch": self.arch,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_head_kv": self.n_head_kv,
            "n_expert": self.n_expert,
            "metadata_bytes": self.metadata_bytes,
        }


def quantize_gguf(spec: QuantizeSpec, ctx: JobContext) -> QuantizeResult:
    """The job: validate, estimate + check disk, run llama_model_quantize in a child."""
    file_type = parse_file_type(spec.file_type)
    source = Path(spec.input_path)
    final = Path(spec.output_path)
    if source.resolve() == final.resolve():
        raise QuantizeInputError(
            "the output would overwrite the input",
            path=final,
            hint="Choose another output file name, e.g. model-Q4_K_M.gguf.",
        )
    model = read_input_model(source)
    expected = estimate_output_bytes(model.tensors, file_type, **model.plan_facts())
    ctx.log(f"{source.name} → {file_type.name}: expected size {format_size(expected)}")
    check_free_disk(final, expected)
    ctx.check_cancelled()

    started = time.monotonic()
    with atomic_file(final) as partial:
        scratch = final.parent / f".tuneforge-{secrets.token_hex(6)}.partial"
        try:
            _run_child(
                LlamaQuantizeSpec(
                    input_path=source.resolve(),
                    work_dir=final.parent.resolve(),
                    output_name=scratch.name,
                    ftype=file_type.ftype,
                    threads=spec.threads or max(1, os.cpu_count() or 1),
                ),
                ctx,
            )
            os.replace(scratch, partial)
        finally:
            scratch.unlink(missing_ok=True)
    return QuantizeResult(
        output_path=final,
        file_type=file_type.name,
        output_bytes=final.stat().st_size,
        input_bytes=source.stat().st_size,
        seconds=round(time.monotonic() - started, 3),
    )


def _run_child(child_spec: LlamaQuantizeSpec, ctx: JobContext) -> None:
    child_job("engine.quant.requantize:run_llama_quantize", grace_seconds=1.0)(child_spec, ctx)


def read_input_model(path: Path) -> _InputModel:
    """Header facts of an unquantized GGUF (refuses quantized or broken files)."""
    if not path.is_file():
        raise QuantizeInputError("file not found", path=path, hint="Check the path.")
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise QuantizeInputError(
                "not a GGUF file",
                path=path,
                hint="`tuneforge quantize` takes a .gguf; for a Hugging Face model folder use "
                "`tuneforge convert MODEL_DIR --type TYPE`.",
            )
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
    except Exception as exc:  # the reader raises ValueError/IndexError/struct errors
        raise QuantizeInputError(
            f"the GGUF file is truncated or corrupt ({type(exc).__name__}: {exc})",
            path=path,
            hint="Create or download the file again.",
        ) from exc

    def value(key: str) -> Any:
        field = reader.get_field(key)
        return None if field is None else field.contents()

    arch = value("general.architecture")
    n_layer = value(f"{arch}.block_count") if arch else None
    if not arch or not isinstance(n_layer, int):
        raise QuantizeInputError(
            "the GGUF has no general.architecture / block_count: not a language model",
            path=path,
        )
    tensors = []
    for tensor in reader.tensors:
        if tensor.tensor_type not in UNQUANTIZED_TYPES:
            raise QuantizeInputError(
                f"the GGUF is already quantized ({tensor.name} is {tensor.tensor_type.name})",
                path=path,
                hint="Quantize from an F16/BF16/F32 GGUF or from the original model folder "
                "(`tuneforge convert MODEL_DIR --type TYPE`); re-quantizing loses quality.",
            )
        shape = tuple(int(d) for d in reversed(tensor.shape.tolist()))  # → numpy order
        tensors.append(
            PlannedTensor(name=tensor.name, shape=shape, unquantized_type=tensor.tensor_type)
        )
    head = value(f"{arch}.attention.head_count")
    head_kv = value(f"{arch}.attention.head_count_kv")
    return _InputModel(
        arch=str(arch),
        n_layer=n_layer,
        n_head=_first_int(head),
        n_head_kv=_first_int(head_kv if head_kv is not None else head),
        n_expert=_first_int(value(f"{arch}.expert_count")) or 0,
        tensors=tuple(tensors),
        metadata_bytes=int(reader.data_offset) - tensor_info_bytes(tensors),
    )


def quant_choices_for_gguf(path: Path) -> list[QuantChoice]:
    """What re-quantizing an unquantized (F32/F16/BF16) GGUF offers, with exact sizes;
    a :class:`QuantizeInputError` for a quantized or broken file."""
    model = read_input_model(Path(path))
    return quant_choices(model.tensors, **model.plan_facts())


def _first_int(value: Any) -> int | None:
    """Head counts may be per-layer arrays; llama.cpp's n_gqa() looks at layer 0."""
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if isinstance(value, int) else None


# --- child side -----------------------------------------------------------------------


def run_llama_quantize(spec: LlamaQuantizeSpec, ctx: JobContext) -> str:
    """Runs in the child process: llama_model_quantize with log lines → progress."""
    import ctypes

    import llama_cpp.llama_cpp as lc

    errors: list[str] = []
    n_tensors = [1]

    @ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    def on_log(level: int, text: bytes | None, _user: Any) -> None:
        line = (text or b"").decode("utf-8", "replace")
        if ctx.cancelled:
            os._exit(2)  # a tensor boundary: stop now, the parent removes the partial file
        match = _TENSOR_LINE.match(line)
        if match:
            n_tensors[0] = int(match.group(2))
            ctx.progress(STAGE, int(match.group(1)) - 1, n_tensors[0], unit="tensors")
        elif "failed to quantize" in line or "error" in line.lower():
            errors.append(line.strip())

    lc.llama_log_set(on_log, None)
    lc.llama_backend_init()
    params = lc.llama_model_quantize_default_params()
    params.ftype = spec.ftype
    params.nthread = spec.threads
    os.chdir(spec.work_dir)  # so the output name stays ASCII (see module docstring)
    ctx.progress(STAGE, 0, 1, unit="tensors")
    status = lc.llama_model_quantize(
        str(spec.input_path).encode("utf-8"), spec.output_name.encode("utf-8"), ctypes.byref(params)
    )
    if status != 0:
        detail = errors[-1] if errors else f"status {status}"
        raise QuantizeInputError(
            f"llama.cpp could not quantize this model: {detail}",
            path=spec.input_path,
            hint="Make sure the GGUF is a complete F16/BF16/F32 model that llama.cpp supports.",
        )
    ctx.progress(STAGE, n_tensors[0], n_tensors[0], unit="tensors")
    return spec.output_name
