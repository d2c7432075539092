"""The training job ``train_job(spec, ctx)``: a lean PyTorch loop over a PEFT LoRA model.

Why a loop of our own rather than transformers' Trainer: every step is ours to log (loss,
lr, grad norm before clipping, tokens/s, memory, ETA), data order is a pure function of the
seed and the step (so ``--resume`` reproduces the uninterrupted run exactly), cancel saves a
checkpoint at a step boundary, and only the positions whose next token is learned go
through the output layer. The arithmetic is the Trainer's: AdamW, token-weighted loss over
the accumulated micro-batches, grad-norm clipping, warmup then cosine/linear/constant.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled
from engine.jobs import JobContext, null_context
from engine.jobs.codec import from_plain, to_plain
from engine.train.advisor import advise
from engine.train.batches import Schedule, collate, epoch_order, loss_sum
from engine.train.check import prepare_dataset
from engine.train.checkpoint import base_revision, export_adapter, load_checkpoint, save_checkpoint
from engine.train.distributed import Distributed
from engine.train.errors import TrainingFailed
from engine.train.plot import write_loss_png
from engine.train.rundir import (
    RUN_FILE,
    EventLog,
    RunLock,
    checkpoint_dirs,
    clear_stop,
    prepare_run_dir,
    read_events,
    stop_requested,
    write_json,
)
from engine.train.spec import TrainSpec, auto_val_count
from engine.train.stack import require_stack


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    run_dir: Path
    adapter_dir: Path
    steps: int
    final_loss: float | None
    eval_loss: float | None
    advice: tuple[str, ...]


def spec_for_resume(run_dir: Path) -> TrainSpec:
    """The spec recorded in ``run_dir/run.json``, marked as a resume."""
    import json

    data = json.loads((Path(run_dir) / RUN_FILE).read_text(encoding="utf-8"))
    spec: TrainSpec = from_plain(data["spec"])
    return replace(spec, resume=True, out=Path(run_dir))


def lr_at(spec: TrainSpec, step: int, total: int, warmup: int) -> float:
    """Learning rate for optimizer step ``step`` (0-based), like transformers' schedules."""
    if step < warmup:
        return spec.lr * (step + 1) / (warmup + 1) if warmup else spec.lr
    if spec.scheduler == "constant":
        return spec.lr
    progress = (step - warmup) / max(1, total - warmup)
    if spec.scheduler == "linear":
        return spec.lr * max(0.0, 1.0 - progress)
    return spec.lr * 0.5 * (1.0 + math.cos(math.pi * progress))


def train_job(spec: TrainSpec, ctx: JobContext) -> TrainResult:
    if spec.resume:
        spec = spec_for_resume(spec.out)
    spec.check()
    require_stack()
    import torch

    from engine.train.model import choose_placement, load_model
    from engine.train.tokenize import load_tokenizer

    ctx.progress("prepare data", 0, 1)
    tokenizer = load_tokenizer(spec.base)
    prepared = prepare_dataset(
        data=spec.data, dataset=spec.dataset, base=spec.base, cutoff=spec.cutoff,
        skip_invalid=spec.skip_invalid, last_turn_only=spec.last_turn_only,
        train_on_prompt=spec.train_on_prompt, tokenizer=tokenizer, max_samples=spec.max_samples,
    )  # fmt: skip
    for issue in prepared.skipped:
        ctx.warn(f"skipped {issue}")
    placement = choose_placement(spec, ctx)
    world = Distributed.from_env(torch, placement.device)
    run_dir = Path(spec.out)
    lock = RunLock(run_dir)
    if world.is_main:  # only rank 0 owns the run folder: events, checkpoints, adapter
        prepare_run_dir(run_dir, resume=spec.resume)
        lock.acquire()
        if spec.resume:
            clear_stop(run_dir)  # the request that stopped it earlier
    world.barrier()
    log: Any = EventLog(run_dir) if world.is_main else _NullLog()
    restore = _cancel_on_sigint(ctx)
    try:
        return _train(
            spec, ctx, run_dir, log, prepared, tokenizer, placement, torch, load_model, world
        )
    finally:
        restore()
        log.close()
        if world.is_main:
            lock.release()
        world.close()


