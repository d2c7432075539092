""" "Set up training on this PC": the preflight results, then the runtime install with its
progress (sizes), Cancel, and what to do when something is wrong. Shown by the Fine-tune
page when training needs the runtime and by Settings (Set up / Repair)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QProgressBar, QVBoxLayout, QWidget

from desktop import jobs
from desktop.widgets.common import button, label, set_prop
from desktop.widgets.retranslate import Retranslating
from engine.sizes import format_size


def run_preflight_plain() -> Any:
    from engine.runtime.preflight import run_preflight

    return run_preflight()


class RuntimeSetupPanel(Retranslating, QWidget):
    """Check this PC → Install (or Repair) → progress → done. Emits ``changed`` when the
    runtime was installed, repaired or an install stopped."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, repair: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("RuntimeSetupPanel")
        self.repair = repair
        self.report: Any = None
        self.job: jobs.GuiJob | None = None
        self.state = "idle"  # idle | checking | checked | installing | installed | stopped | failed
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.title = label(role="h2")
        self.intro = label(role="muted", wrap=True)
        self.checks = label(wrap=True, selectable=True)
        self.checks.setObjectName("RuntimeChecks")
        self.problems = label(wrap=True, selectable=True)
        self.problems.setObjectName("RuntimeProblems")
        set_prop(self.problems, "role", "error")
        self.progress = QProgressBar()
        self.progress.setObjectName("RuntimeProgress")
        self.progress.setRange(0, 1000)
        self.progress_text = label(role="muted")
        self.progress_text.setObjectName("RuntimeProgressText")
        self.last_log = label(role="faint", wrap=True)
        self.result = label(wrap=True, selectable=True)
        self.result.setObjectName("RuntimeResult")
        self.check_button = button(icon="refresh")
        self.check_button.setObjectName("RuntimeCheckButton")
        self.install_button = button(role="primary")
        self.install_button.setObjectName("RuntimeInstallButton")
        self.cancel_button = button()
        self.cancel_button.setObjectName("RuntimeCancelButton")
        self.check_button.clicked.connect(self.check)
        self.install_button.clicked.connect(self.install)
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.install_button)
        for widget in (self.title, self.intro, self.checks, self.problems, self.progress,
                       self.progress_text, self.last_log, self.result):  # fmt: skip
            layout.addWidget(widget)
        layout.addLayout(row)
        self.retranslate()
        self._show()

    # -- actions ---------------------------------------------------------------------
    def check(self) -> None:
        self.state = "checking"
        self._show()
        jobs.call(run_preflight_plain, owner=self, on_result=self._checked,
                  on_error=self._failed)  # fmt: skip

    def install(self, spec: Any = None) -> None:
        from engine.runtime.install import RuntimeInstallSpec, install_runtime

        if spec is None:
            tag = self.report.build.tag if self.report is not None and self.report.build else "auto"
            spec = RuntimeInstallSpec(cuda=tag, repair=self.repair)
        self.state = "installing"
        self.progress.setValue(0)
        self.progress_text.setText("")
        self.last_log.setText("")
        self.result.setText("")
        self._show()
        self.job = jobs.start_job(install_runtime, spec, owner=self, on_progress=self._progress,
                                  on_log=lambda text, _lvl: self.last_log.setText(text),
                                  on_result=self._installed, on_error=self._failed,
                                  on_cancelled=self._stopped)  # fmt: skip

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.cancel_button.setEnabled(False)

    # -- results ---------------------------------------------------------------------
    def _checked(self, report: Any) -> None:
        self.report = report
        self.state = "checked"
        lines = [self.tr("GPU: {name} ({memory})").format(name=g.name, memory=format_size(g.memory_mb * 2**20))
                 for g in report.driver.gpus]  # fmt: skip
        if not lines:
            lines.append(self.tr("GPU: no NVIDIA GPU found"))
        if report.driver.driver:
            lines.append(self.tr("Driver: {driver} (runs CUDA up to {cuda})").format(
                driver=report.driver.driver, cuda=report.driver.cuda or "?"))  # fmt: skip
        if report.build is not None:
            kind = self.tr("CPU only") if not report.build.is_cuda else f"CUDA {report.build.cuda}"
            lines.append(
                self.tr("PyTorch to install: {torch} ({kind})").format(
                    torch=report.build.torch, kind=kind
                )
            )
        lines.append(self.tr("Disk: {free} free, about {needed} needed in {path}").format(
            free=format_size(report.free_bytes), needed=format_size(report.needed_bytes), path=report.path))  # fmt: skip
        self.checks.setText("\n".join(lines))
        self.problems.setText("\n\n".join(f"{p.message}\n→ {p.hint}" for p in report.problems))
        set_prop(self.problems, "role", "error" if not report.ok else "warning")
        self._show()

    def _progress(self, _stage: str, done: float, total: float, _unit: str) -> None:
        if total > 0:
            self.progress.setValue(int(1000 * min(1.0, done / total)))
        self.progress_text.setText(self.tr("{done} of about {total}").format(
            done=format_size(done), total=format_size(total)))  # fmt: skip

    def _installed(self, status: Any) -> None:
        self.job = None
        self.state = "installed"
        self.progress.setValue(1000)
        torch = status.torch or "?"
        where = f"CUDA {status.cuda}" if status.cuda else self.tr("CPU")
        self.result.setText(
            self.tr("✓ Training runtime ready: PyTorch {torch} ({where}).").format(
                torch=torch, where=where
            )
        )
        set_prop(self.result, "role", "ok")
        self._show()
        self.changed.emit()

    def _stopped(self) -> None:
        self.job = None
        self.state = "stopped"
        self.result.setText(
            self.tr(
                "Stopped. Install again to continue where it stopped; what was downloaded is kept."
            )
        )
        set_prop(self.result, "role", "muted")
        self._show()
        self.changed.emit()

    def _failed(self, error: Any) -> None:
        self.job = None
        self.state = "failed"
        message = str(getattr(error, "message", error))
        hint = getattr(error, "hint", None)
        self.result.setText(message + (f"\n→ {hint}" if hint else ""))
        set_prop(self.result, "role", "error")
        self._show()
        self.changed.emit()

    # -- view ------------------------------------------------------------------------
    def _show(self) -> None:
        installing = self.state == "installing"
        self.checks.setVisible(self.report is not None)
        self.problems.setVisible(bool(self.report is not None and self.report.problems))
        self.progress.setVisible(installing or self.state in ("installed", "stopped"))
        self.progress_text.setVisible(installing)
        self.last_log.setVisible(installing)
        self.result.setVisible(self.state in ("installed", "stopped", "failed"))
        self.check_button.setEnabled(not installing and self.state != "checking")
        blocked = self.report is not None and not self.report.ok
        self.install_button.setEnabled(
            not installing and self.state not in ("checking", "installed") and not blocked
        )
        self.cancel_button.setVisible(installing)
        self.cancel_button.setEnabled(installing)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Set up training on this PC"))
        self.intro.setText(self.tr(
            "Training needs PyTorch for your graphics card, which is too large to ship with the app. "
            "Tuneforge installs it once into its data folder (a few GB; the download can be stopped "
            "and continued later)."))  # fmt: skip
        self.check_button.setText(self.tr("Check this PC"))
        self.install_button.setText(self.tr("Repair") if self.repair else self.tr("Install"))
        self.cancel_button.setText(self.tr("Cancel"))


