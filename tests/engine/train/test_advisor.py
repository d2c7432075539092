"""Advisor rules on event streams shaped like real runs."""

from __future__ import annotations

import math

from engine.train.advisor import advise


def steps(losses, grad=1.0):
    return [
        {"event": "step", "step": i + 1, "loss": v, "grad_norm": grad} for i, v in enumerate(losses)
    ]


def codes(events, **kw):
    return [a.code for a in advise(events, **kw)]


def test_healthy_run_gets_no_advice():
    losses = [3.0 * 0.85**i + 1.0 for i in range(30)] + [1.0] * 20
    assert codes(steps(losses)) == []


def test_overfitting_eval_rises_while_train_falls():
    events = steps([3.0 - 0.05 * i for i in range(40)])
    events += [
        {"event": "eval", "step": s, "eval_loss": v}
        for s, v in [(10, 2.0), (20, 1.8), (30, 1.9), (40, 2.1), (50, 2.4)]
    ]
    advice = advise(events)
    assert [a.code for a in advice] == ["overfitting"]
    assert "step 20" in advice[0].action and "fewer epochs" in advice[0].action


def test_underfitting_still_falling_at_the_end():
    assert codes(steps([3.0 - 0.05 * i for i in range(40)])) == ["underfitting"]


def test_nan_loss_and_grad_norm():
    events = steps([2.0] * 10)
    events[4]["loss"] = math.nan
    events[6]["grad_norm"] = math.inf
    advice = advise(events)
    assert advice[0].code == "nan" and "2 step(s) (first: step 5)" in advice[0].message
    assert "bf16" in advice[0].action


def test_near_zero_loss_early():
    assert "near_zero_early" in codes(steps([1.0, 0.2, 0.01, 0.005] + [0.004] * 20))


def test_spikes():
    losses = [2.0] * 10 + [9.0] + [2.0] * 10
    assert codes(steps(losses)) == ["spikes"]


def test_many_truncated_examples():
    assert codes(steps([2.0] * 3), truncated=30, examples=100) == ["truncated"]
    assert codes(steps([2.0] * 3), truncated=5, examples=100) == []
