"""Data order and padded micro-batches; deterministic from the seed, so a resumed run sees
exactly the batches the uninterrupted run would have seen."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.train.tokenize import IGNORE, TokenizedExample


@dataclass(frozen=True, kw_only=True)
class Schedule:
    n_examples: int
    batch_size: int
    grad_accum: int

    @property
    def micro_per_epoch(self) -> int:
        return math.ceil(self.n_examples / self.batch_size)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.micro_per_epoch / self.grad_accum)

    def micro_batches(self, step: int, seed: int) -> list[list[int]]:
        """Example indices of the micro-batches of optimizer ``step`` (0-based)."""
        epoch, local = divmod(step, self.steps_per_epoch)
        order = epoch_order(self.n_examples, seed + epoch)
        first = local * self.grad_accum
        last = min(first + self.grad_accum, self.micro_per_epoch)
        bs = self.batch_size
        return [order[m * bs : (m + 1) * bs] for m in range(first, last)]

    def epoch_at(self, step: int) -> float:
        """Epochs completed after optimizer ``step`` (1-based count of done steps)."""
        return step / self.steps_per_epoch


def epoch_order(n: int, seed: int) -> list[int]:
    import torch

    gen = torch.Generator().manual_seed(seed)
    return [int(i) for i in torch.randperm(n, generator=gen)]


def collate(examples: Sequence[TokenizedExample], pad_id: int, device: str) -> dict[str, Any]:
    """Right-padded tensors. Packed rows get ``position_ids`` (restarting per example) and
    no attention mask: transformers then builds a block-diagonal causal mask, so packed
    examples never attend to each other (padding forms a block of its own)."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    packed = any(e.positions is not None for e in examples)
    positions = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        labels[row, :n] = torch.tensor(e.labels)
        mask[row, :n] = 1
        positions[row, :n] = torch.tensor(e.positions if e.positions is not None else range(n))
        positions[row, n:] = torch.arange(width - n)
    return {
        "input_ids": ids.to(device),
        "labels": labels.to(device),
        "attention_mask": None if packed else mask.to(device),
        "position_ids": positions.to(device) if packed else None,
        "n_real": int(mask.sum()),
    }


def pack(examples: Sequence[TokenizedExample], *, cutoff: int, seed: int) -> list[TokenizedExample]:
    """Greedy packing into rows of at most ``cutoff`` tokens, in a seeded random order.
    Each example's first label is dropped (it would be predicted from the previous one)."""
    rows: list[TokenizedExample] = []
    ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []

    def flush() -> None:
        if ids:
            rows.append(TokenizedExample(input_ids=tuple(ids), labels=tuple(labels), where="packed",
                                         full_length=len(ids), truncated=False, positions=tuple(positions)))  # fmt: skip
            ids.clear()
            labels.clear()
            positions.clear()

    for index in epoch_order(len(examples), seed):
        e = examples[index]
        if len(ids) + len(e.input_ids) > cutoff:
            flush()
        ids.extend(e.input_ids)
        labels.extend((IGNORE, *e.labels[1:]))
        positions.extend(range(len(e.input_ids)))
    flush()
    return rows


def loss_sum(model: Any, batch: dict[str, Any]) -> tuple[Any, int]:
    """Summed next-token cross-entropy over the labelled tokens, and their count.

    Positions before the first learned token never go through the output layer
    (``logits_to_keep``): the prompt of a single-turn example needs no logits, so memory
    and time for the vocabulary projection shrink by its share without changing the loss.
    """
    import torch
    import torch.nn.functional as F

    targets = batch["labels"][:, 1:]
    learned = (targets != IGNORE).any(dim=0).nonzero()
    count = int((targets != IGNORE).sum())
    if count == 0:
        return batch["input_ids"].new_zeros((), dtype=torch.float32), 0
    first = int(learned[0])
    width = batch["input_ids"].shape[1]
    # logits for positions first … width-1 (a slice: cheap backward); the last one predicts
    # nothing and is dropped below
    out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                position_ids=batch["position_ids"],
        use_cache=False, logits_to_keep=width - first)  # fmt: skip
    logits = out.logits[:, :-1].float()
    picked = targets[:, first:]
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), picked.reshape(-1),
                           ignore_index=IGNORE, reduction="sum")  # fmt: skip
    return loss, count
