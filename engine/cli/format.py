"""Numbers for humans."""

from __future__ import annotations

from engine.sizes import format_size


def human_bytes(n: float) -> str:
    """The same size format as the app (``engine.sizes.format_size``)."""
    return format_size(n)


def human_count(n: float) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return str(int(n))
