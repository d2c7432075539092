"""Error and confirmation dialogs: what happened, what to do, details on request."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget


def error_parts(error: Any) -> tuple[str, str, str]:
    """(message, what to do, details) of a TuneforgeError (or any exception)."""
    message = str(getattr(error, "message", None) or error) or type(error).__name__
    hint = getattr(error, "hint", None) or ""
    details: list[str] = []
    path = getattr(error, "path", None)
    if path:
        details.append(QCoreApplication.translate("Dialogs", "File") + f": {path}")
    line = getattr(error, "line", None)
    if line is not None:
        details.append(QCoreApplication.translate("Dialogs", "Line") + f": {line}")
    extra = getattr(error, "details", None) or {}
    for key, value in extra.items():
        if key == "traceback":
            continue
        details.append(f"{key}: {value}")
    if "traceback" in extra:
        details.append("")
        details.append(str(extra["traceback"]))
    code = getattr(error, "code", None)
    if code:
        details.insert(0, QCoreApplication.translate("Dialogs", "Error code") + f": {code}")
    return message, hint, "\n".join(details)


def error_dialog(parent: QWidget | None, title: str, error: Any) -> QMessageBox:
    """A modal-less error box (so tests and the event loop keep running); shown at once."""
    message, hint, details = error_parts(error)
    box = QMessageBox(parent)
    box.setObjectName("ErrorDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(message[:1].upper() + message[1:])
    if hint:
        box.setInformativeText(hint)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setModal(True)
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, text: str, informative: str, action: str) -> bool:
    """Ask before something that cannot be undone. True when the user confirmed."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(informative)
    ok = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is ok
