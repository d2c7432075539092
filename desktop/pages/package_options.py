"""The Package page's options: name + tag (validated live), size/quality, base model,
system prompt, output folder, parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop import backend
from desktop.engine_texts import engine_text
from desktop.format import format_bytes
from desktop.pages.package_form import ParametersForm
from desktop.settings import SettingsStore
from desktop.widgets.common import Card, button, label, set_prop
from desktop.widgets.retranslate import Retranslating


class OptionsCard(Retranslating, Card):
    changed = Signal()  # the name's validity or the base model changed
    base_chosen = Signal(Path)

    def __init__(self, settings: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=14)
        self.settings = settings
        self.prepared: Any = None  # an engine.package.PreparedSource
        self.valid_name: str | None = None
        self.title = label(role="h2")
        self.body.addWidget(self.title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnMinimumWidth(0, 130)

        self.name_label = label(role="key")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("NameEdit")
        self.tag_edit = QLineEdit("latest")
        self.tag_edit.setObjectName("TagEdit")
        self.tag_edit.setFixedWidth(150)
        name_row = QHBoxLayout()
        name_row.setSpacing(6)
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(label(":", "muted"))
        name_row.addWidget(self.tag_edit)
        self.name_status = label(wrap=True)
        self.name_status.setObjectName("NameStatus")
        for edit in (self.name_edit, self.tag_edit):
            edit.textChanged.connect(self.validate_name)
        grid.addWidget(self.name_label, 0, 0, Qt.AlignmentFlag.AlignVCenter)
        grid.addLayout(name_row, 0, 1)
        grid.addWidget(self.name_status, 1, 1)
        grid.setRowMinimumHeight(2, 8)

        self.quant_label = label(role="key")
        self.quant_combo = QComboBox()
        self.quant_combo.setObjectName("QuantCombo")
        self.quant_combo.currentIndexChanged.connect(self._quant_changed)
        self.quant_help = label(role="muted", wrap=True)
        grid.addWidget(self.quant_label, 3, 0, Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.quant_combo, 3, 1)
        grid.addWidget(self.quant_help, 4, 1)
        grid.setRowMinimumHeight(5, 8)

        self.base_label = label(role="key")
        self.base_edit = QLineEdit()
        self.base_edit.setReadOnly(True)
        self.base_button = button(icon="folder")
        self.base_button.clicked.connect(self._pick_base)
        base_row = QHBoxLayout()
        base_row.setSpacing(6)
        base_row.addWidget(self.base_edit, 1)
        base_row.addWidget(self.base_button)
        self.base_widgets = (self.base_label, self.base_edit, self.base_button)
        grid.addWidget(self.base_label, 6, 0, Qt.AlignmentFlag.AlignVCenter)
        grid.addLayout(base_row, 6, 1)

        self.system_label = label(role="key")
        self.system_edit = QPlainTextEdit()
        self.system_edit.setObjectName("SystemPrompt")
        self.system_edit.setFixedHeight(74)
        grid.addWidget(self.system_label, 7, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.system_edit, 7, 1)

        self.output_label = label(role="key")
        self.output_path = label(role="muted", selectable=True)
        self.output_path.setWordWrap(True)
        self.output_button = button(role="link")
        self.output_button.clicked.connect(self._pick_output)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output_path, 1)
        out_row.addWidget(self.output_button)
        grid.addWidget(self.output_label, 8, 0, Qt.AlignmentFlag.AlignVCenter)
        grid.addLayout(out_row, 8, 1)
        self.body.addLayout(grid)

        self.parameters = ParametersForm()
        self.body.addWidget(self.parameters)
        settings.changed.connect(self._setting_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Options"))
        self.name_label.setText(self.tr("Model name"))
        self.name_edit.setPlaceholderText(self.tr("e.g. my-assistant"))
        self.tag_edit.setPlaceholderText(self.tr("tag"))
        self.quant_label.setText(self.tr("Size / quality"))
        self.base_label.setText(self.tr("Base model"))
        self.base_edit.setPlaceholderText(
            self.tr("The folder of the model this adapter was trained on")
        )
        self.base_button.setText(self.tr("Choose…"))
        self.system_label.setText(self.tr("System prompt"))
        self.system_edit.setPlaceholderText(
            self.tr("Optional. How the model should behave, e.g. “You are a helpful assistant.”")
        )
        self.output_label.setText(self.tr("Output folder"))
        self.output_button.setText(self.tr("Change…"))
        self._show_output()
        if self.prepared is not None:
            index = self.quant_combo.currentIndex()
            self._fill_quant(self.prepared, keep=index)
        self.validate_name()

    # -- content -------------------------------------------------------------------------
    def set_source(self, prepared: Any, *, keep_name: bool) -> None:
        """Show an ``engine.package.PreparedSource``."""
        self.prepared = prepared
        report = prepared.report
        if not keep_name:
            self.name_edit.setText(prepared.suggested_name)
            self.tag_edit.setText("latest")
        self._fill_quant(prepared)
        is_adapter = prepared.kind == "lora_adapter"
        for widget in self.base_widgets:
            widget.setVisible(is_adapter)
        base = prepared.base_report
        self.base_edit.setText(base.path if is_adapter and base is not None else "")
        defaults_from = base if is_adapter else report
        info = getattr(defaults_from, "model", None) if defaults_from is not None else None
        gguf = getattr(report, "gguf", None)
        self.parameters.set_defaults(
            generation=getattr(info, "generation_defaults", {}) or {},
            context_length=getattr(info, "context_length", None)
            or getattr(gguf, "context_length", None),
        )
        self.validate_name()

    def quant_type(self) -> str | None:
        choice = self.quant_combo.currentData()
        return choice.file_type.name if choice is not None else None  # None: kept as it is

    def package_output_dir(self) -> Path:
        name = self.valid_name or "model"
        from engine.package import safe_file_stem

        return self.settings.output_dir() / safe_file_stem(name)

    # -- quant ---------------------------------------------------------------------------
    def _fill_quant(self, prepared: Any, keep: int | None = None) -> None:
        """The engine's quant choices with their exact sizes; a GGUF source is kept as it
        is unless another type is picked (re-quantizing an unquantized GGUF)."""
        self.quant_combo.blockSignals(True)
        self.quant_combo.clear()
        pick = 0
        if prepared.kind == "gguf":
            kept = prepared.kept_file_type or "GGUF"
            self.quant_combo.addItem(self.tr("Keep as it is ({type})").format(type=kept), None)
        remembered = self.settings.values.quant_type if prepared.kind != "gguf" else None
        for choice in prepared.quant_choices:
            self.quant_combo.addItem(self._quant_text(choice), choice)
            index = self.quant_combo.count() - 1
            if prepared.kind != "gguf" and (
                (choice.recommended and not remembered) or choice.file_type.name == remembered
            ):
                pick = index
        self.quant_combo.setEnabled(self.quant_combo.count() > 1)
        if self.quant_combo.count() == 0:
            self.quant_combo.addItem(engine_text(prepared.quant_note) or "—", None)
        self.quant_combo.setCurrentIndex(pick if keep is None or keep < 0 else keep)
        self.quant_combo.blockSignals(False)
        self._quant_changed()

    def _quant_text(self, choice: Any) -> str:
        """An ``engine.quant.QuantChoice`` as a picker row (its size is exact)."""
        parts = [choice.file_type.name, format_bytes(choice.output_bytes)]
        if choice.recommended:
            parts.append(self.tr("recommended"))
        return "  ·  ".join(parts)

    def _quant_changed(self, *_args: object) -> None:
        choice = self.quant_combo.currentData()
        if choice is not None:
            text = engine_text(choice.file_type.recommendation)
            if choice.recommended and choice.reason:
                text += "\n" + self.tr("Recommended for this model — {reason}.").format(
                    reason=engine_text(choice.reason)
                )
            self.quant_help.setText(text)
        elif self.prepared is not None and self.prepared.kind == "gguf":
            self.quant_help.setText(self.tr("A GGUF file is registered exactly as it is."))
        else:
            self.quant_help.setText("")

    # -- name ------------------------------------------------------------------------------
    def validate_name(self, *_args: object) -> str | None:
        """Check name:tag with Ollama's rules (pure string check); show the verdict."""
        if self.prepared is None:
            self.name_status.setText("")
            self.valid_name = None
            return None
        name, problem = backend.check_model_name(self.name_edit.text(), self.tag_edit.text())
        self.valid_name = name
        set_prop(self.name_edit, "invalid", problem is not None)
        if problem is not None:
            set_prop(self.name_status, "role", "error")
            self.name_status.setText(problem)
        else:
            set_prop(self.name_status, "role", "ok")
            self.name_status.setText(
                self.tr("✓ Will be created in Ollama as {name}").format(name=name)
            )
        self._show_output()
        self.changed.emit()
        return name

    # -- folders ---------------------------------------------------------------------------
    def _show_output(self) -> None:
        self.output_path.setText(
            str(self.package_output_dir() if self.valid_name else self.settings.output_dir())
        )

    def _pick_base(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose the base model folder"))
        if folder:
            self.base_chosen.emit(Path(folder))

    def _pick_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Choose where GGUF files are saved"), str(self.settings.output_dir())
        )
        if folder:
            self.settings.update(output_dir=folder)

    def _setting_changed(self, key: str) -> None:
        if key == "output_dir":
            self._show_output()
            self.changed.emit()

    def form_values(self) -> dict[str, Any]:
        return {
            "system": self.system_edit.toPlainText().strip(),
            "parameters": self.parameters.values(),
            "quant_type": self.quant_type(),
        }
