"""Small datasets and a spec factory for the training tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.train.spec import TrainSpec

WORDS = ["apple", "river", "cloud", "stone", "light", "green", "music", "paper"]


def write_dataset(path: Path, n: int = 24) -> Path:
    """A learnable alpaca dataset: the answer repeats a word from the question."""
    rows = [{"instruction": f"Repeat the word {WORDS[i % len(WORDS)]} twice.",
             "output": f"{WORDS[i % len(WORDS)]} {WORDS[i % len(WORDS)]}"} for i in range(n)]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def spec(base: Path, data: Path, out: Path, **kw: Any) -> TrainSpec:
    defaults: dict[str, Any] = dict(device="cpu", max_steps=6, lr=5e-3, batch_size=4, grad_accum=2,
                                    cutoff=128, val_size=0, gradient_checkpointing=False)  # fmt: skip
    defaults.update(kw)
    return TrainSpec(base=base, data=data, out=out, **defaults)
