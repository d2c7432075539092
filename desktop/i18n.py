"""Languages: English (the source strings) and Simplified Chinese (``.qm`` under resources/).

Switching installs new translators; Qt then sends ``QEvent.LanguageChange`` to every
widget, and each of ours re-sets its texts in ``retranslate()``. Qt's own strings
(standard buttons, file dialogs) come from Qt's ``qtbase_*.qm``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop.resources import translations_dir

# Shown in the language picker in their own language, so they are never translated.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh_CN": "简体中文"}

_installed: list[QTranslator] = []
_current = "en"


def resolve_language(setting: str) -> str:
    """``"system"`` → the UI language closest to the system locale (English otherwise)."""
    if setting in LANGUAGE_NAMES:
        return setting
    locale = QLocale.system()
    if locale.language() == QLocale.Language.Chinese:
        return "zh_CN"
    return "en"


def current_language() -> str:
    return _current


def set_language(setting: str) -> str:
    """Install the translators for ``setting`` ("system", "en", "zh_CN"); returns the code used."""
    global _current
    app = QCoreApplication.instance()
    code = resolve_language(setting)
    for translator in _installed:
        QCoreApplication.removeTranslator(translator)
    _installed.clear()
    if code != "en":
        ours = QTranslator(app)
        if ours.load(f"tuneforge_{code}", str(translations_dir())):
            _installed.append(ours)
        qt_own = QTranslator(app)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_own.load(f"qtbase_{code}", qt_dir):
            _installed.append(qt_own)
        for translator in _installed:
            QCoreApplication.installTranslator(translator)
    if _current != code or not _installed:
        QLocale.setDefault(QLocale("zh_CN" if code == "zh_CN" else "en_US"))
    _current = code
    return code