def _train(spec, ctx, run_dir, log, prepared, tokenizer, placement, torch, load_model, world):  # type: ignore[no-untyped-def]
    examples = list(prepared.examples)
    order = epoch_order(len(examples), spec.seed - 1)
    n_val = auto_val_count(len(examples), spec.val_size)
    val = [examples[i] for i in sorted(order[:n_val])]
    train = [examples[i] for i in sorted(order[n_val:])]
    if spec.packing:
        from engine.train.batches import pack

        before = len(train)
        train = pack(train, cutoff=spec.cutoff, seed=spec.seed - 2)
        ctx.log(f"packing: {before} examples in {len(train)} rows of at most {spec.cutoff} tokens")
    schedule = Schedule(
        n_examples=len(train), batch_size=spec.batch_size, grad_accum=spec.grad_accum
    )
    total = spec.max_steps or max(1, math.ceil(spec.epochs * schedule.steps_per_epoch))
    warmup = spec.warmup_steps if spec.warmup_steps is not None else int(0.03 * total)
    eval_every = spec.eval_steps or max(1, total // 10)
    save_every = spec.save_steps or (eval_every if val else min(100, total))
    truncated = sum(e.truncated for e in examples)
    if not spec.resume and world.is_main:
        record = _run_record(spec, prepared, placement, len(train), len(val), total, torch)
        write_json(run_dir / RUN_FILE, {**record, "world_size": world.size})
        log.write("started", total_steps=total, examples=len(train), val_examples=len(val),
                  truncated=truncated, device=placement.device, compute=placement.compute)  # fmt: skip
    torch.manual_seed(spec.seed)
    model = load_model(spec, placement, ctx)
    params = [p for p in model.parameters() if p.requires_grad]
    fused = placement.device == "cuda"
    optimizer = torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay, fused=fused)
    scaler = torch.amp.GradScaler("cuda") if placement.compute == "fp16" else None
    start = 0
    if spec.resume:
        found = checkpoint_dirs(run_dir)
        if found:
            state = load_checkpoint(found[-1], model=model, optimizer=optimizer, scaler=scaler)
            start = int(state["step"])
            ctx.log(f"resuming from {found[-1].name} (step {start} of {total})")
            log.write("resumed", step=start, checkpoint=found[-1].name)
        else:
            ctx.warn("no checkpoint in the run folder; starting from step 0")
    pad_id = (
        tokenizer.pad_token_id
        if tokenizer.pad_token_id is not None
        else (tokenizer.eos_token_id or 0)
    )
    autocast = (torch.autocast(device_type="cuda", dtype=torch.bfloat16 if placement.compute == "bf16" else torch.float16)
                if placement.compute in ("bf16", "fp16") else _nullcontext())  # fmt: skip
    model.train()
    last_saved, step_times, bad_streak = start, [], 0
    last_loss: float | None = None
    last_eval: float | None = None
    if placement.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    step = start
    try:
        for step in range(start, total):
            # a stop (cancel, Ctrl-C or the stop file) at a step boundary, agreed by all ranks
            if world.any(ctx.cancelled or (world.is_main and stop_requested(run_dir))):
                raise JobCancelled()
            began = time.perf_counter()
            lr = lr_at(spec, step, total, warmup)
            for group in optimizer.param_groups:
                group["lr"] = lr
            micro = schedule.micro_batches(step, spec.seed)[world.rank :: world.size]
            batches = [collate([train[i] for i in idx], pad_id, placement.device) for idx in micro]
            n_tokens = world.sum(sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches))
            real_tokens = world.sum(sum(b["n_real"] for b in batches))
            total_loss = 0.0
            for batch in batches:
                if world.size == 1:  # several ranks stop only together, at the step boundary
                    ctx.check_cancelled()
                with autocast:
                    loss, _count = loss_sum(model, batch)
                scaled = loss / max(1, n_tokens)
                (scaler.scale(scaled) if scaler else scaled).backward()
                total_loss += float(loss.detach())
            total_loss = world.sum(total_loss)
            world.sum_grads(params)
            if scaler:
                scaler.unscale_(optimizer)
            clip = spec.max_grad_norm if spec.max_grad_norm > 0 else math.inf  # 0: measure only
            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, clip))
            if scaler:
                scaler.step(optimizer)
                scaler.update()
            elif math.isfinite(grad_norm):
                optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if placement.device == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - began
            step_times.append(seconds)
            done = step + 1
            mean_loss = total_loss / max(1, n_tokens)
            last_loss = mean_loss
            bad_streak = (
                bad_streak + 1 if not (math.isfinite(mean_loss) and math.isfinite(grad_norm)) else 0
            )
            recent = step_times[-20:]
            record = log.write(
                "step", step=done, loss=round(mean_loss, 6), lr=lr, grad_norm=round(grad_norm, 6),
                epoch=round(schedule.epoch_at(done), 4), tokens=real_tokens, trained_tokens=n_tokens,
                tokens_per_s=round(real_tokens / seconds, 1), eta_s=round((total - done) * sum(recent) / len(recent), 1),
                **_memory(torch, placement.device),
            )  # fmt: skip
            ctx.progress("train", done, total, unit="steps")
            ctx.log(f"step {done}/{total} loss {mean_loss:.4f} lr {lr:.2e} grad_norm {grad_norm:.3f} "
                    f"{record['tokens_per_s']:.0f} tok/s", level="debug")  # fmt: skip
            if bad_streak >= 5:
                raise TrainingFailed("the loss has been NaN/inf for 5 steps in a row; training stopped",
                                     hint="Use bf16 instead of fp16 (or fp32) and a lower learning rate.")  # fmt: skip
            if val and (done % eval_every == 0 or done == total):
                last_eval = _evaluate(model, val, spec, pad_id, placement, autocast, torch,
                                      ctx if world.size == 1 else null_context())  # fmt: skip
                log.write("eval", step=done, eval_loss=round(last_eval, 6))
                model.train()
            if done % save_every == 0 and done < total and world.is_main:
                _save(run_dir, model, optimizer, scaler, done, spec, log)
                last_saved = done
    except JobCancelled:
        done = step  # the step in progress is dropped; steps before it are complete
        optimizer.zero_grad(set_to_none=True)
        if done > last_saved and world.is_main:
            _save(run_dir, model, optimizer, scaler, done, spec, log)
        world.barrier()  # no rank exits (and makes the launcher kill the others) before the save
        hint = f"tuneforge train --resume {run_dir}"
        log.write("stopped", step=done, reason="cancelled", resume=hint)
        raise JobCancelled(
            f"stopped at step {done}; a checkpoint is saved. Resume with: {hint}"
        ) from None
    except TrainingFailed as exc:
        log.write("failed", step=step + 1, message=exc.message)
        raise
    if not world.is_main:
        return TrainResult(run_dir=run_dir, adapter_dir=run_dir / "adapter", steps=total,
                           final_loss=last_loss, eval_loss=last_eval, advice=())  # fmt: skip
    adapter = export_adapter(run_dir, model=model, base=Path(spec.base))
    events = read_events(run_dir)
    advice = advise(events, truncated=sum(e.truncated for e in examples), examples=len(examples))
    for item in advice:
        log.write("advice", **item.to_event())
    _plot(run_dir, events)
    log.write("finished", step=total, adapter=str(adapter), loss=last_loss, eval_loss=last_eval)
    return TrainResult(run_dir=run_dir, adapter_dir=adapter, steps=total, final_loss=last_loss,
                       eval_loss=last_eval, advice=tuple(str(a) for a in advice))  # fmt: skip


