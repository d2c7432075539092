"""Parts of the Package page: the sampling parameters and the chat-template panel."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from desktop import theme
from desktop.widgets.collapsible import Collapsible
from desktop.widgets.common import Card, badge, label, pad_spin_box, set_prop
from desktop.widgets.retranslate import Retranslating

DEFAULTS: dict[str, float] = {
    "temperature": 0.7,
    "top_p": 0.9,
    "top_k": 40,
    "repeat_penalty": 1.1,
    "num_ctx": 4096,
}
# generation_config.json names → Ollama PARAMETER names
_FROM_GENERATION = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "repetition_penalty": "repeat_penalty",
}


class ParametersForm(Retranslating, Collapsible):
    """PARAMETER lines for the Modelfile, with the model's own defaults when it has them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        self.spins: dict[str, QDoubleSpinBox | QSpinBox] = {}
        self.labels: dict[str, Any] = {}
        layout = (
            ("temperature", 0.0, 2.0, 0.05, 2),
            ("top_p", 0.0, 1.0, 0.05, 2),
            ("top_k", 0, 1000, 1, 0),
            ("repeat_penalty", 0.5, 2.0, 0.05, 2),
            ("num_ctx", 256, 1_048_576, 1024, 0),
        )
        for index, (key, low, high, step, decimals) in enumerate(layout):
            spin: QDoubleSpinBox | QSpinBox
            if decimals:
                spin = QDoubleSpinBox()
                spin.setDecimals(decimals)
            else:
                spin = QSpinBox()
                spin.setGroupSeparatorShown(True)
            spin.setRange(low, high)  # type: ignore[arg-type]
            spin.setSingleStep(step)  # type: ignore[arg-type]
            spin.setValue(DEFAULTS[key])  # type: ignore[arg-type]
            spin.setFixedWidth(140)
            pad_spin_box(spin)
            spin.setObjectName(f"param_{key}")
            name = label(role="key")
            self.spins[key], self.labels[key] = spin, name
            row, col = divmod(index, 2)
            grid.addWidget(name, row, col * 2)
            grid.addWidget(spin, row, col * 2 + 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnMinimumWidth(0, 130)
        super().__init__(body, expanded=False, parent=parent)
        self.retranslate()

    def retranslate(self) -> None:
        self.setText(self.tr("Parameters"))
        texts = {
            "temperature": (
                self.tr("Temperature"),
                self.tr("Higher is more creative, lower more focused."),
            ),
            "top_p": (
                self.tr("Top P"),
                self.tr("Sample only from the most likely words that add up to this share."),
            ),
            "top_k": (
                self.tr("Top K"),
                self.tr("Sample only from this many most likely words (0 = all)."),
            ),
            "repeat_penalty": (
                self.tr("Repeat penalty"),
                self.tr("Above 1 discourages repeating itself."),
            ),
            "num_ctx": (
                self.tr("Context length"),
                self.tr("How many tokens of conversation the model sees."),
            ),
        }
        for key, (text, tip) in texts.items():
            self.labels[key].setText(text)
            self.labels[key].setToolTip(tip)
            self.spins[key].setToolTip(tip)

    def set_defaults(self, *, generation: dict[str, Any], context_length: int | None) -> None:
        values = dict(DEFAULTS)
        for source, target in _FROM_GENERATION.items():
            value = generation.get(source)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values[target] = value
        if context_length:
            values["num_ctx"] = min(int(DEFAULTS["num_ctx"]), int(context_length))
        for key, value in values.items():
            self.spins[key].setValue(value)  # type: ignore[arg-type]

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, spin in self.spins.items():
            value = spin.value()
            out[key] = int(value) if isinstance(spin, QSpinBox) else round(float(value), 4)
        return out


class TemplatePanel(Retranslating, Card):
    """The Ollama template derived from the model's own chat template, and the proof."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=10)
        self.preview: Any = None
        top = QHBoxLayout()
        self.title = label(role="h2")
        self.parity = badge()
        self.parity.setObjectName("ParityBadge")
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.parity)
        self.body.addLayout(top)
        self.summary = label(role="muted", wrap=True)
        self.difference = label(role="error", wrap=True, selectable=True)
        self.difference.setObjectName("ParityDifference")
        self.body.addWidget(self.summary)
        self.body.addWidget(self.difference)
        self.code = QPlainTextEdit()
        self.code.setReadOnly(True)
        self.code.setProperty("code", True)
        self.code.setFont(theme.mono_font())
        self.code.setFixedHeight(190)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.toggle = Collapsible(self.code)
        self.body.addWidget(self.toggle)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Chat template"))
        self.toggle.setText(self.tr("Show the Ollama template"))
        self.set_preview(self.preview)

    def set_preview(self, preview: Any) -> None:
        self.preview = preview
        if preview is None:
            self.summary.setText(
                self.tr("The chat template is read from the base model once it is chosen.")
            )
            self.parity.setText(self.tr("Not checked"))
            set_prop(self.parity, "badge", "neutral")
            self.difference.hide()
            self.code.setPlainText("")
            return
        family = preview.family or self.tr("custom")
        summary = self.tr("Derived from the model's own chat template (family: {family}).").format(
            family=family
        )
        if preview.stop:
            summary += " " + self.tr("Stops at: {tokens}").format(tokens="  ".join(preview.stop))
        if preview.note:
            summary += " " + preview.note
        self.summary.setText(summary)
        if preview.parity is True:
            self.parity.setText(
                self.tr("✓ Same output on {n} sample conversations").format(n=preview.conversations)
                if preview.conversations
                else self.tr("✓ Same output as the original")
            )
            set_prop(self.parity, "badge", "ok")
        elif preview.parity is False:
            self.parity.setText(self.tr("✗ Differs from the original"))
            set_prop(self.parity, "badge", "error")
        else:
            self.parity.setText(self.tr("Not checked"))
            set_prop(self.parity, "badge", "neutral")
        self.difference.setText(
            self.tr("First difference: {diff}").format(diff=preview.first_difference)
            if preview.parity is False and preview.first_difference
            else ""
        )
        self.difference.setVisible(bool(self.difference.text()))
        self.code.setPlainText(
            preview.template or self.tr("(no template: Ollama will use the GGUF's own)")
        )
