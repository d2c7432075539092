"""``tuneforge train --base MODEL --data DATA --out RUN_DIR [options]`` and ``--resume RUN_DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULTS_TEXT = (
    "Defaults fit a 1.5B model (e.g. DeepSeek-R1-Distill-Qwen-1.5B) with LoRA in bf16 on a "
    "24 GB GPU: cutoff 2048, micro-batch 2 × accumulation 8, gradient checkpointing, rank 8 / "
    "alpha 16 on all linear layers, lr 2e-4 cosine with 3%% warmup, 3 epochs, a validation "
    "split once the dataset has 50 examples. LLaMA-Factory's web-UI settings are "
    "--lr 5e-5 --epochs 3 --cutoff 2048 --compute bf16 --lora-rank 8."
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "train",
        help="fine-tune a LoRA adapter on the base model's own chat template",
        description="Fine-tune a LoRA (or 4-bit QLoRA) adapter. Each example is rendered with "
        "the base model's own chat template, the one the GGUF embeds, so the model is trained "
        "in the format Ollama will use. Writes RUN_DIR/run.json, events.jsonl, checkpoints/, "
        "loss.png and adapter/ (ready for `tuneforge package RUN_DIR/adapter`). Ctrl-C saves a "
        "checkpoint and stops; --resume RUN_DIR continues. " + DEFAULTS_TEXT,
    )
    p.add_argument("--base", type=Path, help="base model folder (Hugging Face layout)")
    p.add_argument("--data", type=Path, help="data file, folder, or dataset_info.json folder")
    p.add_argument("--dataset", help="entry name in dataset_info.json")
    p.add_argument("--out", type=Path, help="run folder to create (must be new or empty)")
    p.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue a stopped run from its last checkpoint",
    )
    p.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cuda", "cpu"],
        help="auto (default): CUDA if present; CPU is slow",
    )
    p.add_argument("--compute", default="auto", choices=["auto", "bf16", "fp16", "fp32"],
                   help="auto: bf16 where the GPU supports it, else fp16 with loss scaling; fp32 on the CPU")  # fmt: skip
    p.add_argument("--epochs", type=float, default=3.0, help="passes over the data (default 3)")
    p.add_argument(
        "--max-steps", type=int, help="stop after this many optimizer steps (overrides --epochs)"
    )
    p.add_argument("--max-samples", type=int, metavar="N",
                   help="train on only the first N conversations of the dataset (a quick test on a big one)")  # fmt: skip
    p.add_argument("--lr", type=float, default=2e-4, help="peak learning rate (default 2e-4)")
    p.add_argument(
        "--scheduler",
        default="cosine",
        choices=["cosine", "linear", "constant"],
        help="default cosine",
    )
    p.add_argument("--warmup-steps", type=int, help="default: 3%% of the steps")
    p.add_argument(
        "--batch-size", type=int, default=2, help="sequences per micro-batch (default 2)"
    )
    p.add_argument(
        "--grad-accum", type=int, default=8, help="micro-batches per optimizer step (default 8)"
    )
    p.add_argument(
        "--cutoff",
        type=int,
        default=2048,
        help="maximum tokens per example (default 2048); whole turns are kept where possible",
    )
    p.add_argument("--lora-rank", type=int, default=8, help="default 8")
    p.add_argument("--lora-alpha", type=float, help="default 2 × rank")
    p.add_argument("--lora-dropout", type=float, default=0.0, help="default 0")
    p.add_argument(
        "--lora-targets",
        default="all-linear",
        help="all-linear (default) or names: q_proj,v_proj,…",
    )
    p.add_argument(
        "--rslora", action="store_true", help="rank-stabilised LoRA scaling (alpha/√rank)"
    )
    p.add_argument(
        "--qlora", action="store_true", help="4-bit base weights (bitsandbytes, CUDA only)"
    )
    p.add_argument(
        "--packing",
        action="store_true",
        help="pack several examples into each row (they never attend to each other): less "
        "padding, a different batch composition",
    )
    p.add_argument(
        "--liger",
        action="store_true",
        help="use Liger's Triton kernels (RMSNorm, SwiGLU, RoPE) when installed; CUDA only",
    )
    p.add_argument(
        "--no-gradient-checkpointing", action="store_true", help="faster, but more memory"
    )
    p.add_argument(
        "--val-size",
        type=float,
        help="validation share (<1) or count (≥1); 0 = none; default: 10%% (≤200) from 50 examples",
    )
    p.add_argument(
        "--eval-steps", type=int, help="evaluate every N steps (default: ten times per run)"
    )
    p.add_argument(
        "--save-steps", type=int, help="checkpoint every N steps (default: at each evaluation)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-grad-norm", type=float, default=1.0, metavar="X",
                   help="clip the gradient norm of each step to X (default 1.0; 0 = no clipping)")  # fmt: skip
    p.add_argument(
        "--last-turn-only",
        action="store_true",
        help="learn only the last answer of each conversation",
    )
    p.add_argument(
        "--train-on-prompt",
        action="store_true",
        help="learn the prompts too (not only the answers)",
    )
    p.add_argument(
        "--skip-invalid", action="store_true", help="leave out invalid rows (each one is listed)"
    )
    p.add_argument("--verbose", "-v", action="store_true", help="print every step")
    p.add_argument("--processes", type=int, default=1, metavar="N",
                   help="N training processes (data parallel through `accelerate launch`; gloo on the CPU)")  # fmt: skip
    p.add_argument("--gpus", choices=["all"], help="all: one process per visible GPU")
    p.add_argument(
        "--on", metavar="NAME", help="train on a saved box over SSH (tuneforge remote add)"
    )
    p.add_argument("--upload-base", type=Path, metavar="DIR",
                   help="with --on: send this local model folder as the base")  # fmt: skip
    p.set_defaults(func=run, train_parser=p)


# options that describe where things are, not how to train: handled by --on itself
_LOCAL_ONLY = {"base", "data", "out", "resume", "on", "upload_base", "verbose", "help"}


def remote_train_args(args: argparse.Namespace) -> list[str]:
    """The training options of ``args`` as command-line arguments for the box."""
    out: list[str] = []
    for action in args.train_parser._actions:
        if not action.option_strings or action.dest in _LOCAL_ONLY:
            continue
        value = getattr(args, action.dest, None)
        flag = (
            action.option_strings[-1]
            if action.option_strings[-1].startswith("--")
            else action.option_strings[0]
        )
        if isinstance(action, argparse._StoreTrueAction):
            if value:
                out.append(flag)
        elif value is not None:
            out += [flag, str(value)]
    return out


def spec_from_args(args: argparse.Namespace) -> Any:
    from engine.errors import InputError
    from engine.train import TrainSpec

    if args.resume:
        return TrainSpec(base=Path("."), data=Path("."), out=args.resume, resume=True)
    missing = [f"--{n}" for n in ("base", "data", "out") if getattr(args, n) is None]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (or --resume RUN_DIR)")
    spec = TrainSpec(
        base=args.base, data=args.data, dataset=args.dataset, out=args.out, device=args.device,
        compute=args.compute, epochs=args.epochs, max_steps=args.max_steps, max_samples=args.max_samples, lr=args.lr,
        scheduler=args.scheduler, warmup_steps=args.warmup_steps, batch_size=args.batch_size,
        grad_accum=args.grad_accum, cutoff=args.cutoff, lora_rank=args.lora_rank,
        lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout, lora_targets=args.lora_targets,
        rslora=args.rslora, qlora=args.qlora, gradient_checkpointing=not args.no_gradient_checkpointing,
        val_size=args.val_size, eval_steps=args.eval_steps, save_steps=args.save_steps, seed=args.seed,
        last_turn_only=args.last_turn_only, train_on_prompt=args.train_on_prompt,
        skip_invalid=args.skip_invalid, liger="auto" if args.liger else "off", packing=args.packing,
        max_grad_norm=args.max_grad_norm,
    )  # fmt: skip
    spec.check()
    return spec


def run(args: argparse.Namespace) -> int:
    if args.on:
        return _run_on_box(args)
    if args.processes > 1 or args.gpus == "all":
        from engine.cli.train_multi import run_multi

        return run_multi(args, spec_from_args(args))
    from engine.cli.progress import ProgressPrinter, follow
    from engine.jobs import JobContext, JobHandle
    from engine.jobs.events import Event, Log
    from engine.jobs.runners import child_job
    from engine.runtime.use import train_child
    from engine.train import TRAIN_JOB

    spec = spec_from_args(args)
    command, env = train_child()  # the runtime's Python when this install has no torch
    printer = ProgressPrinter()

    def sink(event: Event) -> None:
        if isinstance(event, Log) and event.level == "debug" and not args.verbose:
            return
        printer(event)

    # Training runs in a child process (the runtime's Python when this one has no torch);
    # Ctrl-C asks it to save a checkpoint and stop.
    job = child_job(TRAIN_JOB, grace_seconds=300, command=command, env=env)
    handle = JobHandle(job, spec, ctx=JobContext(sink))
    outcome = follow(handle, printer, stopping="stopping: saving a checkpoint…")
    if outcome.status == "cancelled":
        print(f"stopped. Resume with: tuneforge train --resume {spec.out}", file=sys.stderr)
        return 130
    if not outcome.ok:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    result = outcome.result
    loss = f"{result.final_loss:.4f}" if result.final_loss is not None else "-"
    evl = f", eval loss {result.eval_loss:.4f}" if result.eval_loss is not None else ""
    print(f"trained {result.steps} steps: loss {loss}{evl}")
    print(f"adapter: {result.adapter_dir}")
    for advice in result.advice:
        print(f"advice: {advice}")
    print(f'next: tuneforge package "{result.adapter_dir}" --name my-model')
    return 0


def _run_on_box(args: argparse.Namespace) -> int:
    from engine.cli.remote_follow import train_on_box
    from engine.errors import InputError

    if args.resume:
        raise InputError("--resume with --on: use `tuneforge remote attach NAME RUN_ID --out DIR`")
    missing = [f"--{n}" for n in ("data", "out") if getattr(args, n) is None]
    if args.base is None and args.upload_base is None:
        missing.append("--base (or --upload-base)")
    if missing:
        raise InputError(f"missing {', '.join(missing)}")
    if not args.data.exists():
        raise InputError("the dataset does not exist", path=args.data)
    return train_on_box(box_name=args.on, train_args=remote_train_args(args), data=args.data,
                        base=str(args.base or ""), upload_base=args.upload_base, out=args.out,
                        verbose=args.verbose)  # fmt: skip
