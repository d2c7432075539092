"""The Chat page's model picker: Ollama models and local GGUF files in one list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from desktop.widgets.retranslate import Retranslating


class ModelPicker(Retranslating, QComboBox):
    """Items carry ``"ollama:NAME"`` or ``"gguf:PATH"`` (strings compare reliably in findData).

    A model chosen before the Ollama list arrives (``select_ollama``) stays chosen, and
    local GGUF files survive every refresh of the Ollama list.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wanted: str | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.setPlaceholderText(self.tr("No model yet"))
        for index in range(self.count()):
            key = self.itemData(index)
            if isinstance(key, str) and key.startswith("gguf:"):
                self.setItemText(index, self._local_text(key))

    @staticmethod
    def key(kind: str, value: str) -> str:
        return f"{kind}:{value}"

    def _local_text(self, key: str) -> str:
        return self.tr("{name} (local GGUF)").format(name=Path(key.partition(":")[2]).name)

    def current_target(self) -> tuple[str, str] | None:
        """``("ollama", name)`` or ``("gguf", path)`` of the selected model."""
        key = self.currentData()
        if not isinstance(key, str) or ":" not in key:
            return None
        kind, _, value = key.partition(":")
        return kind, value

    def set_ollama_models(self, models: list[Any]) -> None:
        """Replace the Ollama entries (``ModelSummary`` list); keep local GGUFs and the choice."""
        current = self.currentData()
        keys = [self.itemData(i) for i in range(self.count())]
        local = [k for k in keys if isinstance(k, str) and k.startswith("gguf:")]
        self.blockSignals(True)
        self.clear()
        for model in models:
            self.addItem(model.name, self.key("ollama", model.name))
        for key in local:
            self.addItem(self._local_text(key), key)
        wanted = self.key("ollama", self._wanted) if self._wanted else current
        index = self.findData(wanted) if wanted else -1
        if index < 0 and self._wanted:  # not listed (yet): keep it selectable anyway
            self.addItem(self._wanted, wanted)
            index = self.count() - 1
        self.setCurrentIndex(index if index >= 0 else (0 if self.count() else -1))
        self.blockSignals(False)
        self._wanted = None
        self.currentIndexChanged.emit(self.currentIndex())

    def select_ollama(self, name: str) -> bool:
        """Select an Ollama model; False when it is not listed yet (it is added meanwhile)."""
        key = self.key("ollama", name)
        index = self.findData(key)
        listed = index >= 0
        if not listed:
            self._wanted = name
            self.addItem(name, key)
            index = self.count() - 1
        self.setCurrentIndex(index)
        return listed

    def add_local(self, path: Path) -> None:
        key = self.key("gguf", str(path))
        index = self.findData(key)
        if index < 0:
            self.addItem(self._local_text(key), key)
            index = self.count() - 1
        self.setCurrentIndex(index)
