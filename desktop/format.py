"""Numbers for people: sizes, parameter counts, durations, rates (pure helpers, no Qt)."""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone


def format_bytes(n_bytes: float) -> str:
    """1.1 GB / 640 MB / 12 KB: the engine's one size format (``engine.sizes``)."""
    from engine.sizes import format_size

    return format_size(n_bytes)


def format_params(n: int) -> str:
    """7_241_732_096 → "7.2B"; 19_530_000 → "19.5M"."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return str(n)


def format_duration(seconds: float) -> str:
    """4 s / 2 min 05 s / 1 h 12 min."""
    if seconds != seconds or math.isinf(seconds):  # NaN / inf
        return "–"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def format_amount(value: float, unit: str) -> str:
    """A progress amount in its unit: bytes get sizes, other units a plain count."""
    if unit in ("B", "bytes", "byte"):
        return format_bytes(value)
    text = f"{value:,.0f}"
    return f"{text} {unit}" if unit else text


def format_rate(per_second: float, unit: str) -> str:
    if unit in ("B", "bytes", "byte"):
        return f"{format_bytes(per_second)}/s"
    if not unit:
        return f"{per_second:,.1f}/s"
    return f"{per_second:,.1f} {unit}/s"


def format_modified(iso: str, *, now: datetime | None = None) -> str:
    """Ollama's ``modified_at`` (RFC 3339) → local "2025-03-01 14:05"; "" when unreadable."""
    if not iso:
        return ""
    text = iso.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Go writes nanoseconds; Python's fromisoformat accepts at most microseconds.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return iso
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone().strftime("%Y-%m-%d %H:%M")


class RateMeter:
    """Speed and time left of one progress stream, smoothed so the numbers don't jump."""

    def __init__(self, *, smoothing: float = 0.3, clock=time.monotonic) -> None:
        self._clock = clock
        self._alpha = smoothing
        self._last: tuple[float, float] | None = None  # (time, done)
        self.rate: float | None = None  # units per second
        self.started = clock()

    def update(self, done: float) -> None:
        now = self._clock()
        if self._last is None:
            self._last = (now, done)
            return
        t0, d0 = self._last
        dt = now - t0
        if dt < 0.2:  # too close together to measure
            return
        instant = max(0.0, (done - d0) / dt)
        self.rate = (
            instant if self.rate is None else self._alpha * instant + (1 - self._alpha) * self.rate
        )
        self._last = (now, done)

    def seconds_left(self, done: float, total: float) -> float | None:
        if not total or not self.rate or self.rate <= 0:
            return None
        return max(0.0, (total - done) / self.rate)

    def elapsed(self) -> float:
        return self._clock() - self.started
