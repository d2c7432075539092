"""Training advisor: rules over the run's events, in plain words, each with what to do."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Advice:
    code: str
    message: str
    action: str

    def to_event(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "action": self.action}

    def __str__(self) -> str:
        return f"{self.message} → {self.action}"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def advise(
    events: Sequence[dict[str, Any]], *, truncated: int = 0, examples: int = 0
) -> list[Advice]:
    steps = [e for e in events if e.get("event") == "step"]
    evals = [e for e in events if e.get("event") == "eval" and _finite(e.get("eval_loss"))]
    out: list[Advice] = []
    bad = [e for e in steps if not _finite(e.get("loss")) or
           (e.get("grad_norm") is not None and not _finite(e.get("grad_norm")))]  # fmt: skip
    if bad:
        out.append(Advice(code="nan", message=(
            f"the loss or gradient norm was NaN/inf at {len(bad)} step(s) (first: step {bad[0]['step']}); "
            "this is broken arithmetic, not learning"),
            action="use bf16 instead of fp16 (or fp32), lower the learning rate, and check the data"))  # fmt: skip
    losses = [float(e["loss"]) for e in steps if _finite(e.get("loss"))]
    if len(evals) >= 3:
        tail = [float(e["eval_loss"]) for e in evals[-3:]]
        best = min(float(e["eval_loss"]) for e in evals)
        if (
            tail[0] < tail[1] < tail[2]
            and tail[2] > best * 1.02
            and len(losses) >= 2
            and losses[-1] < losses[0]
        ):
            best_step = min(evals, key=lambda e: e["eval_loss"])["step"]
            out.append(Advice(code="overfitting", message=(
                f"eval loss rose for the last evaluations ({tail[0]:.3f} → {tail[2]:.3f}) while the "
                f"training loss kept falling: the model is memorising the training set"),
                action=f"use fewer epochs (the best eval loss was at step {best_step}), a lower "
                "learning rate, or more varied data"))  # fmt: skip
    if len(losses) >= 8:
        n = max(2, len(losses) // 5)
        early = losses[:n]
        total = len(steps)
        first_quarter = [
            float(e["loss"]) for e in steps[: max(1, total // 4)] if _finite(e.get("loss"))
        ]
        if min(first_quarter, default=1.0) < 0.02:
            out.append(Advice(code="near_zero_early", message=(
                "the training loss is near zero within the first quarter of the run: the model "
                "is copying, not learning"),
                action="check for duplicated examples or answers contained in the prompt; lower "
                "the learning rate or the number of epochs"))  # fmt: skip
        last = losses[-n:]
        mid = losses[-2 * n : -n]
        overfit = any(a.code == "overfitting" for a in out)
        if (
            not overfit
            and mid
            and sum(last) / len(last) < 0.97 * (sum(mid) / len(mid))
            and sum(last) / len(last) > 0.3 * (sum(early) / len(early))
        ):
            out.append(Advice(code="underfitting", message=(
                "the training loss was still falling clearly at the end of the run"),
                action="train longer (more epochs or steps) or raise the learning rate a little"))  # fmt: skip
        spikes = [
            i for i in range(3, len(losses)) if losses[i] > 2.0 * (sum(losses[i - 3 : i]) / 3)
        ]
        if spikes:
            out.append(Advice(code="spikes", message=(
                f"the loss jumped to more than twice its recent level {len(spikes)} time(s)"),
                action="lower the learning rate or add warmup steps; look for odd examples"))  # fmt: skip
    if examples and truncated / examples > 0.1:
        out.append(Advice(code="truncated", message=(
            f"{truncated} of {examples} examples ({100 * truncated / examples:.0f}%) are longer "
            "than the cutoff and were cut"),
            action="raise --cutoff (memory allowing) or shorten the examples"))  # fmt: skip
    return out
