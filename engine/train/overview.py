"""What a front end shows around a training run, torch-free: a preview of the first rows as
the base model's template renders them, the data check as a child-process job, the run
history, a memory-fit estimate and the local GPU (through ``nvidia-smi``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.jobs import JobContext
from engine.train.rundir import RUN_FILE, read_events

CHECK_JOB = "engine.train.overview:check_job"


@dataclass(frozen=True, kw_only=True)
class PreviewRow:
    where: str  # FILE:LINE
    segments: tuple[tuple[str, bool], ...]  # (text, trained)


def preview_rows(*, data: str | Path, dataset: str | None, base: str | Path,
                 limit: int = 3) -> list[PreviewRow]:  # fmt: skip
    """The first ``limit`` examples rendered with ``base``'s chat template (no tokenizer)."""
    from engine.train.dataset import load_dataset
    from engine.train.template import read_base_template
    from engine.train.tokenize import Renderer

    loaded = load_dataset(data, dataset=dataset, skip_invalid=True)
    renderer = Renderer(read_base_template(base))
    out: list[PreviewRow] = []
    for conv in loaded.conversations:
        try:
            rendered = renderer.examples(conv)
        except Exception:
            continue
        for item in rendered:
            out.append(PreviewRow(where=item.where, segments=tuple(
                (s.text, s.trained) for s in item.segments if s.text)))  # fmt: skip
            if len(out) >= limit:
                return out
    return out


@dataclass(frozen=True, kw_only=True)
class CheckRequest:
    data: Path
    dataset: str | None
    base: Path
    cutoff: int


def check_job(spec: CheckRequest, ctx: JobContext) -> dict[str, Any]:
    """``data check`` as a job (run in a child: the tokenizer comes from transformers)."""
    from engine.train.check import check_dataset

    ctx.progress("check", 0, 1)
    report = check_dataset(data=spec.data, dataset=spec.dataset, base=spec.base,
                           cutoff=spec.cutoff).to_dict()  # fmt: skip
    ctx.progress("check", 1, 1)
    return report


# -- run history -------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RunSummary:
    path: Path
    status: str  # running-or-crashed | stopped | failed | finished
    base: str
    dataset: str
    final_loss: float | None
    steps: int
    total_steps: int
    started: float
    adapter: Path | None


def summarize_run(run_dir: Path) -> RunSummary:
    run_dir = Path(run_dir)
    record = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    events = read_events(run_dir)
    spec = record.get("spec", {})
    status, adapter = "incomplete", None
    for event in events:
        if event["event"] in ("stopped", "failed", "finished"):
            status = event["event"]
            if status == "finished":
                adapter = Path(event.get("adapter", run_dir / "adapter"))
        elif event["event"] in ("started", "resumed"):
            status = "incomplete"
    steps = [e for e in events if e["event"] == "step"]
    data = str(spec.get("data", ""))
    if spec.get("dataset"):
        data = f"{data} [{spec['dataset']}]"
    return RunSummary(
        path=run_dir, status=status, base=str(spec.get("base", "")), dataset=data,
        final_loss=float(steps[-1]["loss"]) if steps else None,
        steps=int(steps[-1]["step"]) if steps else 0,
        total_steps=int(record.get("total_steps", 0)),
        started=float(events[0]["time"]) if events else (run_dir / RUN_FILE).stat().st_mtime,
        adapter=adapter,
    )  # fmt: skip


def list_runs(roots: list[Path]) -> list[RunSummary]:
    """Run folders directly inside ``roots`` (newest first); unreadable ones are left out."""
    found: list[RunSummary] = []
    seen: set[Path] = set()
    for root in roots:
        if not Path(root).is_dir():
            continue
        for child in Path(root).iterdir():
            if child.resolve() in seen or not (child / RUN_FILE).is_file():
                continue
            seen.add(child.resolve())
            try:
                found.append(summarize_run(child))
            except (OSError, ValueError, KeyError):
                continue
    return sorted(found, key=lambda r: r.started, reverse=True)


