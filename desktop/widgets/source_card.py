"""What ``inspect`` found about the dropped source, as a card of facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import theme
from desktop.format import format_bytes, format_params
from desktop.widgets.common import Card, badge, button, label, set_prop
from desktop.widgets.retranslate import Retranslating

COLUMNS = 3


class SourceCard(Retranslating, Card):
    """Shows an ``engine.inspect.InspectReport``; ``change_requested`` = pick another."""

    change_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=16)
        self._report: Any = None
        top = QHBoxLayout()
        top.setSpacing(12)
        self._icon = QLabel()
        self._icon.setFixedSize(40, 40)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        names = QVBoxLayout()
        names.setSpacing(2)
        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        self.name = label(role="h2")
        self.kind = badge(kind="accent")
        title_row.addWidget(self.name)
        title_row.addWidget(self.kind)
        title_row.addStretch(1)
        self.path = label(role="faint", selectable=True)
        self.path.setWordWrap(True)
        names.addLayout(title_row)
        names.addWidget(self.path)
        self.change = button(role="link")
        self.change.clicked.connect(self.change_requested)
        top.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(names, 1)
        top.addWidget(self.change, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(top)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(14)
        self.body.addLayout(self.grid)
        self.warnings = label(role="warning", wrap=True)
        self.warnings.hide()
        self.body.addWidget(self.warnings)
        theme.notifier.changed.connect(self._refresh_icon)
        self.retranslate()

    def retranslate(self) -> None:
        self.change.setText(self.tr("Choose another…"))
        if self._report is not None:
            self.set_report(self._report)

    def _refresh_icon(self, *_args: object) -> None:
        kind = getattr(self._report, "kind", "hf_model")
        name = {"gguf": "file", "lora_adapter": "sparkle"}.get(kind, "package")
        self._icon.setPixmap(theme.svg_pixmap(name, 30, theme.color("accent")))

    # -- content -------------------------------------------------------------------------
    def set_report(self, report: Any) -> None:
        self._report = report
        path = Path(report.path)
        self.name.setText(path.name or str(path))
        self.path.setText(str(path))
        kinds = {
            "hf_model": self.tr("Model folder"),
            "lora_adapter": self.tr("LoRA adapter"),
            "gguf": self.tr("GGUF file"),
        }
        self.kind.setText(kinds.get(report.kind, report.kind))
        self._fill(self.facts(report))
        notes = list(report.warnings)
        model = report.model
        if model is not None and not model.supported:
            notes.insert(
                0,
                self.tr("Tuneforge cannot convert the {arch} architecture yet.").format(
                    arch=model.architecture
                ),
            )
        self.warnings.setText("\n".join(f"⚠ {w}" for w in notes))
        self.warnings.setVisible(bool(notes))
        self._refresh_icon()

    def facts(self, report: Any) -> list[tuple[str, str]]:
        """(label, value) pairs shown for the report, in order."""
        unknown = self.tr("unknown")
        if report.kind == "hf_model" and report.model is not None:
            m = report.model
            return [
                (self.tr("Architecture"), m.architecture),
                (self.tr("Parameters"), format_params(m.parameters)),
                (self.tr("Size on disk"), format_bytes(m.disk_bytes)),
                (self.tr("Weights"), m.dtype),
                (self.tr("Tokenizer"), _tokenizer_name(m.tokenizer) or unknown),
                (
                    self.tr("Chat template"),
                    self._template_text(m.chat_template, m.chat_template_family),
                ),
                (
                    self.tr("Context length"),
                    f"{m.context_length:,}" if m.context_length else unknown,
                ),
                (self.tr("Layers"), str(m.layers) if m.layers else unknown),
                (self.tr("Vocabulary"), f"{m.vocab_size:,}" if m.vocab_size else unknown),
            ]
        if report.kind == "lora_adapter" and report.adapter is not None:
            a = report.adapter
            base = a.base_found or self.tr("not found on this computer")
            rank = f"r={a.rank}" if a.rank is not None else unknown
            if a.alpha is not None:
                rank += f", α={a.alpha:g}"
            return [
                (self.tr("Adapter"), a.peft_type + (" (DoRA)" if a.use_dora else "")),
                (self.tr("Rank"), rank),
                (self.tr("Trainable parameters"), format_params(a.parameters)),
                (self.tr("Base model"), a.base_model or unknown),
                (self.tr("Base folder"), base),
                (self.tr("Size on disk"), format_bytes(a.disk_bytes)),
            ]
        if report.kind == "gguf" and report.gguf is not None:
            g = report.gguf
            return [
                (self.tr("Architecture"), g.architecture or unknown),
                (self.tr("Parameters"), format_params(g.parameters)),
                (self.tr("Size on disk"), format_bytes(g.disk_bytes)),
                (self.tr("Quantization"), g.file_type or unknown),
                (self.tr("Tokenizer"), _tokenizer_name(g.tokenizer) or unknown),
                (
                    self.tr("Chat template"),
                    self._template_text(g.chat_template, g.chat_template_family),
                ),
                (
                    self.tr("Context length"),
                    f"{g.context_length:,}" if g.context_length else unknown,
                ),
            ]
        return []

    def _template_text(self, present: bool, family: str | None) -> str:
        if not present:
            return self.tr("none")
        return family or self.tr("custom")

    def _fill(self, facts: list[tuple[str, str]]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for index, (key, value) in enumerate(facts):
            cell = QWidget()
            stack = QVBoxLayout(cell)
            stack.setContentsMargins(0, 0, 0, 0)
            stack.setSpacing(2)
            key_label = label(key, "faint")
            value_label = label(value, "value", selectable=True)
            value_label.setWordWrap(True)
            if value in (
                self.tr("unknown"),
                self.tr("not found on this computer"),
                self.tr("none"),
            ):
                set_prop(value_label, "role", "muted")
            stack.addWidget(key_label)
            stack.addWidget(value_label)
            self.grid.addWidget(cell, index // COLUMNS, index % COLUMNS, Qt.AlignmentFlag.AlignTop)
        for column in range(COLUMNS):
            self.grid.setColumnStretch(column, 1)


def _tokenizer_name(kind: str | None) -> str | None:
    return {
        "bpe": "BPE",
        "gpt2": "BPE (GPT-2)",
        "sentencepiece": "SentencePiece",
        "llama": "SentencePiece",
        "wordpiece": "WordPiece",
        "unigram": "Unigram",
    }.get(kind or "", kind)
