"""The Package page's run: the form as a ``PackageSpec``, asking what to do when Ollama is
not there, the package job's progress and outcome, and what comes after it (chat, folder).

A mixin of :class:`~desktop.pages.package_page.PackagePage` (uses its widgets and state);
its texts keep the ``PackagePage`` translation context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop import backend, jobs, system
from desktop.widgets.dialogs import error_dialog
from engine.jobs import Stage

EMPTY, INSPECTING, READY, RUNNING, DONE = "empty", "inspecting", "ready", "running", "done"


class PackageRunMixin:
    """Mixed into :class:`~desktop.pages.package_page.PackagePage`."""

    settings: Any
    monitor: Any
    prepared: Any
    request: Any
    outcome: Any
    job: Any
    ask_box: QMessageBox | None
    options: Any
    notice: Any
    progress: Any
    stages: Any
    result: Any
    chat_requested: Any
    local_chat_requested: Any
    model_created: Any
    _needs_base: Any
    _notice_action: Any
    _set_mode: Any
    stage_titles: Any

    def _widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    def step_verdicts(self, outcome: Any) -> tuple[dict[str, str], dict[str, str]]:
        """Which steps did not run (and why), which checks failed: never shown as done."""
        skipped: dict[str, str] = {}
        failed: dict[str, str] = {}
        if not outcome.registered:
            asked = self.request is None or self.request.register
            why = (
                QCoreApplication.translate("PackagePage", "Ollama was not reachable")
                if asked
                else QCoreApplication.translate("PackagePage", "files only")
            )
            skipped.update(upload=why, create=why)
        if outcome.smoke_ok is None:
            asked = self.request is None or self.request.smoke
            skipped["smoke"] = (
                QCoreApplication.translate("PackagePage", "could not run")
                if asked
                else QCoreApplication.translate("PackagePage", "not asked for")
            )
        elif outcome.smoke_ok is False:
            failed["smoke"] = QCoreApplication.translate("PackagePage", "the reply had problems")
        return skipped, failed

    # -- running ---------------------------------------------------------------------------
    def build_request(self, *, register: bool = True) -> Any:
        """The form as the engine's ``PackageSpec`` (None while it is not complete)."""
        name = self.options.validate_name()
        if self.prepared is None or name is None or self._needs_base():
            return None
        values = self.options.form_values()
        base = self.prepared.base_report
        return backend.package_spec(
            source=Path(self.prepared.report.path),
            name=name,
            quant_type=values["quant_type"],
            output_dir=self.settings.output_dir(),
            base_model=Path(base.path) if base is not None else None,
            system=values["system"],
            parameters=values["parameters"],
            host=self.settings.values.ollama_host or None,
            register=register,
        )

    def start_package(self) -> None:
        """The one button: without Ollama, ask first; then run the package job."""
        request = self.build_request()
        if request is None:
            return
        state = self.monitor.state
        if state is not None and state.state not in ("running", "unsupported"):
            self._ask_without_ollama(state)
            return
        self.start(request)

    def _ask_without_ollama(self, state: Any) -> None:
        """Ollama is not there: say so, and offer to start/install it or make the files only."""
        box = QMessageBox(self._widget())
        box.setObjectName("ErrorDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(QCoreApplication.translate("PackagePage", "Ollama is not running"))
        host = state.host.split("://", 1)[-1]
        if state.state == "missing":
            box.setText(
                QCoreApplication.translate(
                    "PackagePage", "Ollama is not installed (nothing answers at {host})."
                ).format(host=host)
            )
            box.setInformativeText(
                QCoreApplication.translate(
                    "PackagePage",
                    "Install Ollama from {url} and click Create again — or create the GGUF and Modelfile now and register them later.",
                ).format(url=system.OLLAMA_DOWNLOAD_URL)
            )
            fix = box.addButton(
                QCoreApplication.translate("PackagePage", "Download Ollama"),
                QMessageBox.ButtonRole.ActionRole,
            )
        else:
            box.setText(
                QCoreApplication.translate(
                    "PackagePage", "Ollama is not running (nothing answers at {host})."
                ).format(host=host)
            )
            box.setInformativeText(
                QCoreApplication.translate(
                    "PackagePage",
                    "Start Ollama and click Create again — or create the GGUF and Modelfile now and register them later.",
                )
            )
            fix = box.addButton(
                QCoreApplication.translate("PackagePage", "Start Ollama"),
                QMessageBox.ButtonRole.ActionRole,
            )
            fix.setEnabled(state.program is not None)
        files_only = box.addButton(
            QCoreApplication.translate("PackagePage", "Create files only"),
            QMessageBox.ButtonRole.AcceptRole,
        )
        box.addButton(QMessageBox.StandardButton.Cancel)

        def answered(clicked: Any) -> None:
            if clicked is files_only:
                request = self.build_request(register=False)
                if request is not None:
                    self.start(request)
            elif clicked is fix:
                self._notice_action()

        box.buttonClicked.connect(answered)
        self.ask_box = box
        box.open()

    def start(self, request: Any) -> None:
        """Run ``engine.package.package_job`` for ``request`` (a PackageSpec)."""
        if request.quant_type:
            self.settings.update(quant_type=request.quant_type)
        self.request, self.outcome = request, None
        assert self.prepared is not None
        titles = self.stage_titles(self.prepared.kind)
        self.stages.set_stages([(key, titles[key]) for key in self.prepared.stages])
        self.progress.title.setText(
            QCoreApplication.translate("PackagePage", "Creating {name}").format(name=request.name)
        )
        self.progress.set_log("")
        self.progress.idle()
        self.notice.hide()
        self._set_mode(RUNNING)
        self.job = jobs.start_job(
            backend.package_job,
            request,
            owner=self._widget(),
            on_progress=self._progress,
            on_log=self._log,
            on_result=self._finished,
            on_error=self._failed,
            on_cancelled=self._cancelled,
        )

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.progress.cancelling()

    def _progress(self, stage: str, done: float, total: float, unit: str) -> None:
        rows = self.prepared.stages if self.request and self.prepared else ()
        if stage in set(Stage) and stage not in rows:
            return  # e.g. the instant "merge" step of a source that needs none
        self.stages.update_stage(stage, done, total, unit)

    def _log(self, text: str, level: str) -> None:
        if level != "debug":
            self.progress.set_log(text)

    def _finished(self, outcome: Any) -> None:
        self.job = None
        self.outcome = outcome
        skipped, failed = self.step_verdicts(outcome)
        self.stages.finish(skipped=skipped, failed=failed)
        self.progress.title.setText(QCoreApplication.translate("PackagePage", "Steps"))
        self.progress.set_log("")
        self._set_mode(DONE)
        self.result.show_outcome(outcome)
        if outcome.registered:
            self.model_created.emit(outcome.name)

    def _failed(self, error: Any) -> None:
        self.job = None
        self.stages.fail()
        self._set_mode(READY)
        self.progress.show()  # which stage failed stays visible under the options
        error_dialog(
            self._widget(),
            QCoreApplication.translate("PackagePage", "Creating the model failed"),
            error,
        )

    def _cancelled(self) -> None:
        self.job = None
        self.stages.stop()
        self._set_mode(READY)
        self.progress.hide()
        self.notice.setProperty("ollama", False)
        self.notice.show_message(
            "info",
            QCoreApplication.translate(
                "PackagePage", "Cancelled. No partial files were left behind."
            ),
        )

    # -- the end ---------------------------------------------------------------------------
    def _chat_now(self) -> None:
        if self.outcome is None:
            return
        if self.outcome.registered:
            self.chat_requested.emit(self.outcome.name)
        else:
            self.local_chat_requested.emit(self.outcome.gguf_path)

    def _show_in_folder(self) -> None:
        if self.outcome is not None:
            system.reveal_in_file_manager(self.outcome.gguf_path)


__all__ = ["DONE", "EMPTY", "INSPECTING", "READY", "RUNNING", "PackageRunMixin"]
