"""What a training run is asked to do: one frozen spec, the same from the CLI, GUI or a worker.

Defaults fit a 1.5B model (Qwen2.5 / DeepSeek-R1-Distill-Qwen-1.5B) with LoRA in bf16 on a
24 GB GPU at cutoff 2048: micro-batch 2 × accumulation 8 (16 sequences per step), gradient
checkpointing on, rank 8 / alpha 16 on all linear layers, lr 2e-4 cosine with 3% warmup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.train.errors import TrainSettingsError

SCHEDULERS = ("cosine", "linear", "constant")
COMPUTE = ("auto", "bf16", "fp16", "fp32")
DEVICES = ("auto", "cuda", "cpu")


@dataclass(frozen=True, kw_only=True)
class TrainSpec:
    base: Path
    data: Path
    out: Path
    dataset: str | None = None
    device: str = "auto"
    compute: str = "auto"
    epochs: float = 3.0
    max_steps: int | None = None
    max_samples: int | None = None  # None: every example; N: the first N conversations
    lr: float = 2e-4
    scheduler: str = "cosine"
    warmup_steps: int | None = None  # None: 3% of the steps
    batch_size: int = 2
    grad_accum: int = 8
    cutoff: int = 2048
    lora_rank: int = 8
    lora_alpha: float | None = None  # None: 2 × rank
    lora_dropout: float = 0.0
    lora_targets: str = "all-linear"  # or "q_proj,v_proj,…"
    rslora: bool = False
    qlora: bool = False
    gradient_checkpointing: bool = True
    packing: bool = False
    val_size: float | None = None  # None: automatic; 0 = off; <1 fraction; ≥1 examples
    eval_steps: int | None = None  # None: about ten evaluations per run
    save_steps: int | None = None  # None: at each evaluation (or every 100 steps)
    save_total_limit: int = 2
    seed: int = 42
    max_grad_norm: float = 1.0  # 0: no clipping
    weight_decay: float = 0.0
    last_turn_only: bool = False
    train_on_prompt: bool = False
    skip_invalid: bool = False
    resume: bool = False
    attn: str = "sdpa"
    liger: str = "off"  # "auto": Liger's RMSNorm/SwiGLU/RoPE kernels when installed on CUDA
    # (off by default: 15% slower on an H200 for a 1.5B LoRA, see docs/benchmarks.md)

    def check(self) -> None:
        def bad(field: str, why: str) -> TrainSettingsError:
            return TrainSettingsError(f"--{field.replace('_', '-')}: {why}", field=field)

        if self.scheduler not in SCHEDULERS:
            raise bad("scheduler", f"choose one of {', '.join(SCHEDULERS)}")
        if self.compute not in COMPUTE:
            raise bad("compute", f"choose one of {', '.join(COMPUTE)}")
        if self.device not in DEVICES:
            raise bad("device", f"choose one of {', '.join(DEVICES)}")
        for name in ("batch_size", "grad_accum", "lora_rank", "cutoff"):
            if getattr(self, name) < 1:
                raise bad(name, "must be at least 1")
        if self.cutoff < 16:
            raise bad("cutoff", "must be at least 16 tokens")
        if not self.lr > 0:
            raise bad("lr", "must be positive")
        if self.max_steps is None and not self.epochs > 0:
            raise bad("epochs", "must be positive (or give --max-steps)")
        if self.max_steps is not None and self.max_steps < 1:
            raise bad("max_steps", "must be at least 1")
        if self.max_samples is not None and self.max_samples < 1:
            raise bad("max_samples", "must be at least 1")
        if not 0 <= self.lora_dropout < 1:
            raise bad("lora_dropout", "must be in [0, 1)")
        if not self.max_grad_norm >= 0:
            raise bad("max_grad_norm", "must be 0 (no clipping) or more")

    @property
    def alpha(self) -> float:
        return float(self.lora_alpha) if self.lora_alpha is not None else 2.0 * self.lora_rank

    def target_modules(self) -> str | list[str]:
        if self.lora_targets in ("all-linear", "all", ""):
            return "all-linear"
        return [t.strip() for t in self.lora_targets.split(",") if t.strip()]


def auto_val_count(n_examples: int, val_size: float | None) -> int:
    """Validation examples: given (fraction or count), or automatic — 10% (at most 200) once
    the dataset has 50 examples, enough to see eval loss rise when a small set is memorised."""
    if val_size is not None:
        count = round(val_size * n_examples) if val_size < 1 else int(val_size)
        return max(0, min(count, n_examples - 1))
    return 0 if n_examples < 50 else min(200, max(5, n_examples // 10))
