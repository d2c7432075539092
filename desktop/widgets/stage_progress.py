"""Progress of a multi-stage job: one row per stage with a bar, speed and time left."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from desktop import theme
from desktop.format import RateMeter, format_amount, format_duration, format_rate
from desktop.widgets.common import Card, label, set_prop
from desktop.widgets.retranslate import Retranslating

PENDING, ACTIVE, DONE, FAILED, STOPPED = "pending", "active", "done", "failed", "stopped"
SKIPPED = "skipped"
_ICONS = {
    PENDING: ("circle", "faint"),
    ACTIVE: ("dot", "accent"),
    DONE: ("check-circle", "success"),
    FAILED: ("x-circle", "danger"),
    STOPPED: ("stop", "faint"),
    SKIPPED: ("circle", "faint"),
}


class _Stage:
    def __init__(self, key: str, title: str) -> None:
        self.key = key
        self.title = title
        self.state = PENDING
        self.meter = RateMeter()
        self.done = 0.0
        self.total = 0.0
        self.unit = ""
        self.seconds: float | None = None  # how long it took, once done
        self.reason = ""  # why it was skipped or failed, in words
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        self.name = label(title, "value")
        self.detail = label(role="faint")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)


class StageProgress(Retranslating, Card):
    """Rows are declared with :meth:`set_stages`; unknown stage keys get a row of their own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=0)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(6)
        self.grid.setColumnStretch(1, 0)
        self.grid.setColumnStretch(2, 1)
        self.grid.setColumnMinimumWidth(1, 170)
        self.body.addLayout(self.grid)
        self._stages: list[_Stage] = []
        theme.notifier.changed.connect(self._refresh_icons)

    def retranslate(self) -> None:
        for stage in self._stages:
            self._render(stage)

    # -- API ---------------------------------------------------------------------------
    def set_stages(self, stages: list[tuple[str, str]]) -> None:
        for stage in self._stages:
            for widget in (stage.icon, stage.name, stage.detail, stage.bar):
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self._stages = []
        for key, title in stages:
            self._add(key, title)

    def rename(self, key: str, title: str) -> None:
        stage = self._find(key)
        if stage is not None:
            stage.title = title
            stage.name.setText(title)

    def stage_keys(self) -> list[str]:
        return [s.key for s in self._stages]

    def state_of(self, key: str) -> str | None:
        stage = self._find(key)
        return stage.state if stage else None

    def update_stage(self, key: str, done: float, total: float, unit: str = "") -> None:
        stage = self._find(key)
        if stage is None:
            # A stage nobody declared (e.g. a base-model download): show it where the
            # work is now, before the stages still waiting.
            waiting = [i for i, s in enumerate(self._stages) if s.state == PENDING]
            stage = self._add(key, key, at=waiting[0] if waiting else None)
        index = self._stages.index(stage)
        for earlier in self._stages[:index]:
            if earlier.state in (PENDING, ACTIVE):
                self._set_state(earlier, DONE)
        if stage.state != ACTIVE:
            stage.meter = RateMeter()
            self._set_state(stage, ACTIVE)
        stage.done, stage.total, stage.unit = done, total, unit
        stage.meter.update(done)
        if total > 0:
            stage.bar.setRange(0, 1000)
            stage.bar.setValue(int(1000 * min(1.0, done / total)))
        else:
            stage.bar.setRange(0, 0)  # busy indicator: size unknown
        self._render(stage)

    def finish(
        self,
        *,
        skipped: dict[str, str] | None = None,
        failed: dict[str, str] | None = None,
    ) -> None:
        """The job succeeded. ``skipped`` stages (key → why) did not run and say so;
        ``failed`` ones (a check that found a problem) are never green; every other stage
        that started or was passed over is done."""
        skipped, failed = skipped or {}, failed or {}
        for stage in self._stages:
            if stage.key in failed:
                stage.reason = failed[stage.key]
                self._set_state(stage, FAILED)
            elif stage.key in skipped:
                stage.reason = skipped[stage.key]
                self._set_state(stage, SKIPPED)
            elif stage.state != FAILED:
                self._set_state(stage, DONE)
            stage.bar.setRange(0, 1000)
            stage.bar.setValue(1000 if stage.state == DONE else 0)
            self._render(stage)

    def fail(self) -> None:
        active = [s for s in self._stages if s.state == ACTIVE] or self._stages[:1]
        for stage in active:
            self._set_state(stage, FAILED)
            if stage.bar.maximum() == 0:
                stage.bar.setRange(0, 1000)
            self._render(stage)

    def stop(self) -> None:
        for stage in self._stages:
            if stage.state in (ACTIVE, PENDING):
                self._set_state(stage, STOPPED)
                if stage.bar.maximum() == 0:
                    stage.bar.setRange(0, 1000)
                self._render(stage)

    # -- internals -----------------------------------------------------------------------
    def _find(self, key: str) -> _Stage | None:
        return next((s for s in self._stages if s.key == key), None)

    def _add(self, key: str, title: str, at: int | None = None) -> _Stage:
        stage = _Stage(key, title)
        self._stages.insert(len(self._stages) if at is None else at, stage)
        self._layout_rows()
        self._set_state(stage, PENDING)
        self._render(stage)
        return stage

    def _layout_rows(self) -> None:
        for stage in self._stages:
            for widget in (stage.icon, stage.name, stage.detail, stage.bar):
                self.grid.removeWidget(widget)
        for index, stage in enumerate(self._stages):
            row = index * 3  # title row, bar row, gap row
            self.grid.addWidget(stage.icon, row, 0, Qt.AlignmentFlag.AlignVCenter)
            self.grid.addWidget(stage.name, row, 1)
            self.grid.addWidget(stage.detail, row, 2)
            self.grid.addWidget(stage.bar, row + 1, 1, 1, 2)
            self.grid.setRowMinimumHeight(row + 2, 6)

    def _set_state(self, stage: _Stage, state: str) -> None:
        if state == DONE and stage.state != DONE:
            stage.seconds = stage.meter.elapsed() if stage.state == ACTIVE else 0.0
        stage.state = state
        set_prop(stage.bar, "state", state)
        set_prop(stage.name, "role", "value" if state in (ACTIVE, DONE, FAILED) else "muted")
        name, token = _ICONS[state]
        stage.icon.setPixmap(theme.svg_pixmap(name, 20, theme.color(token)))

    def _refresh_icons(self, *_args: object) -> None:
        for stage in self._stages:
            self._set_state(stage, stage.state)

    def _render(self, stage: _Stage) -> None:
        stage.detail.setText(self.detail_text(stage))

    def detail_text(self, stage: _Stage) -> str:
        if stage.state == PENDING:
            return self.tr("waiting")
        if stage.state == STOPPED:
            return self.tr("stopped")
        if stage.state == SKIPPED:
            return (
                self.tr("skipped ({why})").format(why=stage.reason)
                if stage.reason
                else (self.tr("skipped"))
            )
        if stage.state == FAILED:
            if stage.reason:
                return self.tr("failed ({why})").format(why=stage.reason)
            return self.tr("failed")
        if stage.state == DONE:
            seconds = stage.seconds or 0.0
            if seconds < 1:
                return self.tr("done")
            return self.tr("done in {time}").format(time=format_duration(seconds))
        parts = []
        if stage.total > 0:
            parts.append(
                self.tr("{done} of {total}").format(
                    done=format_amount(stage.done, stage.unit),
                    total=format_amount(stage.total, stage.unit),
                )
            )
        elif stage.done:
            parts.append(format_amount(stage.done, stage.unit))
        if stage.meter.rate:
            parts.append(format_rate(stage.meter.rate, stage.unit))
        left = stage.meter.seconds_left(stage.done, stage.total)
        if left is not None:
            parts.append(self.tr("{time} left").format(time=format_duration(left)))
        return " · ".join(parts) or self.tr("working…")
