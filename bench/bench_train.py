"""Fine-tuning throughput: our trainer vs. a plain transformers + peft loop, same data and settings.

    python bench/bench_train.py [--device cpu|cuda] [--shape tiny|1.5b] [--seq 1024]
                                [--steps 8] [--batch 2] [--accum 4] [--json OUT.json]

Builds a model folder (``tiny``: the qwen2 test fixture; ``1.5b``: DeepSeek-R1-Distill-Qwen-
1.5B's Qwen2 shape with random bf16 weights and the fixture tokenizer) and an alpaca
dataset whose examples are 60–100% of ``--seq`` tokens long, tokenized once with our
renderer. Then each variant runs in its own process (clean peak memory) over the same
micro-batches in the same order with the same LoRA init (rank 8, alpha 16, all linear
layers, AdamW lr 2e-4, gradient checkpointing, bf16 on CUDA / fp32 on CPU):

- ``ours``: ``engine.train`` (the CLI's trainer; no logits before the first learned
  position, SDPA); ``ours-liger``: with Liger's RMSNorm/SwiGLU/RoPE kernels (``--liger``);
  ``ours-packed``: ``--packing`` (rows of several examples: other batches, so other losses);
- ``plain``: the textbook loop: ``model(**batch, labels=…, num_items_in_batch=…)``, SDPA;
- ``plain-eager``: the same with eager attention; ``plain-liger``: with Liger's kernels
  and fused linear cross-entropy (when installed).

Reported: median tokens/s (non-pad tokens per second, steps 3+), peak memory (CUDA: torch's
max allocated; CPU: the process's max RSS) and the per-step losses, which must agree
between variants (the arithmetic is the same; bf16 kernels differ in rounding only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPE_15B = {"hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
             "num_attention_heads": 12, "num_key_value_heads": 2, "vocab_size": 151936,
             "max_position_embeddings": 131072, "tie_word_embeddings": False}  # fmt: skip


def build(work: Path, shape: str, device: str) -> Path:
    from tests.fixtures.models import build_model

    model = work / "model"
    if (model / "config.json").is_file() and (work / f"shape-{shape}").is_file():
        return model
    build_model("qwen2", model)
    if shape == "1.5b":
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM

        config = AutoConfig.from_pretrained(model)
        for key, value in SHAPE_15B.items():
            setattr(config, key, value)
        if getattr(config, "layer_types", None):
            config.layer_types = [config.layer_types[0]] * config.num_hidden_layers
        torch.manual_seed(0)
        with torch.device(device):
            big = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        for f in model.glob("model*.safetensors"):
            f.unlink()
        big.save_pretrained(model)
        del big
    (work / f"shape-{shape}").write_text("ok")
    return model


def write_data(path: Path, model: Path, seq: int, n: int) -> Path:
    """Rows of about 60–100% of ``seq`` tokens (prompt one third, answer two thirds)."""
    from engine.train.tokenize import load_tokenizer

    tok = load_tokenizer(model)
    words = (ROOT / "tests" / "fixtures" / "corpus.txt").read_text(encoding="utf-8").split()

    def text(start: int, tokens: int) -> str:
        out: list[str] = []
        while len(tok(" ".join(out), add_special_tokens=False)["input_ids"]) < tokens:
            out += [words[(start + len(out) + k) % len(words)] for k in range(32)]
        ids = tok(" ".join(out), add_special_tokens=False)["input_ids"][:tokens]
        return str(tok.decode(ids))

    rows = []
    for i in range(n):
        target = int((seq - 80) * (0.6 + 0.4 * ((i * 37) % 100) / 100))
        rows.append(
            {"instruction": text(i * 7, target // 3), "output": text(i * 11, target - target // 3)}
        )
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def _peak(device: str) -> float:
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_ours(args: argparse.Namespace) -> dict:
    from engine.jobs import run_job
    from engine.train.loop import train_job
    from engine.train.rundir import read_events
    from engine.train.spec import TrainSpec

    out = Path(tempfile.mkdtemp()) / "run"
    spec = TrainSpec(base=args.model, data=args.data, out=out, device=args.device, max_steps=args.steps,
                     batch_size=args.batch, grad_accum=args.accum, cutoff=args.seq, val_size=0,
                     save_steps=10**6, lr=2e-4, warmup_steps=0, scheduler="constant", liger="auto" if args.variant == "ours-liger" else "off", packing=args.variant == "ours-packed")  # fmt: skip
    outcome = run_job(train_job, spec)
    if not outcome.ok:
        raise SystemExit(str(outcome.error))
    steps = [e for e in read_events(out) if e["event"] == "step"]
    return {"tokens_per_s": statistics.median(e["tokens_per_s"] for e in steps[2:] or steps),
            "losses": [e["loss"] for e in steps], "peak_mb": _peak(args.device)}  # fmt: skip


def child_plain(args: argparse.Namespace) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from engine.train.batches import Schedule, collate
    from engine.train.check import prepare_dataset
    from engine.train.tokenize import load_tokenizer

    tok = load_tokenizer(args.model)
    prepared = prepare_dataset(
        data=args.data, dataset=None, base=args.model, cutoff=args.seq, tokenizer=tok
    )
    train = list(prepared.examples)
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    torch.manual_seed(42)
    attn = "eager" if args.variant == "plain-eager" else "sdpa"
    model = AutoModelForCausalLM.from_pretrained(
        str(args.model), dtype=dtype, attn_implementation=attn
    ).to(args.device)
    model.config.use_cache = False
    if args.variant == "plain-liger":
        from liger_kernel.transformers.monkey_patch import _apply_liger_kernel_to_instance

        _apply_liger_kernel_to_instance(model=model)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = get_peft_model(
        model, LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM")
    )
    model.train()  # from_pretrained returns eval mode, where checkpointing is skipped
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0, fused=args.device == "cuda")
    schedule = Schedule(n_examples=len(train), batch_size=args.batch, grad_accum=args.accum)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    rates, losses = [], []
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for step in range(args.steps):
        began = time.perf_counter()
        batches = [
            collate([train[i] for i in idx], pad, args.device)
            for idx in schedule.micro_batches(step, 42)
        ]
        n_items = sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches)
        tokens = sum(b["n_real"] for b in batches)
        total = 0.0
        for b in batches:
            with torch.autocast(args.device, dtype=torch.bfloat16, enabled=args.device == "cuda"):
                loss = model(
                    input_ids=b["input_ids"],
                    attention_mask=b["attention_mask"],
                    labels=b["labels"],
                    num_items_in_batch=torch.tensor(n_items, device=args.device),
                ).loss
            loss.backward()
            total += float(loss.detach())
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        if args.device == "cuda":
            torch.cuda.synchronize()
        rates.append(tokens / (time.perf_counter() - began))
        losses.append(round(total, 6))
    return {
        "tokens_per_s": statistics.median(rates[2:] or rates),
        "losses": losses,
        "peak_mb": _peak(args.device),
    }


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--shape", default="tiny", choices=["tiny", "1.5b"])
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--accum", type=int, default=4)
    p.add_argument("--variants", default="ours,plain")
    p.add_argument("--work", type=Path, default=None)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--variant", help=argparse.SUPPRESS)
    p.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.variant:  # a child: one measurement, one JSON line
        fn = child_ours if args.variant.startswith("ours") else child_plain
        args.variant = args.variant.removesuffix("-again")
        print("RESULT " + json.dumps(fn(args)))
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="tf-bench-train-"))
    work.mkdir(parents=True, exist_ok=True)
    model = build(work, args.shape, args.device)
    n = args.batch * args.accum * args.steps
    data = write_data(work / "data.jsonl", model, args.seq, n)
    results = {}
    for variant in args.variants.split(","):
        if variant in results:
            variant += "-again"
        cmd = [sys.executable, __file__, "--variant", variant, "--model", str(model), "--data", str(data),
               "--device", args.device, "--seq", str(args.seq), "--steps", str(args.steps),
               "--batch", str(args.batch), "--accum", str(args.accum)]  # fmt: skip
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "TUNEFORGE_NO_SIGINT": "1"}
        )
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(f"{variant}: failed\n{proc.stderr[-3000:]}", file=sys.stderr)
            continue
        results[variant] = json.loads(line[7:])
        print(
            f"{variant}: {results[variant]['tokens_per_s']:,.0f} tokens/s, peak {results[variant]['peak_mb']:,.0f} MiB, "
            f"losses {results[variant]['losses']}",
            flush=True,
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    base = results.get("plain", {}).get("tokens_per_s")
    print(
        f"\n{args.shape} model, {args.device}, seq ≤{args.seq}, micro-batch {args.batch} × accum {args.accum}, {args.steps} steps\n"
    )
    print("| variant | tokens/s | vs plain | peak memory (MiB) | loss step 1 → last |")
    print("|---|---:|---:|---:|---|")
    for name, r in results.items():
        ratio = f"{r['tokens_per_s'] / base:.2f}×" if base else "-"
        print(
            f"| {name} | {r['tokens_per_s']:,.0f} | {ratio} | {r['peak_mb']:,.0f} | {r['losses'][0]:.4f} → {r['losses'][-1]:.4f} |"
        )
    if args.json:
        settings = {k: str(v) for k, v in vars(args).items()}
        args.json.write_text(json.dumps({"settings": settings, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
