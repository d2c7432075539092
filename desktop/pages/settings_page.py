"""Settings: Ollama address, folders, Hugging Face mirror, language and theme. Saved as you go."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from desktop import backend, jobs
from desktop.i18n import LANGUAGE_NAMES
from desktop.settings import LANGUAGES, THEMES, SettingsStore, default_output_dir
from desktop.widgets.common import Card, Page, ThemedIcons, button, header, label, set_prop
from desktop.widgets.runtime_settings import RuntimeSettingsCard
from engine.logfile import log_path


class SettingsPage(Page):
    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        values = settings.values
        self.card_titles: list[QLabel] = []
        self.title, self.subtitle = QLabel(), QLabel()
        self.column.addLayout(header(self.title, self.subtitle))

        # Ollama
        self.ollama_card, grid = self._card()
        self.host_label = label(role="key")
        self.host_edit = QLineEdit(values.ollama_host)
        self.host_edit.setObjectName("HostEdit")
        self.host_edit.editingFinished.connect(self._host_done)
        self.test_button = button(icon="refresh")
        self.test_button.setObjectName("TestHostButton")
        self.test_button.clicked.connect(self.test_host)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.host_edit, 1)
        row.addWidget(self.test_button)
        self.host_result = label(role="muted", wrap=True)
        self.host_result.setObjectName("HostResult")
        self.host_result.hide()
        grid.addWidget(self.host_label, 0, 0)
        grid.addLayout(row, 0, 1)
        grid.addWidget(self.host_result, 1, 1)

        # Files
        self.files_card, grid = self._card()
        self.output_label = label(role="key")
        self.output_edit = QLineEdit(values.output_dir)
        self.output_edit.setObjectName("OutputEdit")
        self.output_edit.editingFinished.connect(
            lambda: self._save("output_dir", self.output_edit.text().strip())
        )
        self.output_button = button(icon="folder")
        self.output_button.clicked.connect(lambda: self._browse(self.output_edit, "output_dir"))
        grid.addWidget(self.output_label, 0, 0)
        grid.addLayout(self._with_button(self.output_edit, self.output_button), 0, 1)

        # Hugging Face
        self.hf_card, grid = self._card()
        self.endpoint_label = label(role="key")
        self.endpoint_edit = QLineEdit(values.hf_endpoint)
        self.endpoint_edit.setObjectName("EndpointEdit")
        self.endpoint_edit.editingFinished.connect(
            lambda: self._save("hf_endpoint", self.endpoint_edit.text().strip().rstrip("/"))
        )
        self.cache_label = label(role="key")
        self.cache_edit = QLineEdit(values.hf_cache_dir)
        self.cache_edit.setObjectName("CacheEdit")
        self.cache_edit.editingFinished.connect(
            lambda: self._save("hf_cache_dir", self.cache_edit.text().strip())
        )
        self.cache_button = button(icon="folder")
        self.cache_button.clicked.connect(lambda: self._browse(self.cache_edit, "hf_cache_dir"))
        self.hf_note = label(role="faint", wrap=True)
        grid.addWidget(self.endpoint_label, 0, 0)
        grid.addWidget(self.endpoint_edit, 0, 1)
        grid.addWidget(self.cache_label, 1, 0)
        grid.addLayout(self._with_button(self.cache_edit, self.cache_button), 1, 1)
        grid.addWidget(self.hf_note, 2, 1)

        # Appearance
        self.look_card, grid = self._card()
        self.language_label = label(role="key")
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("LanguageCombo")
        for code in LANGUAGES:
            self.language_combo.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language_combo.setCurrentIndex(LANGUAGES.index(values.language))
        self.language_combo.currentIndexChanged.connect(
            lambda: self._save("language", self.language_combo.currentData())
        )
        self.theme_label = label(role="key")
        self.theme_combo = QComboBox()
        self.theme_combo.setObjectName("ThemeCombo")
        for code in THEMES:
            self.theme_combo.addItem(code, code)
        self.theme_combo.setCurrentIndex(THEMES.index(values.theme))
        self.theme_combo.currentIndexChanged.connect(
            lambda: self._save("theme", self.theme_combo.currentData())
        )
        grid.addWidget(self.language_label, 0, 0)
        grid.addWidget(self.language_combo, 0, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.theme_label, 1, 0)
        grid.addWidget(self.theme_combo, 1, 1, Qt.AlignmentFlag.AlignLeft)
        self.language_combo.setMinimumWidth(220)
        self.theme_combo.setMinimumWidth(220)

        self.runtime_card = RuntimeSettingsCard(settings)  # training on this PC (issue 16)
        self.column.addWidget(self.runtime_card)

        self.saved_note = label(role="faint", wrap=True)
        self.column.addWidget(self.saved_note)
        self.log_note = label(role="faint", wrap=True)
        self.log_note.setObjectName("LogNote")
        self.log_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.column.addWidget(self.log_note)
        self.column.addStretch(1)
        ThemedIcons(self)
        settings.changed.connect(self._sync)
        self.retranslate()

    def _card(self) -> tuple[Card, QGridLayout]:
        card = Card(spacing=12)
        title = label(role="h2")
        card.body.addWidget(title)
        self.card_titles.append(title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        grid.setColumnMinimumWidth(0, 170)
        grid.setColumnStretch(1, 1)
        card.body.addLayout(grid)
        self.column.addWidget(card)
        return card, grid

    @staticmethod
    def _with_button(edit: QLineEdit, btn: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(edit, 1)
        row.addWidget(btn)
        return row

    def retranslate(self) -> None:
        self.title.setText(self.tr("Settings"))
        self.subtitle.setText(self.tr("Changes are saved as you make them."))
        titles = (
            self.tr("Ollama"),
            self.tr("Files"),
            self.tr("Hugging Face"),
            self.tr("Appearance"),
        )
        for title_label, text in zip(self.card_titles, titles, strict=True):
            title_label.setText(text)
        self.host_label.setText(self.tr("Address"))
        self.host_edit.setPlaceholderText(
            self.tr("Default: {host} (or the OLLAMA_HOST variable)").format(
                host=backend.DEFAULT_HOST_LABEL
            )
        )
        self.test_button.setText(self.tr("Test"))
        self.output_label.setText(self.tr("Output folder"))
        self.output_edit.setPlaceholderText(str(default_output_dir()))
        self.output_button.setText(self.tr("Browse…"))
        self.endpoint_label.setText(self.tr("Endpoint (mirror)"))
        self.endpoint_edit.setPlaceholderText(
            self.tr("Default: https://huggingface.co — e.g. https://hf-mirror.com")
        )
        self.cache_label.setText(self.tr("Cache folder"))
        self.cache_edit.setPlaceholderText(
            self.tr("Default: the Hugging Face cache in your user folder")
        )
        self.cache_button.setText(self.tr("Browse…"))
        self.hf_note.setText(
            self.tr(
                "Used when an adapter's base model has to be downloaded. A mirror helps where huggingface.co is slow."
            )
        )
        self.language_label.setText(self.tr("Language"))
        self.language_combo.setItemText(0, self.tr("System default"))
        self.theme_label.setText(self.tr("Theme"))
        for index, text in enumerate(
            (self.tr("System default"), self.tr("Light"), self.tr("Dark"))
        ):
            self.theme_combo.setItemText(index, text)
        self.saved_note.setText(self.tr("Settings file: {path}").format(path=self.settings.path))
        log_file = log_path("app")
        self.log_note.setText(self.tr("Log file: {path}").format(path=log_file))

    def _sync(self, key: str) -> None:
        """Show a value changed elsewhere (e.g. the output folder on the Package page)."""
        edits = {
            "ollama_host": self.host_edit,
            "output_dir": self.output_edit,
            "hf_endpoint": self.endpoint_edit,
            "hf_cache_dir": self.cache_edit,
        }
        edit = edits.get(key)
        if edit is not None and edit.text() != self.settings.get(key) and not edit.hasFocus():
            edit.setText(self.settings.get(key))

    # -- saving ------------------------------------------------------------------------------
    def _save(self, key: str, value: Any) -> None:
        if self.settings.get(key) != value:
            self.settings.update(**{key: value})

    def _browse(self, edit: QLineEdit, key: str) -> None:
        start = edit.text() or str(self.settings.output_dir())
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder"), start)
        if folder:
            edit.setText(folder)
            self._save(key, folder)

    def _host_done(self) -> None:
        self._save("ollama_host", self.host_edit.text().strip())

    def test_host(self) -> None:
        self._host_done()
        self.test_button.setEnabled(False)
        set_prop(self.host_result, "role", "muted")
        self.host_result.setText(self.tr("Connecting…"))
        self.host_result.show()
        jobs.call(
            backend.ollama_state,
            self.settings.values.ollama_host,
            owner=self,
            on_result=self._tested,
            on_error=lambda err: self._tested(None, err),
            on_ended=lambda _s: self.test_button.setEnabled(True),
        )

    def _tested(self, state: Any, error: Any = None) -> None:
        if state is not None and state.state == "running":
            set_prop(self.host_result, "role", "ok")
            self.host_result.setText(
                self.tr("✓ Ollama {version} answers at {host}").format(
                    version=state.version, host=state.host
                )
            )
        else:
            set_prop(self.host_result, "role", "error")
            message = state.message if state is not None else getattr(error, "message", str(error))
            self.host_result.setText(message)
