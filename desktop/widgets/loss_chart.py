"""A small live loss chart drawn with QPainter: train (raw, faint, and smoothed) and eval.

Drawn by hand rather than with QtCharts (not in PySide6-Essentials, ~10 MB more in the
bundle) or pyqtgraph (numpy-based, slower to import): two polylines and a few labels are
all the page needs, and this keeps cold start and the installer small.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from desktop import theme


def smooth(values: list[float], weight: float = 0.8) -> list[float]:
    """Exponential moving average with bias correction (TensorBoard's smoothing)."""
    out, last, norm = [], 0.0, 0.0
    for v in values:
        last = weight * last + (1 - weight) * v
        norm = weight * norm + (1 - weight)
        out.append(last / norm)
    return out


class LossChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.train: list[tuple[int, float]] = []
        self.eval: list[tuple[int, float]] = []
        self.total_steps = 0
        self.setMinimumHeight(220)
        self.train_label = "train"
        self.eval_label = "eval"

    def sizeHint(self) -> QSize:
        return QSize(600, 260)

    def clear(self) -> None:
        self.train, self.eval, self.total_steps = [], [], 0
        self.update()

    def add_train(self, step: int, loss: float) -> None:
        self.train = [p for p in self.train if p[0] < step] + [(step, loss)]
        self.update()

    def add_eval(self, step: int, loss: float) -> None:
        self.eval = [p for p in self.eval if p[0] < step] + [(step, loss)]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text, muted, border = (QColor(theme.color(k)) for k in ("text", "muted", "border"))
        area = QRectF(self.rect()).adjusted(48, 12, -12, -28)
        p.setPen(QPen(border, 1))
        p.drawRect(area)
        values = [v for _, v in self.train] + [v for _, v in self.eval]
        if not values:
            p.setPen(muted)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "—")
            return
        steps = [s for s, _ in self.train] + [s for s, _ in self.eval]
        x_max = max([self.total_steps, *steps, 1])
        lo, hi = min(values), max(values)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        pad = (hi - lo) * 0.08
        lo, hi = max(0.0, lo - pad), hi + pad

        def point(step: int, value: float) -> QPointF:
            x = area.left() + area.width() * step / x_max
            y = area.bottom() - area.height() * (value - lo) / (hi - lo)
            return QPointF(x, y)

        p.setPen(muted)
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            y = area.bottom() - area.height() * i / 4
            p.setPen(QPen(border, 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(muted)
            p.drawText(QRectF(0, y - 8, 44, 16), Qt.AlignmentFlag.AlignRight, f"{v:.2f}")
        p.drawText(QRectF(area.left(), area.bottom() + 4, 60, 18), Qt.AlignmentFlag.AlignLeft, "0")
        p.drawText(QRectF(area.right() - 80, area.bottom() + 4, 80, 18),
                   Qt.AlignmentFlag.AlignRight, str(x_max))  # fmt: skip
        accent, warning = QColor(theme.color("accent")), QColor(theme.color("warning"))
        faint = QColor(accent)
        faint.setAlpha(70)
        if self.train:
            p.setPen(QPen(faint, 1.2))
            p.drawPolyline(QPolygonF([point(s, v) for s, v in self.train]))
            smoothed = smooth([v for _, v in self.train])
            p.setPen(QPen(accent, 2.2))
            p.drawPolyline(
                QPolygonF([point(s, v) for (s, _), v in zip(self.train, smoothed, strict=True)])
            )
        if self.eval:
            p.setPen(QPen(warning, 2.0))
            pts = [point(s, v) for s, v in self.eval]
            if len(pts) > 1:
                p.drawPolyline(QPolygonF(pts))
            p.setBrush(warning)
            for pt in pts:
                p.drawEllipse(pt, 3.5, 3.5)
        # legend
        x = area.right() - 150
        for color, name in ((accent, self.train_label), (warning, self.eval_label)):
            p.setPen(QPen(color, 3))
            p.drawLine(QPointF(x, area.top() + 12), QPointF(x + 18, area.top() + 12))
            p.setPen(text)
            p.drawText(QRectF(x + 22, area.top() + 4, 60, 18), Qt.AlignmentFlag.AlignLeft, name)
            x += 75
