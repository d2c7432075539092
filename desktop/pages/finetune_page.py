"""The Fine-tune page: base model + dataset in, a preview and the data check, settings,
a live run (through a :class:`~desktop.train_backend.TrainBackend`), the run history, and
"Package this model" at the end. All engine work runs in jobs (desktop.jobs); the data
check and the training run in child processes, so this process never imports torch."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QTextBrowser,
)

from desktop import finetune_backend as fb
from desktop import jobs
from desktop.pages.finetune_inputs import InputsMixin
from desktop.pages.finetune_options import TrainOptions
from desktop.pages.finetune_remote import RemoteRunsMixin
from desktop.pages.finetune_run import RunPanel, RunsList
from desktop.pages.finetune_where import WherePanel
from desktop.remote_backend import RemoteBackend, remote_of
from desktop.settings import SettingsStore
from desktop.train_backend import LocalBackend, TrainBackend
from desktop.widgets.common import Card, Notice, Page, button, header, label
from desktop.widgets.dialogs import confirm, error_dialog
from desktop.widgets.runtime_setup import offer_runtime_setup


class FinetunePage(RemoteRunsMixin, InputsMixin, Page):
    package_requested = Signal(object, object, str)  # adapter folder, base folder, a name

    def __init__(self, settings: SettingsStore, *, backend: TrainBackend | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.backend: TrainBackend = backend or LocalBackend()  # this computer's
        self.active_backend: TrainBackend = self.backend  # the one the current run uses
        self.remote_factory: Any = RemoteBackend
        self.detached = False
        self.mode = "idle"  # idle | running | stopped | finished | failed
        self.base_path: Path | None = None
        self.run_dir: Path | None = None
        self.check: dict[str, Any] | None = None
        self.error_items: list[dict[str, Any]] = []
        self.fits = True
        self._job: jobs.GuiJob | None = None
        self._check_job: jobs.GuiJob | None = None
        self.title, self.subtitle = label(), label()
        self.column.addLayout(header(self.title, self.subtitle))

        inputs = Card()
        grid = QGridLayout()
        self.base_label, self.data_label, self.name_label = label(), label(), label()
        self.base_edit = QLineEdit()
        self.base_edit.setObjectName("BaseEdit")
        self.base_browse = button()
        self.cached = QComboBox()
        self.cached.setObjectName("CachedModels")
        self.cached.setMinimumContentsLength(18)
        self.download_button = button()
        self.download_button.setObjectName("DownloadBase")
        self.data_edit = QLineEdit()
        self.data_edit.setObjectName("DataEdit")
        self.data_file, self.data_folder = button(), button()
        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("DatasetName")
        base_row, data_row = QHBoxLayout(), QHBoxLayout()
        for w in (self.base_edit, self.base_browse, self.cached, self.download_button):
            base_row.addWidget(w, 1 if w is self.base_edit else 0)
        for w in (self.data_edit, self.data_file, self.data_folder, self.dataset_combo):
            data_row.addWidget(w, 1 if w is self.data_edit else 0)
        grid.addWidget(self.base_label, 0, 0)
        grid.addLayout(base_row, 0, 1)
        grid.addWidget(self.data_label, 1, 0)
        grid.addLayout(data_row, 1, 1)
        inputs.body.addLayout(grid)
        self.input_note = label(role="muted", wrap=True)
        self.input_note.setObjectName("InputNote")
        inputs.body.addWidget(self.input_note)
        self.preview_title = label(role="h3")
        self.preview = QTextBrowser()
        self.preview.setObjectName("Preview")
        self.preview.setMinimumHeight(160)
        self.check_summary = label(wrap=True)
        self.check_summary.setObjectName("CheckSummary")
        self.histogram = label()
        self.histogram.setObjectName("Histogram")
        self.errors = QListWidget()
        self.errors.setObjectName("CheckErrors")
        self.errors.setMaximumHeight(110)
        self.errors.hide()
        self.error_line = QTextBrowser()
        self.error_line.setObjectName("ErrorLine")
        self.error_line.setMaximumHeight(60)
        self.error_line.hide()
        for shown in (self.preview_title, self.preview, self.check_summary, self.histogram,
                      self.errors, self.error_line):  # fmt: skip
            inputs.body.addWidget(shown)
        self.column.addWidget(inputs)

        self.options = TrainOptions()
        self.where = WherePanel(hf_endpoint=lambda: settings.values.hf_endpoint)
        self.options.body.insertWidget(self.options.body.indexOf(self.options.gpu_text), self.where)
        self.column.addWidget(self.options)

        controls = Card()
        row = QHBoxLayout()
        self.start_button = button(role="primary")
        self.start_button.setObjectName("StartTraining")
        self.stop_button = button(role="danger")
        self.stop_button.setObjectName("StopTraining")
        self.resume_button = button()
        self.resume_button.setObjectName("ResumeTraining")
        self.package_button = button(role="primary")
        self.package_button.setObjectName("PackageModel")
        for b in (self.start_button, self.stop_button, self.resume_button, self.package_button):
            row.addWidget(b)
        row.addStretch(1)
        controls.body.addLayout(row)
        self.notice = Notice()
        self.notice.setObjectName("RunNotice")
        self.notice.hide()
        controls.body.addWidget(self.notice)
        self.column.addWidget(controls)
        self.run_panel = RunPanel()
        self.column.addWidget(self.run_panel)
        self.runs = RunsList()
        self.column.addWidget(self.runs)
        self.column.addStretch(1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.refresh_inputs)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(300)
        self._fit_timer.timeout.connect(self._estimate)
        self.base_edit.textChanged.connect(lambda: self._debounce.start())
        self.data_edit.textChanged.connect(lambda: self._debounce.start())
        self.dataset_combo.activated.connect(lambda _i: self._debounce.start())
        self.options.changed.connect(lambda: self._fit_timer.start())
        self.where.changed.connect(self._where_changed)
        self.base_browse.clicked.connect(self._browse_base)
        self.data_file.clicked.connect(self._browse_data_file)
        self.data_folder.clicked.connect(self._browse_data_folder)
        self.cached.activated.connect(self._pick_cached)
        self.download_button.clicked.connect(self._download)
        self.errors.currentRowChanged.connect(self._show_error_line)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.package_button.clicked.connect(self._package)
        self.runs.refresh_requested.connect(self.refresh_runs)
        self.runs.open_requested.connect(self.open_run)
        self.runs.delete_requested.connect(self._delete_run)
        self.retranslate()
        self._update_buttons()

    # -- background start ------------------------------------------------------------------
    def start_background(self) -> None:
        """Ask about this computer's GPU, list the HF cache and earlier runs (all in jobs)."""
        from engine.train.overview import local_gpus

        # conveniences: a failure is logged and the page shows what it has
        jobs.call(local_gpus, owner=self, on_result=self._got_gpus, on_error=jobs.log_error)
        jobs.call(fb.cached_models, owner=self, on_result=self._got_cached, on_error=jobs.log_error)
        self.where.refresh()
        self.refresh_runs()
        self.reattach()

    def _where_changed(self) -> None:
        box = self.where.selected()
        self.options.set_where(on_box=box is not None, box_memory_gb=self.where.gpu_memory_gb())
        self.fits = self.options.set_fit(self.options.estimate)
        self._update_buttons()

    def _got_gpus(self, gpus: list[Any]) -> None:
        self.options.set_gpus(gpus)
        self._estimate()

    def _got_cached(self, models: list[fb.CachedModel]) -> None:
        self.cached.clear()
        self.cached.addItem(self.tr("From the HF cache…"), None)
        for m in models:
            self.cached.addItem(f"{m.repo_id} ({m.size_gb:.1f} GB)", str(m.path))

    def runs_root(self) -> Path:
        return self.settings.output_dir() / "runs"

    # -- running ---------------------------------------------------------------------------
    def new_run_dir(self) -> Path:
        stem = (self.base_path.name if self.base_path else "run")[:40]
        return self.runs_root() / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"

    def start(self) -> None:
        from engine.train.spec import TrainSpec

        data = Path(self.data_edit.text().strip())
        base = self.base_path or self._remote_base_id()
        if base is None or not self.data_edit.text().strip() or self.running:
            return
        if not self.fits and not confirm(self, self.tr("Start training"),
                                         self.tr("This run probably does not fit the GPU memory."),
                                         self.options.fit_text.text(), self.tr("Start anyway")):  # fmt: skip
            return
        names = self.dataset_combo.count() > 0
        spec = TrainSpec(base=base, data=data, out=self.new_run_dir(),
                         dataset=self.dataset_combo.currentText() if names else None,
                         **self.options.spec_fields())  # fmt: skip
        try:
            spec.check()
        except Exception as exc:
            error_dialog(self, self.tr("Check the settings"), exc)
            return
        self.run_dir = Path(spec.out)
        self.run_panel.reset()
        self._launch(spec, self.backend_for_start())

    def _remote_base_id(self) -> Path | None:
        """On a box, a Hugging Face id need not be in the local cache: the box downloads it."""
        text = self.base_edit.text().strip()
        return Path(text) if self.where.selected() and text.count("/") == 1 else None

    def resume(self) -> None:
        if self.run_dir is None or self.running:
            return
        from engine.train.spec import TrainSpec

        self.run_panel.reset()
        base = self.base_path or Path(".")
        spec = replace(TrainSpec(base=base, data=base, out=self.run_dir), resume=True)
        self._launch(spec, self.backend_for(self.run_dir))

    def _launch(self, spec: Any, backend: TrainBackend) -> None:
        if isinstance(backend, LocalBackend) and offer_runtime_setup(self) is not None:
            return  # training here needs the runtime first (issue 16)
        self.spec = spec
        self.active_backend = backend
        self.mode = "running"
        self.run_panel.status = "running"
        self.notice.hide()
        self._job = jobs.start_job(backend.run, spec, owner=self, on_posted=self.on_records,
                                   on_log=lambda text, _lvl: self.run_panel.log.appendPlainText(text),
                                   on_progress=self.run_panel.show_transfer,
                                   on_result=self._finished, on_error=self._failed,
                                   on_cancelled=self._stopped)  # fmt: skip
        self._update_buttons()

    @property
    def running(self) -> bool:
        return self.mode == "running"

    def stop(self) -> None:
        if self._job is not None and self.running:
            self.stop_button.setEnabled(False)
            self.notice.show_message("info", self.tr("Stopping: saving a checkpoint…"))
            self._job.cancel()

    def stop_and_wait(self, seconds: float) -> None:
        """At quit: stop the local run and give it time to write its checkpoint."""
        if self._job is not None and self.running:
            self._job.cancel()
            self._job.wait(seconds)

    def _finished(self, _run_dir: Any) -> None:
        self.forget_run(self.run_dir)
        self._job = None
        self.mode = "finished"
        self._show_notice()
        self._update_buttons()
        self.refresh_runs()

    def _stopped(self) -> None:
        if self.detached:
            return  # the app is closing; the run goes on on the box
        # a box run stopped while uploading: nothing was started there, nothing to resume
        never_started = (
            self.running_remotely and self.run_dir is not None and not remote_of(self.run_dir)
        )
        self.forget_run(self.run_dir)
        self._job = None
        self.mode = "stopped"
        if never_started:
            self.run_dir = None
            self.notice.show_message("info", self.tr("Stopped before training started."))
        else:
            self._show_notice()
        self._update_buttons()
        self.refresh_runs()

    def _failed(self, error: Any) -> None:
        if not self.running_remotely or (getattr(error, "details", None) or {}).get("run_ended"):
            self.forget_run(self.run_dir)  # a lost connection keeps a box run remembered
        self._job = None
        offer_runtime_setup(self, error=error)  # a missing or broken training runtime
        self.mode = "failed"
        self.notice.show_message("error", str(getattr(error, "message", error)))
        self._update_buttons()
        self.refresh_runs()

    def adapter_dir(self) -> Path | None:
        return self.run_dir / "adapter" if self.run_dir is not None else None

    def _package(self) -> None:
        adapter = self.adapter_dir()
        if adapter is None or self.base_path is None:
            return
        data = Path(self.data_edit.text().strip()).stem or "model"
        raw = f"{self.base_path.name}-{data}".lower()
        name = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9.-]+", "-", raw)).strip("-.")[:60]
        self.package_requested.emit(adapter, self.base_path, name)

    def _update_buttons(self) -> None:
        base = self.base_path is not None or self._remote_base_id() is not None
        ready = base and bool(self.data_edit.text().strip())
        self.start_button.setEnabled(ready and not self.running)
        self.stop_button.setVisible(self.running)
        self.stop_button.setEnabled(self.running)
        self.resume_button.setVisible(
            self.mode in ("stopped", "failed") and self.run_dir is not None
        )
        self.package_button.setVisible(self.mode == "finished")

    # -- texts -----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title.setText(self.tr("Fine-tune"))
        self.subtitle.setText(self.tr("Teach a base model your data: pick the model and the "
                                      "dataset, press Start, watch the loss."))  # fmt: skip
        self.base_label.setText(self.tr("Base model"))
        self.data_label.setText(self.tr("Dataset"))
        self.base_edit.setPlaceholderText(self.tr("A model folder, or a Hugging Face id such as "
                                                  "Qwen/Qwen2.5-1.5B-Instruct"))  # fmt: skip
        self.data_edit.setPlaceholderText(self.tr(".json, .jsonl, .csv, .parquet, or a folder "
                                                  "with dataset_info.json"))  # fmt: skip
        self.base_browse.setText(self.tr("Folder…"))
        self.download_button.setText(self.tr("Download"))
        self.data_file.setText(self.tr("File…"))
        self.data_folder.setText(self.tr("Folder…"))
        if self.cached.count():
            self.cached.setItemText(0, self.tr("From the HF cache…"))
        self.preview_title.setText(self.tr("Preview (trained parts highlighted)"))
        self.start_button.setText(self.tr("Start training"))
        self.stop_button.setText(self.tr("Stop"))
        self.resume_button.setText(self.tr("Resume"))
        self.package_button.setText(self.tr("Package this model"))
        if self.check is not None:
            self._show_check(self.check)
        if self.notice.isVisible():
            self._show_notice()

    def _show_notice(self) -> None:
        if self.mode == "finished":
            self.notice.show_message("ok", self.tr("Done. The adapter is in {path}").format(
                path=self.adapter_dir()))  # fmt: skip
        elif self.mode == "stopped":
            self.notice.show_message("info", self.tr("Stopped; a checkpoint is saved. Resume "
                                                     "continues from it."))  # fmt: skip