class RuntimeSetupDialog(QDialog):
    """The panel in a window of its own; it checks the PC as it opens."""

    def __init__(self, parent: QWidget | None = None, *, repair: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("RuntimeSetupDialog")
        self.setMinimumWidth(560)
        self.panel = RuntimeSetupPanel(self, repair=repair)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(self.panel)
        self.setWindowTitle(self.panel.title.text())
        self.panel.check()

    def reject(self) -> None:
        self.panel.cancel()  # closing the window stops the install (it continues next time)
        super().reject()


def runtime_needed_and_missing() -> bool:
    """Training here needs the runtime (no torch in this app) and it is not installed. Reads
    two small files; the imports are checked when training starts."""
    from engine.runtime.status import runtime_status
    from engine.runtime.use import needs_runtime

    return needs_runtime() and not runtime_status(check_imports=False, with_size=False).installed


def offer_runtime_setup(parent: QWidget, *, error: Any = None) -> RuntimeSetupDialog | None:
    """The Fine-tune page's hook: open the setup window when training on this PC needs the
    runtime (before a run, or when a run failed with ``runtime_missing``)."""
    if error is not None:
        if getattr(error, "code", None) != "runtime_missing":
            return None
    elif not runtime_needed_and_missing():
        return None
    dialog = RuntimeSetupDialog(
        parent.window(), repair=error is not None and "broken" in str(error)
    )
    dialog.open()
    return dialog
