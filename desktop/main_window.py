"""The main window: sidebar navigation, the five pages, the Ollama status bar, window-wide drops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n, jobs, system, theme
from desktop.ollama_monitor import OllamaMonitor
from desktop.pages.chat_page import ChatPage
from desktop.pages.finetune_page import FinetunePage
from desktop.pages.models_page import ModelsPage
from desktop.pages.package_page import PackagePage
from desktop.pages.settings_page import SettingsPage
from desktop.settings import SettingsStore, apply_environment
from desktop.widgets.dialogs import confirm
from desktop.widgets.drop_zone import DropZone, local_paths
from desktop.widgets.ollama_status import OllamaStatus
from desktop.widgets.retranslate import Retranslating

PAGES = ("finetune", "package", "models", "chat", "settings")
_ICONS = {
    "finetune": "sparkle",
    "package": "package",
    "models": "models",
    "chat": "chat",
    "settings": "settings",
}
SIDEBAR_WIDTH = 212


class MainWindow(Retranslating, QMainWindow):
    def __init__(self, settings: SettingsStore) -> None:
        super().__init__()
        self.settings = settings
        self.setObjectName("MainWindow")
        self.setMinimumSize(960, 660)
        self.monitor = OllamaMonitor(settings, self)

        self.finetune_page = FinetunePage(settings)
        self.package_page = PackagePage(settings, self.monitor)
        self.models_page = ModelsPage(settings, self.monitor)
        self.chat_page = ChatPage(settings, self.monitor)
        self.settings_page = SettingsPage(settings)
        self.pages: dict[str, QWidget] = {
            "finetune": self.finetune_page,
            "package": self.package_page,
            "models": self.models_page,
            "chat": self.chat_page,
            "settings": self.settings_page,
        }
        self.stack = QStackedWidget()
        for key in PAGES:
            self.stack.addWidget(self.pages[key])

        root = QWidget()
        row = QHBoxLayout(root)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._build_sidebar())
        row.addWidget(self.stack, 1)
        self.setCentralWidget(root)

        self.ollama_status = OllamaStatus()
        self.ollama_status.setObjectName("OllamaStatus")
        self.statusBar().addWidget(self.ollama_status, 1)
        self.statusBar().setSizeGripEnabled(True)
        self.ollama_status.start_requested.connect(self.start_ollama)
        self.ollama_status.download_requested.connect(
            lambda: QDesktopServices.openUrl(QUrl(system.OLLAMA_DOWNLOAD_URL))
        )
        self.monitor.polled.connect(self.ollama_status.set_state)

        self.package_page.chat_requested.connect(self.open_chat)
        self.package_page.local_chat_requested.connect(self.open_local_chat)
        self.package_page.model_created.connect(lambda _name: self.models_page.refresh())
        self.models_page.chat_requested.connect(self.open_chat)
        self.finetune_page.package_requested.connect(self.open_package_adapter)
        settings.changed.connect(self._setting_changed)
        theme.notifier.changed.connect(self._refresh_icons)

        self.setAcceptDrops(True)
        self._route_drops()
        self._refresh_icons()
        self.retranslate()
        self._restore_geometry()
        self.go("finetune")

    # -- construction ------------------------------------------------------------------------
    def _build_sidebar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("Sidebar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar.setFixedWidth(SIDEBAR_WIDTH)
        column = QVBoxLayout(bar)
        column.setContentsMargins(14, 20, 14, 16)
        column.setSpacing(4)
        brand = QHBoxLayout()
        brand.setSpacing(10)
        logo = QLabel()
        logo.setPixmap(theme.svg_pixmap("app", 30, dpr=2.0))
        title = QLabel("Tuneforge")
        title.setObjectName("AppTitle")
        brand.addWidget(logo)
        brand.addWidget(title, 1)
        column.addLayout(brand)
        column.addSpacing(22)
        self.nav_group = QButtonGroup(self)
        self.nav_group.setExclusive(True)
        self.nav: dict[str, QToolButton] = {}
        for key in PAGES:
            btn = QToolButton()
            btn.setObjectName(f"nav_{key}")
            btn.setProperty("nav", True)
            btn.setCheckable(True)
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            btn.setIconSize(QSize(20, 20))
            btn.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            btn.setCursor(Qt.CursorShape.PointingHandCursor)
            btn.clicked.connect(lambda _checked=False, k=key: self.go(k))
            self.nav_group.addButton(btn)
            self.nav[key] = btn
            column.addWidget(btn)
        column.addStretch(1)
        from engine import __version__

        self.version = QLabel(f"v{__version__}")
        self.version.setObjectName("AppVersion")
        column.addWidget(self.version)
        return bar

    def retranslate(self) -> None:
        self.setWindowTitle("Tuneforge")
        names = {
            "finetune": self.tr("Fine-tune"),
            "package": self.tr("Package"),
            "models": self.tr("Models"),
            "chat": self.tr("Chat"),
            "settings": self.tr("Settings"),
        }
        for key, btn in self.nav.items():
            btn.setText(names[key])

    def _refresh_icons(self, *_args: object) -> None:
        for key, btn in self.nav.items():
            btn.setIcon(theme.icon(_ICONS[key], "muted", checked_token="accent"))

    # -- navigation ---------------------------------------------------------------------------
    def go(self, key: str) -> None:
        self.stack.setCurrentWidget(self.pages[key])
        self.nav[key].setChecked(True)

    def current_page(self) -> str:
        widget = self.stack.currentWidget()
        return next(k for k, w in self.pages.items() if w is widget)

    def open_chat(self, name: str) -> None:
        self.chat_page.set_model(name)
        self.go("chat")

    def open_local_chat(self, gguf: Path) -> None:
        self.chat_page.add_local_gguf(Path(gguf))
        self.go("chat")

    def open_source(self, path: Path) -> None:
        """A drop anywhere (or a path on the command line): a dataset opens Fine-tune,
        anything else (a model folder, a GGUF…) is inspected on the Package page."""
        from desktop.finetune_backend import is_dataset_path

        if is_dataset_path(Path(path)):
            self.go("finetune")
            self.finetune_page.set_dataset(Path(path))
            return
        self.go("package")
        self.package_page.load_path(Path(path))

    def open_package_adapter(self, adapter: Path, base: Path, name: str) -> None:
        """From Fine-tune's "Package this model": the adapter, its base and a name."""
        self.go("package")
        self.package_page.load_adapter(Path(adapter), Path(base), name)

    # -- background ---------------------------------------------------------------------------
    def start_background(self) -> None:
        """Start polling Ollama (after the first paint, so the window shows at once)."""
        self.monitor.start()
        self.finetune_page.start_background()

    def start_ollama(self) -> None:
        state = self.monitor.state
        if state is None or state.program is None:
            return
        system.start_ollama(state.program)
        self.ollama_status.set_starting()
        for delay in (800, 2000, 4000):
            QTimer.singleShot(delay, self.monitor.poll_now)

    def _setting_changed(self, key: str) -> None:
        values = self.settings.values
        if key == "language":
            i18n.set_language(values.language)
        elif key == "theme":
            theme.apply_theme(values.theme)
        elif key in ("hf_endpoint", "hf_cache_dir"):
            apply_environment(values)

    # -- drag and drop ---------------------------------------------------------------------------
    def _route_drops(self) -> None:
        """Widgets that take drops themselves (text fields, lists) would swallow a dropped
        folder as text: catch file drops on them and send them to the Package page too.
        Everything else passes drops up to this window."""
        takers = (QLineEdit, QAbstractScrollArea, QAbstractSpinBox)
        for widget in self.findChildren(QWidget):
            if isinstance(widget, takers) and not _inside_drop_zone(widget):
                widget.installEventFilter(self)
                if isinstance(widget, QAbstractScrollArea):
                    widget.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            paths = local_paths(event.mimeData())  # type: ignore[attr-defined]
            if paths:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                if kind == QEvent.Type.Drop:
                    self.open_source(paths[0])
                return True
        return super().eventFilter(watched, event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_source(paths[0])

    # -- geometry and closing -------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        saved = self.settings.values.window_geometry
        if saved and self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii"))):
            return
        self.resize(1180, 800)

    def save_geometry(self) -> None:
        data = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        self.settings.update(window_geometry=data)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.package_page.mode == "running" and not self._confirm_quit():
            event.ignore()
            return
        if self.finetune_page.running_locally:
            if not self._confirm_quit_training():
                event.ignore()
                return
            self.finetune_page.stop_and_wait(120.0)
        self.finetune_page.detach()  # a run on a box goes on; the next start re-attaches
        self.save_geometry()
        self.monitor.stop()
        jobs.cancel_all(wait_seconds=5.0)
        from desktop.backend import close_chat_backends

        close_chat_backends()
        super().closeEvent(event)

    def _confirm_quit(self) -> bool:
        return confirm(
            self,
            self.tr("Quit Tuneforge"),
            self.tr("A model is being created."),
            self.tr("Quitting stops it and removes its partial files."),
            self.tr("Stop and quit"),
        )

    def _confirm_quit_training(self) -> bool:
        return confirm(
            self,
            self.tr("Quit Tuneforge"),
            self.tr("A model is being trained on this computer."),
            self.tr("Quitting stops it; a checkpoint is saved and Resume continues from it."),
            self.tr("Stop and quit"),
        )


def _inside_drop_zone(widget: QWidget) -> bool:
    node: Any = widget
    while node is not None:
        if isinstance(node, DropZone):
            return True
        node = node.parentWidget()
    return False
