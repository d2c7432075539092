"""The big "drop a model here" area, with folder and file pickers."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop import theme
from desktop.widgets.common import button, label, set_prop
from desktop.widgets.retranslate import Retranslating


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files/folders in a drag (URLs from other apps are ignored)."""
    if not mime.hasUrls():
        return []
    return [
        Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()
    ]


class DropZone(Retranslating, QFrame):
    """Emits ``path_chosen`` with the dropped or picked file/folder."""

    path_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.setMinimumHeight(300)
        column = QVBoxLayout(self)
        column.setContentsMargins(32, 40, 32, 36)
        column.setSpacing(10)
        column.addStretch(1)
        self._icon = QLabel()
        self._icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = label()
        self.title.setObjectName("DropTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.subtitle = label(role="muted", wrap=True)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self._icon)
        column.addSpacing(6)
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        column.addSpacing(14)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        self.folder_button = button(role="primary", icon="folder")
        self.file_button = button(icon="file")
        self.folder_button.clicked.connect(self.pick_folder)
        self.file_button.clicked.connect(self.pick_file)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addStretch(1)
        theme.notifier.changed.connect(self.refresh_icons)
        self.refresh_icons()
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Drop a model folder, LoRA adapter or .gguf"))
        self.subtitle.setText(self.tr("Drop it anywhere on this window, or choose it here."))
        self.folder_button.setText(self.tr("Choose folder…"))
        self.file_button.setText(self.tr("Choose .gguf file…"))

    def refresh_icons(self, *_args: object) -> None:
        self._icon.setPixmap(theme.svg_pixmap("upload", 52, theme.color("accent")))
        self.folder_button.setIcon(theme.icon("folder", "accent_text"))
        self.file_button.setIcon(theme.icon("file"))

    # -- pickers (native dialogs) ------------------------------------------------------
    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a model or adapter folder"))
        if folder:
            self.path_chosen.emit(Path(folder))

    def pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Choose a GGUF file"),
            "",
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.path_chosen.emit(Path(path))

    # -- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            set_prop(self, "hover", True)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        set_prop(self, "hover", False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        set_prop(self, "hover", False)
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.path_chosen.emit(paths[0])


class SourceKinds(Retranslating, QWidget):
    """Three small cards under the drop zone: what each kind of source is and what happens."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        self._tiles: list[tuple[QLabel, QLabel, QLabel, str]] = []
        for icon_name in ("package", "sparkle", "file"):
            tile = QFrame()
            tile.setProperty("card", True)
            column = QVBoxLayout(tile)
            column.setContentsMargins(16, 14, 16, 14)
            column.setSpacing(6)
            top = QHBoxLayout()
            top.setSpacing(8)
            icon = QLabel()
            title = label(role="h3")
            top.addWidget(icon)
            top.addWidget(title, 1)
            text = label(role="muted", wrap=True)
            column.addLayout(top)
            column.addWidget(text)
            column.addStretch(1)
            row.addWidget(tile, 1)
            self._tiles.append((icon, title, text, icon_name))
        theme.notifier.changed.connect(self.refresh_icons)
        self.refresh_icons()
        self.retranslate()

    def retranslate(self) -> None:
        texts = (
            (
                self.tr("Model folder"),
                self.tr(
                    "A merged model, e.g. from LLaMA-Factory's export: converted and quantized to GGUF."
                ),
            ),
            (
                self.tr("LoRA adapter"),
                self.tr("Merged into its base model first, then converted like a model folder."),
            ),
            (
                self.tr("GGUF file"),
                self.tr("Already converted: registered in Ollama with the right chat template."),
            ),
        )
        for (_icon, title, text, _name), (title_text, body) in zip(self._tiles, texts, strict=True):
            title.setText(title_text)
            text.setText(body)

    def refresh_icons(self, *_args: object) -> None:
        for icon, _title, _text, name in self._tiles:
            icon.setPixmap(theme.svg_pixmap(name, 18, theme.color("accent")))