def _save(run_dir, model, optimizer, scaler, step, spec, log) -> None:  # type: ignore[no-untyped-def]
    path = save_checkpoint(run_dir, model=model, optimizer=optimizer, scaler=scaler, step=step,
                           state={"seed": spec.seed}, keep=spec.save_total_limit)  # fmt: skip
    log.write("checkpoint", step=step, path=str(path.relative_to(run_dir)))
    _plot(run_dir, read_events(run_dir))


def _evaluate(model, val, spec, pad_id, placement, autocast, torch, ctx) -> float:  # type: ignore[no-untyped-def]
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(val), spec.batch_size):
            ctx.check_cancelled()
            batch = collate(val[i : i + spec.batch_size], pad_id, placement.device)
            with autocast:
                loss, n = loss_sum(model, batch)
            total, count = total + float(loss), count + n
    return total / max(1, count)


def _plot(run_dir: Path, events: list[dict[str, Any]]) -> None:
    train = [(e["step"], float(e["loss"])) for e in events if e.get("event") == "step"]
    evals = [(e["step"], float(e["eval_loss"])) for e in events if e.get("event") == "eval"]
    write_loss_png(run_dir / "loss.png", train, evals)


def _memory(torch, device: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    if device == "cuda":
        return {"gpu_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)}
    try:
        import resource

        return {"memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    except ImportError:  # Windows
        return {}


def _run_record(spec, prepared, placement, n_train, n_val, total, torch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    import platform

    import peft
    import transformers

    from engine import __version__

    return {
        "tuneforge": __version__,
        "spec": to_plain(spec),
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "python": platform.python_version(),
        },
        "dataset": {
            "fingerprint": prepared.fingerprint,
            "format": prepared.format,
            "conversations": prepared.conversations,
            "examples": len(prepared.examples),
            "train": n_train,
            "val": n_val,
            "skipped": [str(i) for i in prepared.skipped],
            "duplicates": prepared.duplicates,
        },
        "base": {
            "path": str(Path(spec.base).resolve()),
            "revision": base_revision(Path(spec.base)),
        },
        "device": placement.device,
        "compute": placement.compute,
        "world_size": 1,
        "total_steps": total,
    }


class _NullLog:
    """Ranks other than 0 write no events."""

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        return {"event": event, **fields}

    def close(self) -> None:
        return None


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _cancel_on_sigint(ctx: JobContext):  # type: ignore[no-untyped-def]
    """In a job child, Ctrl-C (sent to the whole console group) means: checkpoint, then stop."""
    if threading.current_thread() is not threading.main_thread() or os.environ.get(
        "TUNEFORGE_NO_SIGINT"
    ):
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: ctx.cancel())
    return lambda: signal.signal(signal.SIGINT, previous)
