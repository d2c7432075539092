"""Models: what Ollama has, the details of one, delete it, chat with it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QWidget,
)

from desktop import backend, jobs, theme
from desktop.format import format_bytes, format_modified
from desktop.ollama_monitor import OllamaMonitor
from desktop.settings import SettingsStore
from desktop.widgets import dialogs
from desktop.widgets.common import Card, Notice, Page, ThemedIcons, badge, button, header, label

NAME, FAMILY, PARAMS, SIZE, QUANT, MODIFIED = range(6)


class _SizeItem(QTableWidgetItem):
    """Sorts by bytes, shows "4.7 GB"."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return int(self.data(Qt.ItemDataRole.UserRole) or 0) < int(
            other.data(Qt.ItemDataRole.UserRole) or 0
        )


class ModelsPage(Page):
    chat_requested = Signal(str)

    def __init__(
        self, settings: SettingsStore, monitor: OllamaMonitor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, scroll=False)
        self.settings = settings
        self.monitor = monitor
        self.models: list[Any] = []
        self.details: Any = None
        self._list_job: jobs.GuiJob | None = None
        self._show_job: jobs.GuiJob | None = None
        self.loaded_once = False

        self.title, self.subtitle = QLabel(), QLabel()
        self.refresh_button = button(icon="refresh")
        self.refresh_button.setObjectName("RefreshButton")
        self.refresh_button.clicked.connect(self.refresh)
        self.column.addLayout(header(self.title, self.subtitle, self.refresh_button))

        self.notice = Notice("info")
        self.notice.hide()
        self.notice.action_clicked.connect(self.refresh)
        self.column.addWidget(self.notice)

        self.table = QTableWidget(0, 6)
        self.table.setObjectName("ModelsTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(38)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        head.setHighlightSections(False)
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda *_: self._chat())

        self.details_card = self._build_details()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(14)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details_card)
        splitter.setSizes([300, 380])
        self.column.addWidget(splitter, 1)

        ThemedIcons(self)
        monitor.changed.connect(self._ollama_changed)
        self.retranslate()
        self._show_details(None)

    def _build_details(self) -> Card:
        card = Card(spacing=10)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.detail_name = label(role="h2")
        self.detail_name.setObjectName("DetailName")
        self.detail_badges = [badge(kind="neutral") for _ in range(3)]
        self.chat_button = button(role="primary", icon="chat")
        self.chat_button.setObjectName("ModelChatButton")
        self.chat_button.clicked.connect(self._chat)
        self.delete_button = button(role="danger", icon="trash")
        self.delete_button.setObjectName("DeleteButton")
        self.delete_button.clicked.connect(self._delete)
        top.addWidget(self.detail_name)
        for item in self.detail_badges:
            top.addWidget(item)
        top.addStretch(1)
        top.addWidget(self.chat_button)
        top.addWidget(self.delete_button)
        card.body.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.views: dict[str, QPlainTextEdit] = {}
        for key in ("modelfile", "parameters", "template"):
            view = QPlainTextEdit()
            view.setReadOnly(True)
            view.setProperty("code", True)
            view.setFont(theme.mono_font())
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            self.views[key] = view
            self.tabs.addTab(view, key)
        card.body.addWidget(self.tabs, 1)
        self.empty_details = label(role="muted", wrap=True)
        self.empty_details.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card.body.addWidget(self.empty_details, 1)
        return card

    def retranslate(self) -> None:
        self.title.setText(self.tr("Models"))
        self._update_subtitle()
        self.refresh_button.setText(self.tr("Refresh"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Name"),
                self.tr("Family"),
                self.tr("Parameters"),
                self.tr("Size"),
                self.tr("Quantization"),
                self.tr("Modified"),
            ]
        )
        self.chat_button.setText(self.tr("Chat"))
        self.delete_button.setText(self.tr("Delete"))
        for index, text in enumerate(
            (self.tr("Modelfile"), self.tr("Parameters"), self.tr("Template"))
        ):
            self.tabs.setTabText(index, text)
        self.empty_details.setText(
            self.tr("Select a model to see its Modelfile, parameters and template.")
        )
        self._ollama_changed(self.monitor.state)

    def _update_subtitle(self) -> None:
        state = self.monitor.state
        if state is None:
            self.subtitle.setText(self.tr("The models in your Ollama."))
        else:
            host = state.host.split("://", 1)[-1]
            self.subtitle.setText(self.tr("The models in Ollama at {host}.").format(host=host))

    # -- loading ---------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.loaded_once and self.monitor.running:
            self.refresh()

    def refresh(self) -> None:
        if self._list_job is not None:
            return
        self.refresh_button.setEnabled(False)
        self._list_job = jobs.call(
            backend.list_models,
            self.settings.values.ollama_host,
            owner=self,
            on_result=self._listed,
            on_error=self._list_failed,
            on_ended=self._list_ended,
        )

    def _list_ended(self, _status: str) -> None:
        self._list_job = None
        self.refresh_button.setEnabled(True)

    def _listed(self, models: list[Any]) -> None:
        self.loaded_once = True
        selected = self.selected_name()
        self.models = models
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(models))
        for row, model in enumerate(models):
            size = _SizeItem(format_bytes(model.size))
            size.setData(Qt.ItemDataRole.UserRole, model.size)
            cells = {
                NAME: QTableWidgetItem(model.name),
                FAMILY: QTableWidgetItem(model.family),
                PARAMS: QTableWidgetItem(model.parameter_size),
                SIZE: size,
                QUANT: QTableWidgetItem(model.quantization_level),
                MODIFIED: QTableWidgetItem(format_modified(model.modified_at)),
            }
            cells[NAME].setData(Qt.ItemDataRole.UserRole, model.name)
            for column, item in cells.items():
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        if not models:
            self.notice.show_message(
                "info", self.tr("No models yet. Package one on the Package page.")
            )
        elif self.notice.property("kind") != "down":
            self.notice.hide()
        self.select(selected)
        if self.selected_name() is None:
            self._show_details(None)

    def _list_failed(self, error: Any) -> None:
        self.table.setRowCount(0)
        self._show_details(None)
        self.notice.setProperty("kind", "down")
        self.notice.show_message(
            "error", error.message + ". " + (error.hint or ""), self.tr("Try again")
        )

    def _ollama_changed(self, state: Any) -> None:
        if state is None:
            return
        self._update_subtitle()
        if state.state in ("running", "unsupported"):
            if self.notice.property("kind") == "down":
                self.notice.setProperty("kind", None)
                self.notice.hide()
            if self.isVisible() or not self.loaded_once:
                self.refresh()
        else:
            self.notice.setProperty("kind", "down")
            self.table.setRowCount(0)
            self._show_details(None)
            self.notice.show_message(
                "warning",
                self.tr("Ollama is not running, so there are no models to show."),
                self.tr("Try again"),
            )

    # -- selection and details ---------------------------------------------------------------
    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows(NAME)
        return str(rows[0].data(Qt.ItemDataRole.UserRole)) if rows else None

    def select(self, name: str | None) -> None:
        if name is None:
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, NAME)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(row)
                return

    def _selection_changed(self) -> None:
        name = self.selected_name()
        if name is None:
            self._show_details(None)
            return
        summary = next((m for m in self.models if m.name == name), None)
        self.detail_name.setText(name)
        if summary is not None:
            for item, text in zip(
                self.detail_badges,
                (summary.family, summary.parameter_size, summary.quantization_level),
                strict=True,
            ):
                item.setText(text)
                item.setVisible(bool(text))
        self._show_details(name, loading=True)
        self._show_job = jobs.call(
            backend.show_model,
            self.settings.values.ollama_host,
            name,
            owner=self,
            on_result=self._details_loaded,
            on_error=lambda err: self._details_failed(name, err),
        )

    def _details_loaded(self, details: Any) -> None:
        if details.name != self.selected_name() and not _same(details.name, self.selected_name()):
            return
        self.details = details
        self.views["modelfile"].setPlainText(details.modelfile)
        self.views["parameters"].setPlainText(details.parameters_text or self.tr("(none)"))
        self.views["template"].setPlainText(details.template or self.tr("(none)"))

    def _details_failed(self, name: str, error: Any) -> None:
        if name == self.selected_name():
            self.views["modelfile"].setPlainText(f"{error.message}\n{error.hint or ''}")

    def _show_details(self, name: str | None, *, loading: bool = False) -> None:
        has = name is not None
        self.tabs.setVisible(has)
        self.empty_details.setVisible(not has)
        self.chat_button.setEnabled(has)
        self.delete_button.setEnabled(has)
        if not has:
            self.detail_name.setText(self.tr("No model selected"))
            for item in self.detail_badges:
                item.hide()
        if loading:
            for view in self.views.values():
                view.setPlainText(self.tr("Loading…"))

    # -- actions --------------------------------------------------------------------------------
    def _chat(self) -> None:
        name = self.selected_name()
        if name:
            self.chat_requested.emit(name)

    def _show_error(self, title: str, error: Any) -> None:
        dialogs.error_dialog(self, title, error)

    def _delete(self) -> None:
        name = self.selected_name()
        if not name:
            return
        confirmed = dialogs.confirm(
            self,
            self.tr("Delete model"),
            self.tr("Delete {name} from Ollama?").format(name=name),
            self.tr(
                "The model is removed from Ollama. GGUF files Tuneforge saved stay where they are."
            ),
            self.tr("Delete"),
        )
        if not confirmed:
            return
        self.delete_button.setEnabled(False)
        jobs.call(
            backend.delete_model,
            self.settings.values.ollama_host,
            name,
            owner=self,
            on_result=lambda _r: self.refresh(),
            on_error=lambda err: self._show_error(self.tr("Deleting failed"), err),
            on_ended=lambda _s: self.delete_button.setEnabled(self.selected_name() is not None),
        )


def _same(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    from engine.ollama.names import same_model

    return same_model(a, b)
