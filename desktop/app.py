"""``tuneforge-gui``: start the desktop app.

Startup stays light on purpose: Qt, our widgets and ``engine.jobs`` only. Engine
modules with heavy imports (numpy, gguf, requests, llama.cpp) load in worker threads
the first time a page needs them; torch is never imported by the GUI.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()


def _windows_taskbar_identity() -> None:
    """Group our windows under our own taskbar icon instead of python.exe's."""
    if sys.platform != "win32":
        return
    try:
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("Tuneforge.Desktop")  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if argv[1:2] == ["--job-child"]:  # the frozen app doubles as the child processes
        from engine.cli.main import run_child

        return run_child(argv[1:])
    exit_after_show = "--exit-after-show" in argv  # for bench/bench_gui_start.py
    verbose = "--verbose" in argv
    argv = [a for a in argv if a not in ("--exit-after-show", "--verbose")]

    from engine.logfile import setup_logging

    setup_logging("app", verbose=verbose)

    from desktop.xlibs import check_xcb_libraries

    missing = check_xcb_libraries()  # Qt aborts without them, naming only one library
    if missing:
        logging.getLogger("desktop.app").error("missing X libraries: %s", " ".join(missing))

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop import i18n, theme
    from desktop.main_window import MainWindow
    from desktop.settings import SettingsStore, apply_environment

    _windows_taskbar_identity()
    app = QApplication(argv)
    app.setApplicationName("Tuneforge")
    app.setOrganizationName("Tuneforge")
    app.setWindowIcon(theme.app_icon())

    settings = SettingsStore()
    apply_environment(settings.values)
    i18n.set_language(settings.values.language)
    theme.apply_theme(settings.values.theme)

    window = MainWindow(settings)

    class FirstPaint(QObject):
        """Starts the background work once the window has been painted."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                window.removeEventFilter(self)
                if os.environ.get("TUNEFORGE_PRINT_STARTUP"):
                    print(
                        f"first paint after {1000 * (time.perf_counter() - _T0):.0f} ms", flush=True
                    )
                if exit_after_show:
                    QTimer.singleShot(0, app.quit)
                else:
                    QTimer.singleShot(0, window.start_background)
            return False

    first_paint = FirstPaint(window)
    window.installEventFilter(first_paint)
    window.show()
    sources = [Path(a) for a in argv[1:] if not a.startswith("-")]
    if sources:
        window.open_source(sources[0])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
