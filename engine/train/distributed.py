"""Several processes (``accelerate launch`` / torchrun set ``WORLD_SIZE``, ``RANK``,
``LOCAL_RANK``): data-parallel training with exactly the single-process arithmetic.

Each optimizer step's micro-batches are dealt out round-robin over the ranks; token counts,
losses and the LoRA gradients are summed over all ranks once per step (the all-reduce DDP
does, done once per accumulated step instead of per backward), so every rank takes the same
optimizer step that one process over all the micro-batches would. Only rank 0 writes the run
folder. One process: every call here is a no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass
class Distributed:
    torch: Any
    rank: int = 0
    size: int = 1
    device: str = "cpu"

    @classmethod
    def from_env(cls, torch: Any, device: str) -> Distributed:
        size = int(os.environ.get("WORLD_SIZE", "1") or 1)
        if size <= 1:
            return cls(torch=torch, device=device)
        import torch.distributed as dist

        rank = int(os.environ.get("RANK", "0"))
        if device == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
        return cls(torch=torch, rank=rank, size=size, device=device)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.size > 1:
            self.torch.distributed.barrier()

    def sum(self, value: float) -> Any:
        """Sum a number over all ranks (an int stays an int)."""
        if self.size == 1:
            return value
        dtype = self.torch.float64
        t = self.torch.tensor([float(value)], dtype=dtype, device=self._comm_device())
        self.torch.distributed.all_reduce(t)
        out = float(t.item())
        return round(out) if isinstance(value, int) else out

    def any(self, flag: bool) -> bool:
        """True on every rank when it is true on one (so all ranks take the same branch)."""
        return bool(flag) if self.size == 1 else self.sum(int(bool(flag))) > 0

    def sum_grads(self, params: list[Any]) -> None:
        if self.size == 1:
            return
        for p in params:
            if p.grad is None:
                p.grad = self.torch.zeros_like(p)
            self.torch.distributed.all_reduce(p.grad)

    def _comm_device(self) -> str:
        return "cuda" if self.device == "cuda" else "cpu"

    def close(self) -> None:
        if self.size > 1 and self.torch.distributed.is_initialized():
            self.torch.distributed.destroy_process_group()
