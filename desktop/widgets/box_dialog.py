"""Add or edit a remote box: name, host, port, user, and a key file or a password."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.remote_boxes import BoxForm
from desktop.widgets.common import button, label, pad_spin_box


class BoxDialog(QDialog):
    """Collects a :class:`BoxForm`; ``box`` prefills it for editing (the name stays)."""

    def __init__(self, parent: QWidget | None = None, *, box: Any | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BoxDialog")
        self.setMinimumWidth(460)
        self.name = QLineEdit()
        self.name.setObjectName("BoxName")
        self.host = QLineEdit()
        self.host.setObjectName("BoxHost")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(22)
        self.port.setObjectName("BoxPort")
        pad_spin_box(self.port)
        self.user = QLineEdit("root")
        self.user.setObjectName("BoxUser")
        self.use_key, self.use_password = QRadioButton(), QRadioButton()
        self.use_key.setChecked(True)
        self.key_file = QLineEdit()
        self.key_file.setObjectName("BoxKeyFile")
        self.key_browse = button()
        self.password = QLineEdit()
        self.password.setObjectName("BoxPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.hint = label(role="muted", wrap=True)
        form = QFormLayout()
        self.labels = [label() for _ in range(6)]
        key_row = QHBoxLayout()
        key_row.addWidget(self.use_key)
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(self.key_browse)
        pw_row = QHBoxLayout()
        pw_row.addWidget(self.use_password)
        pw_row.addWidget(self.password, 1)
        for lab, widget in zip(self.labels[:4], (self.name, self.host, self.port, self.user),
                               strict=True):  # fmt: skip
            form.addRow(lab, widget)
        form.addRow(self.labels[4], key_row)
        form.addRow(self.labels[5], pw_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.key_browse.clicked.connect(self._browse)
        for w in (self.name, self.host, self.user, self.key_file, self.password):
            w.textChanged.connect(self._validate)
        self.use_key.toggled.connect(self._validate)
        self.editing = box is not None
        if box is not None:
            self.name.setText(box.name)
            self.name.setReadOnly(True)
            self.host.setText(box.host)
            self.port.setValue(int(box.port))
            self.user.setText(box.user)
            self.key_file.setText(box.key_file or "")
            self.use_password.setChecked(bool(box.has_password))
            self.use_key.setChecked(not box.has_password)
        self.retranslate()
        self._validate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Edit box") if self.editing else self.tr("Add a box"))
        for lab, text in zip(self.labels, (self.tr("Name"), self.tr("Host"), self.tr("Port"),
                                           self.tr("User"), self.tr("Key file"),
                                           self.tr("Password")), strict=True):  # fmt: skip
            lab.setText(text)
        self.name.setPlaceholderText(self.tr("A short name, e.g. autodl-4090"))
        self.host.setPlaceholderText(self.tr("The address your GPU provider shows"))
        self.key_browse.setText(self.tr("Browse…"))
        self.password.setPlaceholderText(
            self.tr("Leave empty to keep the saved password") if self.editing else ""
        )
        self.hint.setText(self.tr("The password is kept in the system's password store, never in "
                                  "a file. You confirm the box's fingerprint next."))  # fmt: skip

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Private key file"))
        if path:
            self.key_file.setText(path)
            self.use_key.setChecked(True)

    def _validate(self) -> None:
        self.key_file.setEnabled(self.use_key.isChecked())
        self.password.setEnabled(self.use_password.isChecked())
        name = self.name.text().strip()
        auth = (
            bool(self.key_file.text().strip())
            if self.use_key.isChecked()
            else bool(self.password.text()) or self.editing
        )
        ok = bool(name and self.host.text().strip() and self.user.text().strip() and auth)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _accept(self) -> None:
        self._validate()
        if self.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled():
            self.accept()

    def form(self) -> BoxForm:
        pw = self.password.text()
        return BoxForm(name=self.name.text().strip(), host=self.host.text().strip(),
                       port=self.port.value(), user=self.user.text().strip(),
                       key_file=self.key_file.text().strip() or None,
                       password=pw or None, use_password=self.use_password.isChecked())  # fmt: skip
