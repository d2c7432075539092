"""Several training processes through ``accelerate launch`` (DDP), here or on a box.

``launch_command`` builds the launcher's argument list; each process runs
``python -m engine.train.launch SPEC.json``, which is :func:`engine.train.loop.train_job`
with the rank read from the environment (see :mod:`engine.train.distributed`).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path


def count_gpus() -> int:
    """CUDA GPUs torch sees in this process (only where this Python has torch; else
    :func:`engine.runtime.use.visible_gpu_count`)."""
    try:
        import torch

        return int(torch.cuda.device_count())
    except ImportError:
        return 0


def launch_command(
    *, spec_file: Path, processes: int, device: str, python: str | None = None
) -> list[str]:
    """``python`` (default: this one) must have accelerate, torch and the engine: the
    training runtime's Python where this one has no torch."""
    with socket.socket() as s:  # a free rendezvous port on this machine
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # --multi_gpu is accelerate's torchrun path: it also starts N CPU processes (gloo);
    # --cpu alone would start one
    cpu = ["--multi_gpu"]
    return [python or sys.executable, "-m", "accelerate.commands.launch", "--num_machines", "1",
            "--num_processes", str(processes), *cpu, "--mixed_precision", "no",
            "--dynamo_backend", "no", "--main_process_ip", "127.0.0.1",
            "--main_process_port", str(port), "-m", "engine.train.launch", str(spec_file)]  # fmt: skip


def main(argv: list[str]) -> int:
    import os

    from engine.jobs import run_job
    from engine.jobs.codec import from_plain
    from engine.train.loop import train_job

    spec = from_plain(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    rank = int(os.environ.get("RANK", "0"))
    outcome = run_job(train_job, spec)
    if not outcome.ok and outcome.status != "cancelled" and rank == 0:
        print(f"error: {outcome.error}", file=sys.stderr)
    # stopped is a clean end for the launcher (a non-zero rank would make it kill the others);
    # the run folder's events say "stopped"
    return 0 if outcome.ok or outcome.status == "cancelled" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
