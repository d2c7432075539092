"""``loss.png`` without matplotlib: a small line chart drawn into pixels and written as PNG."""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from engine.jobs.atomic import atomic_file

W, H, PAD = 640, 360, 30
_BLUE, _ORANGE, _GREY = (40, 110, 200), (230, 120, 30), (200, 200, 200)


def write_loss_png(
    path: Path, train: Sequence[tuple[int, float]], evals: Sequence[tuple[int, float]]
) -> None:
    """Training loss (blue) and eval loss (orange) against the step, on a light grid."""
    pixels = bytearray(b"\xff" * (W * H * 3))

    def put(x: int, y: int, color: tuple[int, int, int]) -> None:
        if 0 <= x < W and 0 <= y < H:
            i = (y * W + x) * 3
            pixels[i : i + 3] = bytes(color)

    points = [(s, v) for s, v in (*train, *evals) if math.isfinite(v)]
    if points:
        x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
        y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
        x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-6)

        def xy(step: float, value: float) -> tuple[int, int]:
            return (PAD + int((step - x0) / (x1 - x0) * (W - 2 * PAD)),
                    H - PAD - int((value - y0) / (y1 - y0) * (H - 2 * PAD)))  # fmt: skip

        for k in range(5):
            y = PAD + k * (H - 2 * PAD) // 4
            for x in range(PAD, W - PAD):
                put(x, y, _GREY)
        for series, color in ((train, _BLUE), (evals, _ORANGE)):
            clean = [(s, v) for s, v in series if math.isfinite(v)]
            for (sa, va), (sb, vb) in itertools.pairwise(clean):
                _line(put, xy(sa, va), xy(sb, vb), color)
            for s, v in clean:
                cx, cy = xy(s, v)
                for dx in (-1, 0, 1):
                    for dy in (-1, 0, 1):
                        put(cx + dx, cy + dy, color)
    raw = b"".join(b"\x00" + bytes(pixels[y * W * 3 : (y + 1) * W * 3]) for y in range(H))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))  # fmt: skip
    with atomic_file(path) as tmp:
        tmp.write_bytes(png)


def _line(put, a: tuple[int, int], b: tuple[int, int], color: tuple[int, int, int]) -> None:  # type: ignore[no-untyped-def]
    (xa, ya), (xb, yb) = a, b
    n = max(abs(xb - xa), abs(yb - ya), 1)
    for i in range(n + 1):
        put(xa + (xb - xa) * i // n, ya + (yb - ya) * i // n, color)
