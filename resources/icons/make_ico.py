"""Make ``tuneforge.ico`` (Windows: executables, installer, shortcuts) from ``app.svg``.

    python resources/icons/make_ico.py

Sizes 16–48 are stored as 32-bit DIBs (what every Windows tool reads), 256 as PNG
(Windows Vista and later). Rendered with Qt's SVG renderer; run it again after
changing ``app.svg`` and commit the result.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "app.svg"
TARGET = HERE / "tuneforge.ico"
SIZES = (16, 20, 24, 32, 40, 48, 64, 256)
PNG_FROM = 256  # this size and larger are stored as PNG


def render(size: int):  # -> QImage
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        sys.exit(f"cannot read {SOURCE}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def dib_bytes(image) -> bytes:  # image: QImage ARGB32 (BGRA in memory, little-endian)
    """BITMAPINFOHEADER + bottom-up BGRA rows + an all-zero AND mask (alpha decides)."""
    size = image.width()
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in reversed(range(size)):
        line = bytes(image.constScanLine(y))[: size * 4]
        rows.append(line)
    mask_row = b"\0" * (((size + 31) // 32) * 4)
    return header + b"".join(rows) + mask_row * size


def png_bytes(image) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def build_ico() -> bytes:
    images = []
    for size in SIZES:
        image = render(size)
        images.append((size, png_bytes(image) if size >= PNG_FROM else dib_bytes(image)))
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, data in images:
        dim = 0 if size >= 256 else size  # 0 means 256
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(data for _, data in images)


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["make_ico", "-platform", "offscreen"])
    TARGET.write_bytes(build_ico())
    del app
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
