"""The one way Tuneforge writes a size, in the CLI and the GUI alike."""

from __future__ import annotations


def format_size(n_bytes: float) -> str:
    """1.1 GB / 640 MB / 12 KB (decimal units, as Windows Explorer and Finder show them)."""
    n = float(n_bytes)
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if abs(value) < 100 else f"{value:.0f} {unit}"
    return f"{int(n)} B"
