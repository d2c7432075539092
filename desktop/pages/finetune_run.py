"""The Fine-tune page's run panel (live chart, numbers, advisor banner, log) and run history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop.widgets.common import Card, Notice, button, label
from desktop.widgets.loss_chart import LossChart
from engine.sizes import format_size


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class RunPanel(Card):
    """Shows one run from its event records (live or replayed from events.jsonl)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label(role="h2")
        self.body.addWidget(self.title)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.stats = label(role="muted", wrap=True)
        self.stats.setObjectName("RunStats")
        self.body.addWidget(self.progress)
        self.body.addWidget(self.stats)
        self.advice = Notice("warning")
        self.advice.setObjectName("AdviceBanner")
        self.advice.hide()
        self.body.addWidget(self.advice)
        self.chart = LossChart()
        self.body.addWidget(self.chart, 1)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.log.setMaximumHeight(110)
        self.body.addWidget(self.log)
        self.advices: list[dict[str, Any]] = []
        self.last_step: dict[str, Any] = {}
        self.status = ""
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Training"))
        self.chart.train_label = self.tr("train")
        self.chart.eval_label = self.tr("eval")
        self._show_stats()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def reset(self) -> None:
        self.chart.clear()
        self.advices, self.last_step, self.status = [], {}, ""
        self.advice.hide()
        self.log.clear()
        self.progress.setValue(0)
        self._show_stats()

    def show_transfer(self, stage: str, done: float, total: float, unit: str) -> None:
        """Byte progress of an upload to a box (Progress events with unit "B") in the bar."""
        if unit != "B" or total <= 0 or self.last_step:
            return
        name = stage.removeprefix("upload ")
        self.progress.setMaximum(1000)
        self.progress.setValue(int(1000 * min(done, total) / total))
        self.stats.setText(self.tr("Uploading {name}: {done} / {total}").format(
            name=name, done=format_size(done), total=format_size(total)))  # fmt: skip

    def add_records(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            kind = r.get("event")
            if kind == "started":
                self.chart.total_steps = int(r.get("total_steps", 0))
                self.progress.setMaximum(max(1, self.chart.total_steps))
                self.progress.setValue(0)
                self.status = "running"
            elif kind == "resumed":
                self.status = "running"
                self.log.appendPlainText(
                    self.tr("Resumed at step {step}").format(step=r.get("step"))
                )
            elif kind == "step":
                self.last_step = r
                self.chart.add_train(int(r["step"]), float(r["loss"]))
                self.progress.setValue(int(r["step"]))
            elif kind == "eval":
                self.chart.add_eval(int(r["step"]), float(r["eval_loss"]))
            elif kind == "advice":
                self.advices.append(r)
                self.advice.show_message(
                    "warning", f"{r.get('message', '')}\n→ {r.get('action', '')}"
                )
            elif kind in ("stopped", "failed", "finished"):
                self.status = str(kind)
                if kind == "stopped":
                    self.log.appendPlainText(self.tr("Stopped at step {step}; a checkpoint is "
                                                     "saved.").format(step=r.get("step")))  # fmt: skip
                elif kind == "failed":
                    self.log.appendPlainText(str(r.get("message", "")))
        self._show_stats()

    def _show_stats(self) -> None:
        r = self.last_step
        if not r:
            self.stats.setText(self.tr("Waiting for the first step…") if self.status else "")
            return
        parts = [
            self.tr("Step {step} of {total}").format(step=r["step"], total=self.chart.total_steps),
            self.tr("epoch {epoch:.2f}").format(epoch=float(r.get("epoch", 0))),
            self.tr("loss {loss:.4f}").format(loss=float(r["loss"])),
            self.tr("{rate:.0f} tokens/s").format(rate=float(r.get("tokens_per_s", 0))),
            self.tr("ETA {eta}").format(eta=_duration(float(r.get("eta_s", 0)))),
        ]
        if "gpu_memory_mb" in r:
            gb = float(r["gpu_memory_mb"]) / 1024
            parts.append(self.tr("GPU memory {gb:.1f} GB").format(gb=gb))
        elif "memory_mb" in r:
            parts.append(self.tr("memory {gb:.1f} GB").format(gb=float(r["memory_mb"]) / 1024))
        self.stats.setText(" · ".join(parts))


class RunsList(Card):
    """Earlier runs (this computer's and those on a box): status, base, dataset, final
    loss, where; open or delete."""

    open_requested = Signal(object)  # run folder
    delete_requested = Signal(object)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        self.title = label(role="h2")
        row.addWidget(self.title, 1)
        self.refresh_button = button(role="link")
        self.open_button = button()
        self.open_button.setObjectName("OpenRun")
        self.delete_button = button(role="danger")
        self.delete_button.setObjectName("DeleteRun")
        for b in (self.refresh_button, self.open_button, self.delete_button):
            row.addWidget(b)
        self.body.addLayout(row)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("RunsTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(150)
        self.body.addWidget(self.table)
        self.runs: list[Any] = []
        self.places: dict[str, str] = {}
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.open_button.clicked.connect(lambda: self._emit(self.open_requested))
        self.delete_button.clicked.connect(lambda: self._emit(self.delete_requested))
        self.table.cellDoubleClicked.connect(lambda *_: self._emit(self.open_requested))
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _emit(self, signal: Any) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.runs):
            signal.emit(self.runs[row].path)

    def status_text(self, status: str) -> str:
        return {"finished": self.tr("finished"), "stopped": self.tr("stopped"),
                "failed": self.tr("failed"), "incomplete": self.tr("running or ended")}.get(status, status)  # fmt: skip

    def set_runs(self, runs: list[Any] | tuple[list[Any], dict[str, str]]) -> None:
        """``runs``, or ``(runs, {run folder: box name})`` for runs on a box."""
        if isinstance(runs, tuple):
            runs, self.places = runs
        self.runs = runs
        self.table.setRowCount(len(runs))
        for i, run in enumerate(runs):
            loss = f"{run.final_loss:.4f}" if run.final_loss is not None else "—"
            box = self.places.get(str(run.path))
            cells = (Path(run.path).name, self.status_text(run.status), Path(run.base).name,
                     Path(run.dataset).name, loss, box or self.tr("This computer"))  # fmt: skip
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(run.path) if j == 0 else text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Runs"))
        self.refresh_button.setText(self.tr("Refresh"))
        self.open_button.setText(self.tr("Open"))
        self.delete_button.setText(self.tr("Delete"))
        self.table.setHorizontalHeaderLabels([self.tr("Run"), self.tr("Status"), self.tr("Base model"),
                                              self.tr("Dataset"), self.tr("Final loss"),
                                              self.tr("Where")])  # fmt: skip
        self.set_runs(self.runs)
