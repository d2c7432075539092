"""Package: drop a source → see what it is → pick name and size → one click to Ollama."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QWidget

from desktop import backend, jobs, system
from desktop.ollama_monitor import OllamaMonitor
from desktop.pages.package_form import TemplatePanel
from desktop.pages.package_options import OptionsCard
from desktop.pages.package_result import ProgressCard, ResultCard
from desktop.pages.package_run import DONE, EMPTY, INSPECTING, READY, RUNNING, PackageRunMixin
from desktop.settings import SettingsStore
from desktop.widgets.common import Card, Notice, Page, ThemedIcons, button, header, label
from desktop.widgets.dialogs import error_dialog
from desktop.widgets.drop_zone import DropZone, SourceKinds
from desktop.widgets.source_card import SourceCard


class PackagePage(PackageRunMixin, Page):
    chat_requested = Signal(str)  # an Ollama model name
    local_chat_requested = Signal(Path)  # a GGUF that is not in Ollama
    model_created = Signal(str)

    def __init__(
        self, settings: SettingsStore, monitor: OllamaMonitor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.monitor = monitor
        self.mode = EMPTY
        self.prepared: Any = None  # an engine.package.PreparedSource
        self.base_model: Path | None = None
        self._suggested_name: str | None = None  # from Fine-tune, set once inspected
        self.job: jobs.GuiJob | None = None
        self.request: Any = None  # the engine.package.PackageSpec of the run
        self.outcome: Any = None  # an engine.package.PackageResult
        self._inspect_job: jobs.GuiJob | None = None
        self.ask_box: QMessageBox | None = None

        self.title, self.subtitle = QLabel(), QLabel()
        self.column.addLayout(header(self.title, self.subtitle))
        self.column.addSpacing(4)
        self.drop_zone = DropZone()
        self.drop_zone.setMaximumHeight(460)
        self.drop_zone.path_chosen.connect(self.load_path)
        self.column.addWidget(self.drop_zone, 3)
        self.source_kinds = SourceKinds()
        self.column.addWidget(self.source_kinds)

        self.inspecting = Card()
        self.inspecting_text = label(role="muted")
        busy = QProgressBar()
        busy.setRange(0, 0)
        self.inspecting.body.addWidget(self.inspecting_text)
        self.inspecting.body.addWidget(busy)
        self.column.addWidget(self.inspecting)

        self.source_card = SourceCard()
        self.source_card.change_requested.connect(self.reset)
        self.options = OptionsCard(settings)
        self.options.changed.connect(self._update_create)
        self.options.base_chosen.connect(self._base_chosen)
        self.template_panel = TemplatePanel()
        self.notice = Notice("info")
        self.notice.action_clicked.connect(self._notice_action)
        for widget in (self.source_card, self.options, self.template_panel, self.notice):
            self.column.addWidget(widget)

        self.create_row = QWidget()
        row = QHBoxLayout(self.create_row)
        row.setContentsMargins(0, 4, 0, 4)
        self.create_caption = label(role="muted", wrap=True)
        self.create_button = button(role="primary", icon="play")
        self.create_button.setObjectName("CreateButton")
        self.create_button.setMinimumHeight(42)
        self.create_button.clicked.connect(self.start_package)
        row.addWidget(self.create_caption, 1)
        row.addWidget(self.create_button)
        self.column.addWidget(self.create_row)

        self.progress = ProgressCard()
        self.progress.cancel_clicked.connect(self.cancel)
        self.stages = self.progress.stages
        self.result = ResultCard()
        self.result.chat_clicked.connect(self._chat_now)
        self.result.folder_clicked.connect(self._show_in_folder)
        self.result.again_clicked.connect(self.reset)
        self.column.addWidget(self.result)  # when done, what next comes first
        self.column.addWidget(self.progress)
        self.column.addStretch(1)

        ThemedIcons(self)
        monitor.changed.connect(self._ollama_changed)
        self.retranslate()
        self._set_mode(EMPTY)

    # -- texts -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.title.setText(self.tr("Package a model"))
        self.subtitle.setText(
            self.tr(
                "Turn a fine-tuned model, a LoRA adapter or a GGUF file into your own Ollama model."
            )
        )
        self.inspecting_text.setText(self.tr("Reading the model…"))
        self.create_button.setText(self.tr("Create in Ollama"))
        if self.request is not None:
            creating = self.tr("Creating {name}").format(name=self.request.name)
            self.progress.title.setText(self.tr("Steps") if self.mode == DONE else creating)
            titles = self.stage_titles(self.prepared.kind if self.prepared else "")
            for key in self.stages.stage_keys():
                self.stages.rename(key, titles.get(key, key))
        self._update_create()
        self._ollama_changed(self.monitor.state)

    def stage_titles(self, kind: str) -> dict[str, str]:
        return {
            "merge": self.tr("Merge adapter into the base model"),
            "convert": self.tr("Copy the GGUF")
            if kind == "gguf"
            else self.tr("Convert and quantize to GGUF"),
            "modelfile": self.tr("Write the Modelfile and check the template"),
            "upload": self.tr("Upload to Ollama"),
            "create": self.tr("Create the model"),
            "smoke": self.tr("Smoke chat"),
        }

    # -- modes -------------------------------------------------------------------------
    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        has_source = mode in (READY, RUNNING, DONE)
        self.drop_zone.setVisible(mode == EMPTY)
        self.source_kinds.setVisible(mode == EMPTY)
        self.inspecting.setVisible(mode == INSPECTING)
        self.source_card.setVisible(has_source)
        for widget in (self.options, self.template_panel):  # while it works: the progress only
            widget.setVisible(mode == READY)
        self.create_row.setVisible(mode == READY)
        self.progress.setVisible(mode in (RUNNING, DONE))
        self.result.setVisible(mode == DONE)
        self.options.setEnabled(mode == READY)
        self.source_card.change.setEnabled(mode != RUNNING)
        self.progress.cancel_button.setVisible(mode == RUNNING)
        if mode in (EMPTY, INSPECTING):
            self.notice.hide()
        self._update_create()

    def reset(self) -> None:
        """Back to the drop zone (not while a job runs)."""
        if self.mode == RUNNING:
            return
        self.prepared = self.outcome = self.request = None
        self.base_model = None
        self._set_mode(EMPTY)

    # -- loading a source ----------------------------------------------------------------
    def load_adapter(self, adapter: Path, base: Path, name: str) -> None:
        """From Fine-tune: a trained adapter with its base model and a suggested name."""
        self._suggested_name = name
        self.load_path(adapter, base=base)

    def load_path(self, path: Path, *, base: Path | None = None) -> None:
        """Inspect ``path`` (dropped or picked) in the background."""
        if self.mode == RUNNING:
            self.notice.show_message(
                "warning", self.tr("Wait for the current model to finish, or cancel it first.")
            )
            return
        if self._inspect_job is not None:
            self._inspect_job.cancel()
        same = self.prepared is not None and Path(self.prepared.report.path) == Path(path)
        if not same or base is not None:
            self.base_model = base
        self.inspecting_text.setText(self.tr("Reading {path}…").format(path=Path(path).name))
        self.outcome = None
        self._set_mode(INSPECTING)
        self._inspect_job = jobs.call(
            backend.prepare_source,
            Path(path),
            self.base_model,
            owner=self,
            on_result=self._prepared,
            on_error=self._inspect_failed,
        )

    def _prepared(self, prepared: Any) -> None:
        self._inspect_job = None
        keep_name = self.prepared is not None and self.prepared.report.path == prepared.report.path
        self.prepared = prepared
        self.source_card.set_report(prepared.report)
        self.options.set_source(prepared, keep_name=keep_name)
        self.template_panel.set_preview(prepared.template)
        name, self._suggested_name = self._suggested_name, None
        if name:
            self.options.name_edit.setText(name)
        self._set_mode(READY)
        self._ollama_changed(self.monitor.state)

    def _inspect_failed(self, error: Any) -> None:
        self._inspect_job = None
        self._set_mode(EMPTY if self.prepared is None else READY)
        error_dialog(self, self.tr("This cannot be packaged"), error)

    def _base_chosen(self, folder: Path) -> None:
        if self.prepared is not None:
            self.base_model = folder
            self.load_path(Path(self.prepared.report.path))

    # -- readiness -----------------------------------------------------------------------
    def _needs_base(self) -> bool:
        p = self.prepared
        return p is not None and p.needs_base

    def _update_create(self) -> None:
        ready = (
            self.mode == READY and self.options.valid_name is not None and not self._needs_base()
        )
        self.create_button.setEnabled(ready)
        if self.prepared is None:
            self.create_caption.setText("")
        elif self._needs_base():
            self.create_caption.setText(
                self.tr("Choose the base model folder first: the adapter is merged into it.")
            )
        else:
            self.create_caption.setText(
                self.tr(
                    "Saves the GGUF and Modelfile in {folder}, registers {name} in Ollama and says hello to it."
                ).format(
                    folder=self.options.package_output_dir(),
                    name=self.options.valid_name or self.tr("the model"),
                )
            )

    def _ollama_changed(self, state: Any) -> None:
        if self.mode != READY or state is None:
            return
        if state.state == "running":
            if self.notice.property("ollama"):
                self.notice.hide()
            return
        self.notice.setProperty("ollama", True)
        if state.state == "stopped":
            self.notice.show_message(
                "warning",
                self.tr("Ollama is not running. Start it before you create the model."),
                self.tr("Start Ollama") if state.program is not None else None,
            )
        elif state.state == "unsupported":
            self.notice.show_message(
                "warning",
                self.tr("Ollama {version} is too old; update it first.").format(
                    version=state.version
                ),
                self.tr("Download Ollama"),
            )
        else:
            self.notice.show_message(
                "warning",
                self.tr("Ollama is not installed. Install it to create and chat with your model."),
                self.tr("Download Ollama"),
            )

    def _notice_action(self) -> None:
        state = self.monitor.state
        if state is not None and state.state == "stopped" and state.program is not None:
            system.start_ollama(state.program)
            QTimer.singleShot(1500, self.monitor.poll_now)
        else:
            QDesktopServices.openUrl(QUrl(system.OLLAMA_DOWNLOAD_URL))
