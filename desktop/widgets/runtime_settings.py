"""Settings → Training on this PC: the runtime's state, where it is, its size, and
Set up / Repair / Remove."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QWidget

from desktop import jobs
from desktop.widgets.common import Card, button, label, set_prop
from desktop.widgets.dialogs import confirm
from desktop.widgets.retranslate import Retranslating
from engine.sizes import format_size


def read_status() -> Any:
    from engine.runtime.status import runtime_status

    return runtime_status()


def remove_plain() -> int:
    from engine.runtime.install import remove_runtime

    return remove_runtime()


class RuntimeSettingsCard(Retranslating, Card):
    def __init__(self, settings: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=10)
        self.settings = settings  # a SettingsStore: the package mirrors are saved there
        self.setObjectName("RuntimeSettingsCard")
        self.status: Any = None
        self.dialog: Any = None
        self._reading = False
        self.title = label(role="h2")
        self.state_label = label(wrap=True, selectable=True)
        self.state_label.setObjectName("RuntimeState")
        self.details = label(role="muted", wrap=True, selectable=True)
        self.details.setObjectName("RuntimeDetails")
        self.setup_button = button(role="primary")
        self.setup_button.setObjectName("RuntimeSetupButton")
        self.repair_button = button()
        self.repair_button.setObjectName("RuntimeRepairButton")
        self.remove_button = button()
        self.remove_button.setObjectName("RuntimeRemoveButton")
        self.setup_button.clicked.connect(lambda: self.open_setup(repair=False))
        self.repair_button.clicked.connect(lambda: self.open_setup(repair=True))
        self.remove_button.clicked.connect(lambda: self.remove())
        row = QHBoxLayout()
        row.addWidget(self.setup_button)
        row.addWidget(self.repair_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        for widget in (self.title, self.state_label, self.details):
            self.body.addWidget(widget)
        self.body.addLayout(row)
        # package mirrors for the install (PyPI and PyTorch's wheel index are slow in some places)
        grid = QGridLayout()
        grid.setColumnMinimumWidth(0, 170)
        grid.setColumnStretch(1, 1)
        self.index_label = label(role="key")
        self.torch_index_label = label(role="key")
        self.index_edit = QLineEdit()
        self.index_edit.setObjectName("RuntimeIndexEdit")
        self.torch_index_edit = QLineEdit()
        self.torch_index_edit.setObjectName("RuntimeTorchIndexEdit")
        for row_index, (key_label, edit, key) in enumerate((
            (self.index_label, self.index_edit, "runtime_index_url"),
            (self.torch_index_label, self.torch_index_edit, "runtime_torch_index_url"),
        )):  # fmt: skip
            grid.addWidget(key_label, row_index, 0)
            grid.addWidget(edit, row_index, 1)
            if settings is not None:
                edit.setText(settings.get(key))
                edit.editingFinished.connect(lambda e=edit, k=key: self._save_mirror(k, e.text()))
        self.body.addLayout(grid)
        self.retranslate()
        self._show()

    def _save_mirror(self, key: str, text: str) -> None:
        from desktop.settings import apply_environment

        value = text.strip().rstrip("/")
        if self.settings is not None and self.settings.get(key) != value:
            self.settings.update(**{key: value})
            apply_environment(self.settings.values)  # the installer reads the variables

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.status is None and not self._reading:
            self.refresh()  # read the first time Settings is shown, not at start-up

    def refresh(self) -> None:
        """Read the runtime's state (imports each package: off the GUI thread)."""
        self._reading = True
        self.state_label.setText(self.tr("Checking…"))
        jobs.call(read_status, owner=self, on_result=self._got, on_error=lambda _e: None)

    def _got(self, status: Any) -> None:
        self._reading = False
        self.status = status
        self._show()

    def open_setup(self, *, repair: bool) -> None:
        from desktop.widgets.runtime_setup import RuntimeSetupDialog

        self.dialog = RuntimeSetupDialog(self.window(), repair=repair)
        self.dialog.panel.changed.connect(self.refresh)
        self.dialog.open()

    def remove(self, *, ask: bool = True) -> None:
        if ask and not confirm(self, self.tr("Remove the training runtime"),
                               self.tr("Remove the training runtime ({size})?").format(
                                   size=format_size(self.status.size_bytes if self.status else 0)),
                               self.tr("Training on this PC needs it again later; your runs and models stay."),
                               self.tr("Remove")):  # fmt: skip
            return
        self.remove_button.setEnabled(False)
        jobs.call(remove_plain, owner=self, on_result=lambda _n: self.refresh(),
                  on_error=lambda _e: self.refresh())  # fmt: skip

    def _show(self) -> None:
        status = self.status
        state = status.state if status is not None else None
        texts = {
            "installed": self.tr("Installed and working."),
            "missing": self.tr("Not installed. Training on this PC sets it up (or use a rented GPU box)."),
            "incomplete": self.tr("The install was interrupted: Set up continues it."),
            "broken": self.tr("Broken: a package is missing or damaged. Repair reinstalls it."),
            "outdated": self.tr("Made for another Tuneforge version: Set up updates it."),
        }  # fmt: skip
        if state is not None:
            self.state_label.setText(texts.get(state, state))
            set_prop(
                self.state_label, "role", {"installed": "ok", "broken": "error"}.get(state, "muted")
            )
            lines = [self.tr("Folder: {path}").format(path=status.path)]
            if status.torch:
                where = f"CUDA {status.cuda}" if status.cuda else self.tr("CPU")
                lines.append(
                    self.tr("PyTorch {torch} ({where})").format(torch=status.torch, where=where)
                )
            if status.size_bytes:
                lines.append(self.tr("Size: {size}").format(size=format_size(status.size_bytes)))
            lines += list(status.problems)
            self.details.setText("\n".join(lines))
        self.setup_button.setVisible(state in ("missing", "incomplete", "outdated"))
        self.repair_button.setVisible(state in ("installed", "broken"))
        self.remove_button.setVisible(state not in (None, "missing"))
        self.remove_button.setEnabled(True)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Training on this PC"))
        self.setup_button.setText(self.tr("Set up…"))
        self.repair_button.setText(self.tr("Repair"))
        self.remove_button.setText(self.tr("Remove"))
        self.index_label.setText(self.tr("Package index (mirror)"))
        self.index_edit.setPlaceholderText(
            self.tr("Default: PyPI — e.g. https://pypi.tuna.tsinghua.edu.cn/simple")
        )
        self.torch_index_label.setText(self.tr("PyTorch index (mirror)"))
        self.torch_index_edit.setPlaceholderText(
            self.tr("Default: download.pytorch.org — {tag} in the address becomes the build (cu128, cpu …)"))  # fmt: skip
        self._show()
