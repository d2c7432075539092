"""One mixin for widgets whose texts follow the UI language.

Switching the language installs new translators and Qt sends ``QEvent.LanguageChange``
to every widget (see :mod:`desktop.i18n`); a widget with this mixin then calls its
``retranslate()``, which sets every user-visible text. List the mixin before the Qt
class: ``class DropZone(Retranslating, QFrame)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    _Base = QWidget
else:
    _Base = object


class Retranslating(_Base):
    def retranslate(self) -> None:
        """Set the widget's texts in the current language (override; default: nothing)."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