def delete_run(run_dir: Path) -> None:
    """Remove a run folder (only a folder that is one: it must hold run.json)."""
    if not (Path(run_dir) / RUN_FILE).is_file():
        raise ValueError(f"{run_dir} is not a run folder")
    shutil.rmtree(run_dir)


# -- memory fit ------------------------------------------------------------------------------
def count_params(base: Path) -> int:
    """Parameters of a decoder model from its config.json (embeddings + layers)."""
    cfg = json.loads((Path(base) / "config.json").read_text(encoding="utf-8"))
    cfg = cfg.get("text_config", cfg)
    h, n = int(cfg["hidden_size"]), int(cfg["num_hidden_layers"])
    inter = int(cfg.get("intermediate_size", 4 * h))
    vocab = int(cfg.get("vocab_size", 32000))
    heads = int(cfg.get("num_attention_heads", 1))
    kv = int(cfg.get("num_key_value_heads", heads))
    head_dim = int(cfg.get("head_dim") or h // max(1, heads))
    attn = h * heads * head_dim * 2 + h * kv * head_dim * 2
    per_layer = attn + 3 * h * inter
    tied = bool(cfg.get("tie_word_embeddings", False))
    return n * per_layer + vocab * h * (1 if tied else 2)


@dataclass(frozen=True, kw_only=True)
class MemoryEstimate:
    weights_gb: float
    activations_gb: float
    total_gb: float


def estimate_memory(*, params: int, hidden: int, layers: int, vocab: int, cutoff: int,
                    batch_size: int, qlora: bool, gradient_checkpointing: bool = True,
                    lora_rank: int = 8) -> MemoryEstimate:  # fmt: skip
    """A rough GPU memory need (GB) for a LoRA/QLoRA run: weights (2 bytes, or ~0.55 in 4-bit),
    LoRA weights with Adam states, activations (per layer checkpointed or not) and the logits."""
    weights = params * (0.55 if qlora else 2.0)
    lora = 2 * layers * 7 * lora_rank * hidden * 16  # fp32 weights, grads and two Adam moments
    tokens = cutoff * batch_size
    per_layer = tokens * hidden * 2 * (1 if gradient_checkpointing else 18)
    activations = layers * per_layer + tokens * hidden * 2 * 18 + tokens * vocab * 4 * 2
    overhead = 0.8e9
    gb = 1e9
    total = (weights + lora + activations + overhead) / gb
    return MemoryEstimate(weights_gb=round(weights / gb, 2),
                          activations_gb=round(activations / gb, 2), total_gb=round(total, 2))  # fmt: skip


def estimate_for_base(base: Path, *, cutoff: int, batch_size: int, qlora: bool,
                      lora_rank: int = 8) -> MemoryEstimate:  # fmt: skip
    cfg = json.loads((Path(base) / "config.json").read_text(encoding="utf-8"))
    cfg = cfg.get("text_config", cfg)
    return estimate_memory(params=count_params(base), hidden=int(cfg["hidden_size"]),
                           layers=int(cfg["num_hidden_layers"]), vocab=int(cfg.get("vocab_size", 32000)),
                           cutoff=cutoff, batch_size=batch_size, qlora=qlora, lora_rank=lora_rank)  # fmt: skip


# -- this computer ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class GpuInfo:
    name: str
    memory_gb: float


def local_gpus(timeout: float = 5.0) -> list[GpuInfo]:
    """CUDA GPUs as ``nvidia-smi`` lists them; none when it is missing or fails."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run([exe, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=timeout, check=True).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.splitlines():
        name, _, mib = line.rpartition(",")
        try:
            gpus.append(GpuInfo(name=name.strip(), memory_gb=round(float(mib) / 1024, 1)))
        except ValueError:
            continue
    return gpus
