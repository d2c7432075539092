"""Is the training stack (the ``train`` extra) installed? Clear errors when it is not."""

from __future__ import annotations

import importlib.util

from engine.train.errors import TrainStackMissing


def require_stack(*, need_torch: bool = True) -> None:
    names = ["transformers", "tokenizers"] + (["torch", "peft"] if need_torch else [])
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        raise TrainStackMissing(
            f"fine-tuning needs {', '.join(missing)} (not installed)",
            hint='Install the training extra: pip install "tuneforge[train]"',
        )
